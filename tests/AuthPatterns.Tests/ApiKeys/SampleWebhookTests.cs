using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AuthPatterns.ApiKeys;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace AuthPatterns.Tests.ApiKeys;

/// <summary>The sample app with its API-key store on a temporary SQLite file, through <see cref="WebApplicationFactory{TEntryPoint}"/>.</summary>
public sealed class SampleWebhookTests : IAsyncLifetime
{
    private readonly string _database = Path.Combine(Path.GetTempPath(), $"authpatterns-sample-{Guid.NewGuid():N}.db");
    private WebApplicationFactory<Program> _factory = null!;

    public Task InitializeAsync()
    {
        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(builder =>
        {
            builder.UseEnvironment("Testing");
            builder.UseSetting("LayeredAuth:ApiKeys:Provider", "sqlite");
            builder.UseSetting("LayeredAuth:ApiKeys:ConnectionString", $"Data Source={_database};Pooling=False");
            builder.UseSetting("LayeredAuth:ApiKeys:HashMemorySize", "64");
            builder.UseSetting("LayeredAuth:ApiKeys:HashIterations", "1");
        });
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _factory.DisposeAsync();
        File.Delete(_database);
    }

    [Fact]
    public async Task The_webhook_accepts_a_key_with_events_write_and_names_the_key()
    {
        using var client = _factory.CreateClient();
        var created = await _factory.Services.GetRequiredService<ApiKeyManager>().CreateAsync(
            new ApiKeyCreateRequest { OwnerId = "partner", Tenant = "acme", Scopes = ["events:write"] });

        using var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/events");
        request.Headers.Add("X-API-Key", created.Key);
        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(created.Info.Id, body.GetProperty("keyId").GetString());
        Assert.True(File.Exists(_database));
    }

    [Fact]
    public async Task The_webhook_refuses_a_missing_revoked_or_query_string_key()
    {
        using var client = _factory.CreateClient();
        var manager = _factory.Services.GetRequiredService<ApiKeyManager>();
        var created = await manager.CreateAsync(new ApiKeyCreateRequest { OwnerId = "partner", Scopes = ["events:write"] });

        using var none = await client.PostAsync("/webhooks/events", content: null);
        using var query = await client.PostAsync($"/webhooks/events?api_key={created.Key}", content: null);
        await manager.RevokeAsync(created.Info.Id, "test");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/events");
        request.Headers.Add("X-API-Key", created.Key);
        using var revoked = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, query.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, revoked.StatusCode);
    }

    [Fact]
    public async Task A_key_gets_401_on_the_Bearer_only_endpoint()
    {
        using var client = _factory.CreateClient();
        var created = await _factory.Services.GetRequiredService<ApiKeyManager>().CreateAsync(
            new ApiKeyCreateRequest { OwnerId = "partner", Scopes = ["reports:read"] });

        using var request = new HttpRequestMessage(HttpMethod.Get, "/internal/reports");
        request.Headers.Add("X-API-Key", created.Key);
        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }
}
