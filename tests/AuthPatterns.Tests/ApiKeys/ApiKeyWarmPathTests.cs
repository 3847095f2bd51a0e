using System.Net;
using System.Text.Json;
using AuthPatterns.ApiKeys;

namespace AuthPatterns.Tests.ApiKeys;

/// <summary>
/// A cached key is served by the scheme's warm path when the application set no event of its own: these run without the
/// test app's recording events, so the warm path is the one answering.
/// </summary>
public sealed class ApiKeyWarmPathTests
{
    private static Task<ApiKeyTestApp> StartAsync(bool recordUsageEvents = false) =>
        ApiKeyTestApp.StartAsync(o =>
        {
            o.Events = new ApiKeyAuthenticationEvents();
            o.RecordUsageEvents = recordUsageEvents;
        });

    [Fact]
    public async Task Warm_requests_get_the_same_identity_and_each_use_is_counted_and_recorded_once()
    {
        await using var app = await StartAsync(recordUsageEvents: true);
        var created = await app.CreateKeyAsync();

        var bodies = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            using var response = await app.SendAsync("/me", created.Key);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            bodies.Add(await response.Content.ReadAsStringAsync());
        }

        // The first request verified the key; the others were served from the cache, with the same answer.
        Assert.Single(bodies.Distinct());
        var me = JsonDocument.Parse(bodies[0]).RootElement;
        Assert.Equal(created.Info.Id, me.GetProperty("keyId").GetString());
        Assert.Equal(LayeredAuthSchemes.ApiKey, me.GetProperty("scheme").GetString());

        await app.Usage.FlushAsync();
        var counts = await app.Store.ListUsageCountsAsync(created.Info.Id, DateTimeOffset.MinValue);
        Assert.Equal(3, counts.Where(c => c.Outcome == ApiKeyOutcomes.Valid).Sum(c => c.Count));
        var events = await app.Store.ListUsageEventsAsync(created.Info.Id, DateTimeOffset.MinValue);
        Assert.Equal(3, events.Count(e => e is { Route: "/me", StatusCode: 200 }));
    }

    [Fact]
    public async Task A_cached_key_is_refused_at_once_when_revoked_expired_or_used_from_a_network_it_may_not_use()
    {
        await using var app = await StartAsync();
        var revoked = await app.CreateKeyAsync();
        var expiring = await app.CreateKeyAsync(lifetime: TimeSpan.FromMinutes(10));
        var fenced = await app.CreateKeyAsync(networks: ["198.51.100.0/24"]);
        foreach (var key in new[] { revoked.Key, expiring.Key })
        {
            using var warm = await app.SendAsync("/api/ping", key);
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        }

        using (var warm = await app.SendAsync("/api/ping", fenced.Key, address: "198.51.100.7"))
        {
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        }

        Assert.True(await app.Manager.RevokeAsync(revoked.Info.Id, "test"));
        app.Time.Advance(TimeSpan.FromMinutes(10));

        using var afterRevocation = await app.SendAsync("/api/ping", revoked.Key);
        using var afterExpiry = await app.SendAsync("/api/ping", expiring.Key);
        using var elsewhere = await app.SendAsync("/api/ping", fenced.Key, address: "203.0.113.9");
        Assert.Equal(HttpStatusCode.Unauthorized, afterRevocation.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, afterExpiry.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, elsewhere.StatusCode);
    }

    [Fact]
    public async Task A_key_in_the_query_string_is_still_refused_before_any_endpoint()
    {
        await using var app = await StartAsync();
        var created = await app.CreateKeyAsync();

        using var response = await app.Client.GetAsync("/nowhere?api_key=" + Uri.EscapeDataString(created.Key));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("api_key_in_query", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
