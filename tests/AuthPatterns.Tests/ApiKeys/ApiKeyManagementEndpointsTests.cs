using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AuthPatterns.ApiKeys;

namespace AuthPatterns.Tests.ApiKeys;

public sealed class ApiKeyManagementEndpointsTests
{
    private const string Manage = ApiKeyManagementEndpointRouteBuilderExtensions.DefaultScope;
    private const string Admin = ApiKeyAuthenticationDefaults.ManagementAdminScope;

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
        var admin = await app.CreateKeyAsync([Manage, Admin, "events:write"], tenant: "acme", owner: "acme-admin");
        var foreign = await app.CreateKeyAsync(["events:write"], tenant: "globex", owner: "globex-partner");

        using var created = await SendJsonAsync(app, HttpMethod.Post, "/admin/api-keys", admin.Key, new { ownerId = "acme-partner", scopes = new[] { "events:write" }, expiresInSeconds = 3600 });
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
        using var foreignRoll = await app.SendAsync($"/admin/api-keys/{foreign.Info.Id}/roll", admin.Key, HttpMethod.Post);
        using var foreignScopes = await SendJsonAsync(app, HttpMethod.Put, $"/admin/api-keys/{foreign.Info.Id}/scopes", admin.Key, new { scopes = new[] { "events:write" } });
        using var foreignExpiry = await SendJsonAsync(app, HttpMethod.Put, $"/admin/api-keys/{foreign.Info.Id}/expiry", admin.Key, new { expiresAt = (DateTimeOffset?)null });
        using var missing = await app.SendAsync("/admin/api-keys/AAAAAAAAAAAA", admin.Key);
        Assert.All([foreignGet, foreignRevoke, foreignRoll, foreignScopes, foreignExpiry], r => Assert.Equal(HttpStatusCode.NotFound, r.StatusCode));
        Assert.Equal(await missing.Content.ReadAsStringAsync(), await foreignGet.Content.ReadAsStringAsync());
        Assert.Null((await app.Manager.GetAsync(foreign.Info.Id))!.RevokedAt);

