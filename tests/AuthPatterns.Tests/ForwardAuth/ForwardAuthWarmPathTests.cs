using System.Net;
using System.Text.Json;
using AuthPatterns.ForwardAuth;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace AuthPatterns.Tests.ForwardAuth;

/// <summary>
/// A session whose portal answer is cached is served by the scheme's warm path, with the handler's own answer, and only
/// after the handler's own checks: the CSRF defence, the endpoint that may ask for the user, the allowed host. Each test
/// counts the requests the warm path answered, so a check it skipped, or a request it should have left to the handler,
/// shows.
/// </summary>
[Collection(ForwardAuthCollection.Name)]
public sealed class ForwardAuthWarmPathTests : IAsyncLifetime
{
    private const string AliceCookie = "authelia_session=alice-0123456789abcdef";
    private FakePortal _portal = null!;
    private int _warm;

    public async Task InitializeAsync()
    {
        _portal = await FakePortal.StartAsync();
        _portal.Add("alice-0123456789abcdef", new PortalUser("alice", "Alice Liddell", "alice@example.com", ["admins", "dev"]));
    }

    public async Task DisposeAsync() => await _portal.DisposeAsync();

    private int Warm => Volatile.Read(ref _warm);

    private Task<ForwardAuthTestApp> StartAsync(Action<ForwardAuthAuthenticationOptions>? more = null) =>
        ForwardAuthTestApp.StartAsync(
            o =>
            {
                o.UseAuthelia(_portal.BaseUrl);
                o.AllowedHosts.Add("app.example.com");
                o.MapGroup("admins", "orders:read", "orders:write");
                more?.Invoke(o);
            },
            pipeline: app => app.Use(async (context, next) =>
            {
                await next(context);
                if (ForwardAuthWarmPath.AnswerOf(context) is not null)
                {
                    Interlocked.Increment(ref _warm);
                }
            }));

    [Fact]
    public async Task A_cached_session_gets_the_handlers_identity_outcome_and_cache_hit()
    {
        await using var app = await StartAsync();
        var meters = app.App.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        using var outcomes = new MetricCollector<long>(meters, LayeredAuthTelemetry.MeterName, "authpatterns.authentication.outcomes");
        using var lookups = new MetricCollector<long>(meters, LayeredAuthTelemetry.MeterName, "authpatterns.forward_auth.cache_lookups");

        var bodies = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            using var response = await app.GetAsync("/app/dashboard", AliceCookie);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            bodies.Add(await response.Content.ReadAsStringAsync());
        }

        // The first request asked the portal through the handler; the other two were answered warm, the same way.
        Assert.Equal(1, _portal.Calls);
        Assert.Equal(2, Warm);
        Assert.Single(bodies.Distinct());
        var me = JsonDocument.Parse(bodies[0]).RootElement;
        Assert.Equal("alice", me.GetProperty("sub").GetString());
        Assert.Equal(LayeredAuthSchemes.ForwardAuth, me.GetProperty("scheme").GetString());
        Assert.Equal(["orders:read", "orders:write"], me.GetProperty("scopes").EnumerateArray().Select(e => e.GetString()).Order());

        Assert.Equal(3, outcomes.GetMeasurementSnapshot().Count(m => Tag(m.Tags, "scheme") == LayeredAuthSchemes.ForwardAuth && Tag(m.Tags, "outcome") == "success"));
        Assert.Equal(2, lookups.GetMeasurementSnapshot().Count(m => Tag(m.Tags, "result") == "hit"));
        Assert.Equal(1, lookups.GetMeasurementSnapshot().Count(m => Tag(m.Tags, "result") == "miss"));
        Assert.Equal(3, app.Logs.Entries.Count(e => e.EventId == 4000));
    }

    [Fact]
    public async Task A_cached_session_is_still_refused_an_unsafe_request_without_a_CSRF_defence()
    {
        await using var app = await StartAsync();
        using (var signedIn = await app.SendAsync(HttpMethod.Post, "/app/orders", AliceCookie, headers: ("X-CSRF", "1")))
        {
            Assert.Equal(HttpStatusCode.OK, signedIn.StatusCode);
        }

        using var forged = await app.SendAsync(HttpMethod.Post, "/app/orders", AliceCookie);

        Assert.Equal(HttpStatusCode.Forbidden, forged.StatusCode);
        Assert.Equal("csrf_required", JsonDocument.Parse(await forged.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString());
        Assert.Equal(0, Warm);
    }

    [Fact]
    public async Task A_cached_session_is_not_served_for_a_host_the_portal_was_not_asked_about_or_not_allowed()
    {
        await using var app = await StartAsync(o => o.AllowedHosts.Add("other.example.com"));
        using (var signedIn = await app.GetAsync("/app/dashboard", AliceCookie))
        {
            Assert.Equal(HttpStatusCode.OK, signedIn.StatusCode);
        }

        // Another allowed host is another question for the portal; a host not allowed is never answered.
        using var otherHost = await app.GetAsync("/app/dashboard", AliceCookie, headers: ("X-Test-Host", "other.example.com"));
        using var forgedHost = await app.GetAsync("/app/dashboard", AliceCookie, headers: ("X-Test-Host", "evil.example.net"));

        Assert.Equal(HttpStatusCode.OK, otherHost.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, forgedHost.StatusCode);
        Assert.Equal(2, _portal.Calls);
        Assert.Equal(0, Warm);
    }

    [Fact]
    public async Task A_cached_session_on_an_anonymous_endpoint_leaves_the_endpoint_anonymous()
    {
        await using var app = await StartAsync();
        (await app.GetAsync("/app/dashboard", AliceCookie)).Dispose();

        using var echo = await app.GetAsync("/public/echo", AliceCookie);

        Assert.False(JsonDocument.Parse(await echo.Content.ReadAsStringAsync()).RootElement.GetProperty("authenticated").GetBoolean());
        Assert.Equal(0, Warm);
    }

    [Fact]
    public async Task An_applications_Validated_event_runs_on_every_cached_request()
    {
        var seen = 0;
        await using var app = await StartAsync(o => o.Events.OnValidated = _ =>
        {
            Interlocked.Increment(ref seen);
            return Task.CompletedTask;
        });

        for (var i = 0; i < 3; i++)
        {
            using var response = await app.GetAsync("/app/dashboard", AliceCookie);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal(3, seen);
        Assert.Equal(1, _portal.Calls);
        Assert.Equal(0, Warm);
    }

    [Fact]
    public async Task After_a_sign_out_here_the_next_request_asks_the_portal_again()
    {
        await using var app = await StartAsync();
        (await app.GetAsync("/app/dashboard", AliceCookie)).Dispose();
        (await app.GetAsync("/app/dashboard", AliceCookie)).Dispose();
        Assert.Equal(1, Warm);

        (await app.GetAsync("/signout", AliceCookie)).Dispose();
        _portal.Sessions.TryRemove("alice-0123456789abcdef", out _);
        using var after = await app.GetAsync("/app/dashboard", AliceCookie);

        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
        Assert.Equal(2, _portal.Calls);
        Assert.Equal(1, Warm);
    }

    private static string? Tag(IReadOnlyDictionary<string, object?> tags, string name) =>
        tags.TryGetValue(name, out var value) ? value as string : null;
}
