using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AuthPatterns.ApiKeys;

namespace AuthPatterns.Tests.ApiKeys;

public sealed class ApiKeyManagementEndpointsTests
{
    [Fact]
    public async Task The_management_endpoints_require_their_scope()
    {
        await using var app = await ApiKeyTestApp.StartAsync(mapManagement: true);
        var plain = await app.CreateKeyAsync(["events:write"]);

        using var anonymous = await app.SendAsync("/admin/api-keys", key: null);
        using var withoutScope = await app.SendAsync("/admin/api-keys", plain.Key);

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, withoutScope.StatusCode);
    }

    [Fact]
    public async Task A_tenant_admin_creates_lists_rolls_and_revokes_keys_of_its_own_tenant_only()
    {
        await using var app = await ApiKeyTestApp.StartAsync(mapManagement: true);
        var admin = await app.CreateKeyAsync([ApiKeyManagementEndpointRouteBuilderExtensions.DefaultScope], tenant: "acme", owner: "acme-admin");
        var foreign = await app.CreateKeyAsync(["events:write"], tenant: "globex", owner: "globex-partner");

        using var create = new HttpRequestMessage(HttpMethod.Post, "/admin/api-keys")
        {
            Content = JsonContent.Create(new { ownerId = "acme-partner", scopes = new[] { "events:write" }, tenant = "globex", expiresInSeconds = 3600 }),
        };
        create.Headers.Add("X-API-Key", admin.Key);
        using var created = await app.Client.SendAsync(create);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("no-store", created.Headers.CacheControl?.ToString());
        var body = await created.Content.ReadFromJsonAsync<JsonElement>();
        var newKey = app.Use(body.GetProperty("key").GetString()!);
        var newId = body.GetProperty("info").GetProperty("id").GetString()!;
        Assert.Equal("acme", body.GetProperty("info").GetProperty("tenant").GetString());

        using var webhook = await app.SendAsync("/webhooks/events", newKey, HttpMethod.Post);
        Assert.Equal(HttpStatusCode.Accepted, webhook.StatusCode);

        using var list = await app.SendAsync("/admin/api-keys", admin.Key);
        var listed = await list.Content.ReadAsStringAsync();
        Assert.Contains(newId, listed, StringComparison.Ordinal);
        Assert.DoesNotContain(foreign.Info.Id, listed, StringComparison.Ordinal);
        Assert.DoesNotContain("argon2id", listed, StringComparison.Ordinal);

        using var foreignGet = await app.SendAsync($"/admin/api-keys/{foreign.Info.Id}", admin.Key);
        using var foreignRevoke = await app.SendAsync($"/admin/api-keys/{foreign.Info.Id}/revoke", admin.Key, HttpMethod.Post);
        Assert.Equal(HttpStatusCode.NotFound, foreignGet.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, foreignRevoke.StatusCode);
        Assert.Null((await app.Manager.GetAsync(foreign.Info.Id))!.RevokedAt);

        using var revoke = new HttpRequestMessage(HttpMethod.Post, $"/admin/api-keys/{newId}/revoke") { Content = JsonContent.Create(new { reason = "offboarded" }) };
        revoke.Headers.Add("X-API-Key", admin.Key);
        using var revoked = await app.Client.SendAsync(revoke);
        Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
        using var afterRevoke = await app.SendAsync("/webhooks/events", newKey, HttpMethod.Post);
        Assert.Equal(HttpStatusCode.Unauthorized, afterRevoke.StatusCode);
    }

    [Fact]
    public async Task Invalid_requests_get_400_not_500()
    {
        await using var app = await ApiKeyTestApp.StartAsync(mapManagement: true);
        var admin = await app.CreateKeyAsync([ApiKeyManagementEndpointRouteBuilderExtensions.DefaultScope], tenant: null);

        using var create = new HttpRequestMessage(HttpMethod.Post, "/admin/api-keys") { Content = JsonContent.Create(new { ownerId = "x", scopes = Array.Empty<string>() }) };
        create.Headers.Add("X-API-Key", admin.Key);
        using var response = await app.Client.SendAsync(create);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }
}
