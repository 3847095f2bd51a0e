using System.Net;

namespace AuthPatterns.Tests.ForwardAuth;

[Collection(ForwardAuthCollection.Name)]
public sealed class LogSafetyTests
{
    private const string Secret = "s3ss10n-SECRET-cookie-v4lue";

    [Fact]
    public async Task Cookie_values_appear_in_no_log_line_at_any_level()
    {
        await using var portal = await FakePortal.StartAsync();
        portal.Add(Secret, new PortalUser("alice", "Alice", "alice@example.com", ["admins"]));
        portal.Add(Secret + "-denied", new PortalUser("mallory", "M", "m@example.com", [], Denied: true));
        await using var app = await ForwardAuthTestApp.StartAsync(o =>
        {
            o.UseAuthelia(portal.BaseUrl);
            o.AllowedHosts.Add("app.example.com");
            o.MapGroup("admins", "orders:write");
        });

        var cookie = $"authelia_session={Secret}";
        Assert.Equal(HttpStatusCode.OK, (await app.GetAsync("/app/dashboard", cookie)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await app.GetAsync("/app/dashboard", cookie)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await app.SendAsync(HttpMethod.Post, "/app/orders", cookie)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await app.SendAsync(HttpMethod.Post, "/app/orders", cookie, headers: ("X-CSRF", "1"))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await app.GetAsync("/app/dashboard", cookie + "-denied")).StatusCode);
        Assert.Equal(HttpStatusCode.Found, (await app.GetAsync("/app/dashboard", cookie + "-unknown", "text/html")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.GetAsync("/app/dashboard", cookie + "-unknown")).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await app.GetAsync("/signout", cookie)).StatusCode);
        portal.ForcedStatus = 500;
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await app.GetAsync("/app/dashboard", cookie)).StatusCode);

        Assert.NotEmpty(app.Logs.Entries);
        Assert.Contains(app.Logs.Entries, e => e.Category.StartsWith("System.Net.Http.HttpClient", StringComparison.Ordinal));
        Assert.DoesNotContain(app.Logs.AllText(), line => line.Contains(Secret, StringComparison.Ordinal));
    }
}