        using var revoked = await SendJsonAsync(app, HttpMethod.Post, $"/admin/api-keys/{newId}/revoke", admin.Key, new { reason = "offboarded" });
        Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
        using var afterRevoke = await app.SendAsync("/webhooks/events", newKey, HttpMethod.Post);
        Assert.Equal(HttpStatusCode.Unauthorized, afterRevoke.StatusCode);
    }

    [Fact]
    public async Task Finding_8_2_a_self_service_caller_creates_keys_only_for_itself_only_in_its_tenant_and_only_with_scopes_it_holds()
    {
        await using var app = await ApiKeyTestApp.StartAsync(mapManagement: true);
        var alice = await app.CreateKeyAsync([Manage, "events:write"], tenant: "acme", owner: "alice");
        var before = app.Store.Records.Count;

        using var forOther = await SendJsonAsync(app, HttpMethod.Post, "/admin/api-keys", alice.Key, new { ownerId = "mallory", scopes = new[] { "events:write" } });
        using var raised = await SendJsonAsync(app, HttpMethod.Post, "/admin/api-keys", alice.Key, new { scopes = new[] { "events:write", "billing:admin", Admin } });
        using var otherTenant = await SendJsonAsync(app, HttpMethod.Post, "/admin/api-keys", alice.Key, new { scopes = new[] { "events:write" }, tenant = "globex" });

        Assert.Equal(HttpStatusCode.Forbidden, forOther.StatusCode);
        Assert.Contains("for itself only", await forOther.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, raised.StatusCode);
        var detail = (await raised.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString()!;
        Assert.Contains("billing:admin apikeys:admin", detail, StringComparison.Ordinal);
        Assert.DoesNotContain("events:write", detail, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, otherTenant.StatusCode);
        Assert.Equal(before, app.Store.Records.Count);

        using var own = await SendJsonAsync(app, HttpMethod.Post, "/admin/api-keys", alice.Key, new { scopes = new[] { "events:write" } });
        Assert.Equal(HttpStatusCode.Created, own.StatusCode);
        var ownBody = await own.Content.ReadFromJsonAsync<JsonElement>();
        var info = ownBody.GetProperty("info");
        app.Use(ownBody.GetProperty("key").GetString()!);
        Assert.Equal(("alice", "acme"), (info.GetProperty("ownerId").GetString(), info.GetProperty("tenant").GetString()));
    }

    [Fact]
    public async Task Finding_8_2_put_scopes_cannot_raise_a_keys_scopes_beyond_the_callers()
    {
        await using var app = await ApiKeyTestApp.StartAsync(mapManagement: true);
        var alice = await app.CreateKeyAsync([Manage, "events:write"], tenant: "acme", owner: "alice");
        var own = await app.CreateKeyAsync(["events:write"], tenant: "acme", owner: "alice");

        using var raise = await SendJsonAsync(app, HttpMethod.Put, $"/admin/api-keys/{own.Info.Id}/scopes", alice.Key, new { scopes = new[] { "billing:admin" } });
        using var raiseSelf = await SendJsonAsync(app, HttpMethod.Put, $"/admin/api-keys/{alice.Info.Id}/scopes", alice.Key, new { scopes = new[] { Manage, Admin } });
        using var lower = await SendJsonAsync(app, HttpMethod.Put, $"/admin/api-keys/{own.Info.Id}/scopes", alice.Key, new { scopes = new[] { "events:write" } });

        Assert.Equal(HttpStatusCode.Forbidden, raise.StatusCode);
        Assert.Contains("billing:admin", await raise.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, raiseSelf.StatusCode);
        Assert.Equal(HttpStatusCode.OK, lower.StatusCode);
        Assert.Equal(["events:write"], (await app.Manager.GetAsync(own.Info.Id))!.Scopes);
        Assert.Equal([Manage, "events:write"], (await app.Manager.GetAsync(alice.Info.Id))!.Scopes);
    }

    [Fact]
    public async Task Finding_8_2_a_self_service_caller_sees_and_changes_only_its_own_keys()
    {
        await using var app = await ApiKeyTestApp.StartAsync(mapManagement: true);
        var alice = await app.CreateKeyAsync([Manage, "events:write"], tenant: "acme", owner: "alice");
        var bobs = await app.CreateKeyAsync(["events:write"], tenant: "acme", owner: "bob");

        using var list = await app.SendAsync("/admin/api-keys?owner=bob", alice.Key);
        using var get = await app.SendAsync($"/admin/api-keys/{bobs.Info.Id}", alice.Key);
        using var revoke = await app.SendAsync($"/admin/api-keys/{bobs.Info.Id}/revoke", alice.Key, HttpMethod.Post);
        using var roll = await app.SendAsync($"/admin/api-keys/{bobs.Info.Id}/roll", alice.Key, HttpMethod.Post);
        using var networks = await SendJsonAsync(app, HttpMethod.Put, $"/admin/api-keys/{bobs.Info.Id}/networks", alice.Key, new { allowedNetworks = Array.Empty<string>() });

        Assert.Equal("[]", await list.Content.ReadAsStringAsync());
        Assert.All([get, revoke, roll, networks], r => Assert.Equal(HttpStatusCode.NotFound, r.StatusCode));
        Assert.Null((await app.Manager.GetAsync(bobs.Info.Id))!.RevokedAt);
        Assert.Equal(2, app.Store.Records.Count);

        using var ownList = await app.SendAsync("/admin/api-keys", alice.Key);
        var listed = await ownList.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal([alice.Info.Id], listed.EnumerateArray().Select(k => k.GetProperty("id").GetString()));
    }

    [Fact]
    public async Task Finding_8_2_an_admin_cannot_roll_or_widen_a_key_with_scopes_it_does_not_hold()
    {
        await using var app = await ApiKeyTestApp.StartAsync(mapManagement: true);
        var admin = await app.CreateKeyAsync([Manage, Admin, "events:write"], tenant: "acme", owner: "acme-admin");
        var billing = await app.CreateKeyAsync(["billing:admin"], tenant: "acme", owner: "bob", networks: ["10.0.0.0/8"]);

        using var roll = await app.SendAsync($"/admin/api-keys/{billing.Info.Id}/roll", admin.Key, HttpMethod.Post);
        using var networks = await SendJsonAsync(app, HttpMethod.Put, $"/admin/api-keys/{billing.Info.Id}/networks", admin.Key, new { allowedNetworks = Array.Empty<string>() });
        using var expiry = await SendJsonAsync(app, HttpMethod.Put, $"/admin/api-keys/{billing.Info.Id}/expiry", admin.Key, new { expiresAt = (DateTimeOffset?)null });

        Assert.All([roll, networks, expiry], r => Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode));
        Assert.Contains("billing:admin", await roll.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(2, app.Store.Records.Count);
        Assert.Equal(["10.0.0.0/8"], (await app.Manager.GetAsync(billing.Info.Id))!.AllowedNetworks);

        // Taking away is always allowed: an admin revokes the key it could not roll.
        using var revoke = await app.SendAsync($"/admin/api-keys/{billing.Info.Id}/revoke", admin.Key, HttpMethod.Post);
        Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);
    }

    [Fact]
    public async Task Finding_8_2_the_admin_scope_is_configurable_and_checked_at_startup()
    {
        await using var app = await ApiKeyTestApp.StartAsync(o => o.ManagementAdminScope = "keys:root", mapManagement: true);
        var root = await app.CreateKeyAsync([Manage, "keys:root", "events:write"], tenant: "acme", owner: "root");
        var notRoot = await app.CreateKeyAsync([Manage, Admin, "events:write"], tenant: "acme", owner: "other");

        using var byRoot = await SendJsonAsync(app, HttpMethod.Post, "/admin/api-keys", root.Key, new { ownerId = "partner", scopes = new[] { "events:write" } });
        using var byDefaultName = await SendJsonAsync(app, HttpMethod.Post, "/admin/api-keys", notRoot.Key, new { ownerId = "partner", scopes = new[] { "events:write" } });
        Assert.Equal(HttpStatusCode.Created, byRoot.StatusCode);
        app.Use((await byRoot.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("key").GetString()!);
        Assert.Equal(HttpStatusCode.Forbidden, byDefaultName.StatusCode);

        var options = new ApiKeyAuthenticationOptions { ManagementAdminScope = "keys root" };
        var error = Assert.Throws<ArgumentException>(options.Validate);
        Assert.Contains("LayeredAuth:ApiKeys:ManagementAdminScope", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Finding_15_2_invalid_texts_get_400_and_nothing_is_half_written()
    {
        await using var app = await ApiKeyTestApp.StartAsync(mapManagement: true);
        var admin = await app.CreateKeyAsync([Manage, Admin, "events:write"], tenant: null, owner: "root");
        var target = await app.CreateKeyAsync(["events:write"], tenant: null, owner: "partner");
        var before = app.Store.Records.Count;

        using var longReason = await SendJsonAsync(app, HttpMethod.Post, $"/admin/api-keys/{target.Info.Id}/revoke", admin.Key, new { reason = new string('r', 1025) });
        using var nulReason = await SendJsonAsync(app, HttpMethod.Post, $"/admin/api-keys/{target.Info.Id}/revoke", admin.Key, new { reason = "leaked\0" });
        using var longOwner = await SendJsonAsync(app, HttpMethod.Post, "/admin/api-keys", admin.Key, new { ownerId = new string('o', 257), scopes = new[] { "events:write" } });
        using var nulTenant = await SendJsonAsync(app, HttpMethod.Post, "/admin/api-keys", admin.Key, new { ownerId = "o", tenant = "ac\u0000me", scopes = new[] { "events:write" } });
        using var escapeName = await SendJsonAsync(app, HttpMethod.Post, "/admin/api-keys", admin.Key, new { ownerId = "o", name = "\u001b[2Jadmin", scopes = new[] { "events:write" } });
        using var hugeLifetime = await SendJsonAsync(app, HttpMethod.Post, "/admin/api-keys", admin.Key, new { ownerId = "o", scopes = new[] { "events:write" }, expiresInSeconds = long.MaxValue });
        using var hugeId = await app.SendAsync($"/admin/api-keys/{new string('a', 5000)}/revoke", admin.Key, HttpMethod.Post);

        foreach (var response in new[] { longReason, nulReason, longOwner, nulTenant, escapeName, hugeLifetime })
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.DoesNotContain('\n', problem.GetProperty("detail").GetString()!);
        }

        Assert.Contains("at most 1024", await longReason.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Contains("control character", await nulTenant.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, hugeId.StatusCode);
        Assert.Equal(before, app.Store.Records.Count);
        Assert.Null((await app.Manager.GetAsync(target.Info.Id))!.RevokedAt);

        using var revoke = await SendJsonAsync(app, HttpMethod.Post, $"/admin/api-keys/{target.Info.Id}/revoke", admin.Key, new { reason = new string('r', 1024) });
        Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);
        using var after = await app.SendAsync("/webhooks/events", target.Key, HttpMethod.Post);
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
    }

    [Fact]
    public async Task Finding_15_8_roll_with_a_huge_grace_period_gets_400_and_stores_no_successor()
    {
        await using var app = await ApiKeyTestApp.StartAsync(mapManagement: true);
        var admin = await app.CreateKeyAsync([Manage, Admin, "events:write"], tenant: null, owner: "root");
        var target = await app.CreateKeyAsync(["events:write"], tenant: null, owner: "partner");
        var expiry = (await app.Manager.GetAsync(target.Info.Id))!.ExpiresAt;

        foreach (var seconds in new[] { long.MaxValue, 922_337_203_685L, 400L * 86_400, -1 })
        {
            using var roll = await SendJsonAsync(app, HttpMethod.Post, $"/admin/api-keys/{target.Info.Id}/roll", admin.Key, new { gracePeriodSeconds = seconds });
            Assert.Equal(HttpStatusCode.BadRequest, roll.StatusCode);
        }

        Assert.Equal(2, app.Store.Records.Count);
        Assert.DoesNotContain(app.Store.Records, r => r.RolledFromId is not null);
        Assert.Equal(expiry, (await app.Manager.GetAsync(target.Info.Id))!.ExpiresAt);
    }

    [Fact]
    public async Task Invalid_requests_get_400_not_500()
    {
        await using var app = await ApiKeyTestApp.StartAsync(mapManagement: true);
        var admin = await app.CreateKeyAsync([Manage], tenant: null);

        using var create = new HttpRequestMessage(HttpMethod.Post, "/admin/api-keys") { Content = JsonContent.Create(new { ownerId = "x", scopes = Array.Empty<string>() }) };
        create.Headers.Add("X-API-Key", admin.Key);
        using var response = await app.Client.SendAsync(create);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    private static Task<HttpResponseMessage> SendJsonAsync(ApiKeyTestApp app, HttpMethod method, string path, string key, object body)
    {
        var request = new HttpRequestMessage(method, path) { Content = JsonContent.Create(body) };
        request.Headers.Add("X-API-Key", key);
        return app.Client.SendAsync(request);
    }
}
