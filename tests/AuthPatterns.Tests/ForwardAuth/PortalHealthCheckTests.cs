using AuthPatterns.ForwardAuth;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace AuthPatterns.Tests.ForwardAuth;

/// <summary>The portal check against a real (fake) portal on a loopback port; time only moves when a test moves it.</summary>
public sealed class PortalHealthCheckTests : IAsyncLifetime
{
    private FakePortal _portal = null!;

    public async Task InitializeAsync() => _portal = await FakePortal.StartAsync();

    public async Task DisposeAsync() => await _portal.DisposeAsync();

    private static Task<ForwardAuthTestApp> StartAsync(Action<ForwardAuthAuthenticationOptions> configure, TimeSpan? timeout = null) =>
        ForwardAuthTestApp.StartAsync(
            o =>
            {
                o.AllowedHosts.Add("app.example.com");
                configure(o);
            },
            host: b => b.Services.AddHealthChecks().AddForwardAuthPortalCheck(timeout: timeout));

    private static async Task<HealthReportEntry> CheckAsync(ForwardAuthTestApp app) =>
        (await app.App.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync()).Entries["forward-auth-portal"];

    [Fact]
    public async Task An_Authelia_portal_answering_401_to_a_probe_without_a_cookie_is_healthy()
    {
        _portal.Add("session-1", new PortalUser("alice", "Alice", "alice@example.com", ["admins"]));
        await using var app = await StartAsync(o => o.UseAuthelia(_portal.BaseUrl));

        var entry = await CheckAsync(app);

        Assert.Equal(HealthStatus.Healthy, entry.Status);
        Assert.Equal(401, entry.Data["status"]);
        var probe = Assert.Single(_portal.Received);
        Assert.False(probe.ContainsKey("Cookie"));
        Assert.Equal("GET", probe["X-Forwarded-Method"]);
    }

    [Fact]
    public async Task An_oauth2_proxy_portal_answering_401_is_healthy()
    {
        await using var app = await StartAsync(o => o.UseOAuth2Proxy(_portal.BaseUrl));
        var entry = await CheckAsync(app);
        Assert.Equal(HealthStatus.Healthy, entry.Status);
        Assert.Equal(401, entry.Data["status"]);
    }

    [Theory]
    [InlineData(500)]
    [InlineData(503)]
    [InlineData(404)]
    [InlineData(400)]
    public async Task A_portal_answering_an_error_or_an_undefined_status_is_unhealthy(int status)
    {
        _portal.ForcedStatus = status;
        await using var app = await StartAsync(o => o.UseAuthelia(_portal.BaseUrl));
        var entry = await CheckAsync(app);
        Assert.Equal(HealthStatus.Unhealthy, entry.Status);
        Assert.Equal(status, entry.Data["status"]);
    }

    [Fact]
    public async Task A_portal_that_is_down_is_unhealthy()
    {
        var gone = await FakePortal.StartAsync();
        var address = gone.BaseUrl;
        await gone.DisposeAsync();
        await using var app = await StartAsync(o => o.UseAuthelia(address));

        var entry = await CheckAsync(app);

        Assert.Equal(HealthStatus.Unhealthy, entry.Status);
        Assert.Contains("unreachable", entry.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_portal_answering_after_more_than_half_the_timeout_is_degraded()
    {
        await using var app = await StartAsync(o => o.UseAuthelia(_portal.BaseUrl), timeout: TimeSpan.FromSeconds(2));
        _portal.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var check = CheckAsync(app);
        Assert.True(await _portal.Arrivals.WaitAsync(TimeSpan.FromSeconds(30)));
        app.Time.Advance(TimeSpan.FromMilliseconds(1500));
        _portal.Gate.SetResult();

        var entry = await check;
        Assert.Equal(HealthStatus.Degraded, entry.Status);
        Assert.Equal(401, entry.Data["status"]);
    }

    [Fact]
    public async Task A_portal_that_does_not_answer_within_the_timeout_is_unhealthy()
    {
        await using var app = await StartAsync(o => o.UseAuthelia(_portal.BaseUrl), timeout: TimeSpan.FromSeconds(2));
        _portal.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var check = CheckAsync(app);
        Assert.True(await _portal.Arrivals.WaitAsync(TimeSpan.FromSeconds(30)));
        app.Time.Advance(TimeSpan.FromSeconds(2));

        var entry = await check;
        Assert.Equal(HealthStatus.Unhealthy, entry.Status);
        Assert.Contains("did not answer within 2000 ms", entry.Description, StringComparison.Ordinal);
        _portal.Gate.SetResult();
    }

    [Fact]
    public void A_timeout_out_of_range_is_refused_naming_it()
    {
        var builder = new ServiceCollection().AddHealthChecks();
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => builder.AddForwardAuthPortalCheck(timeout: TimeSpan.Zero));
        Assert.Equal("timeout", error.ParamName);
    }
}
