using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AuthPatterns.ApiKeys;
using LayeredApi;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace AuthPatterns.IntegrationTests.ApiKeys;

/// <summary>The sample served by Kestrel on a loopback socket, its keys in a SQLite file of its own.</summary>
public sealed class ApiKeysOverLoopbackTests : IAsyncLifetime
{
    private readonly string _database = Path.Combine(Path.GetTempPath(), $"authpatterns-loopback-{Guid.NewGuid():N}.db");
    private WebApplication _app = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _app = SampleHost.Build(
        [
            "--urls", "http://127.0.0.1:0",
            "--environment", "Testing",
            "--LayeredAuth:ApiKeys:Provider", "sqlite",
            "--LayeredAuth:ApiKeys:ConnectionString", $"Data Source={_database};Pooling=False",
            "--LayeredAuth:ApiKeys:HashMemorySize", "64",
            "--LayeredAuth:ApiKeys:HashIterations", "1",
        ]);
        await _app.StartAsync();
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        _client = new HttpClient { BaseAddress = new Uri(address) };
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _app.DisposeAsync();
        File.Delete(_database);
    }

    [Fact]
    public async Task A_partner_posts_a_webhook_with_its_key_over_a_real_socket()
    {
        var created = await _app.Services.GetRequiredService<ApiKeyManager>().CreateAsync(
            new ApiKeyCreateRequest { OwnerId = "partner", Tenant = "acme", Scopes = ["events:write", "invoices:read"] });

        using var webhook = new HttpRequestMessage(HttpMethod.Post, "/webhooks/events");
        webhook.Headers.Add("X-API-Key", created.Key);
        using var accepted = await _client.SendAsync(webhook);
        using var invoices = new HttpRequestMessage(HttpMethod.Get, "/tenants/acme/invoices");
        invoices.Headers.TryAddWithoutValidation("Authorization", "ApiKey " + created.Key);
        using var ownTenant = await _client.SendAsync(invoices);
        using var otherInvoices = new HttpRequestMessage(HttpMethod.Get, "/tenants/globex/invoices");
        otherInvoices.Headers.Add("X-API-Key", created.Key);
        using var otherTenant = await _client.SendAsync(otherInvoices);
        using var inQuery = await _client.PostAsync($"/webhooks/events?api_key={created.Key}", content: null);

        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        Assert.Equal(created.Info.Id, (await accepted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("keyId").GetString());
        Assert.Equal(HttpStatusCode.OK, ownTenant.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, otherTenant.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, inQuery.StatusCode);
        Assert.Equal("application/problem+json", inQuery.Content.Headers.ContentType?.MediaType);
    }
}
