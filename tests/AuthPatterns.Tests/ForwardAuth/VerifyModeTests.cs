using System.Net;
using System.Text.Json;
using AuthPatterns.ForwardAuth;
using AuthPatterns.Infrastructure;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Options;

namespace AuthPatterns.Tests.ForwardAuth;

[Collection(ForwardAuthCollection.Name)]
public sealed class VerifyModeTests : IAsyncLifetime
{
    private const string AliceCookie = "authelia_session=alice-0123456789abcdef";
    private FakePortal _portal = null!;

    public async Task InitializeAsync()
    {
        _portal = await FakePortal.StartAsync();
        _portal.Add("alice-0123456789abcdef", new PortalUser("alice", "Alice Liddell", "alice@example.com", ["admins", "dev"]));
        _portal.Add("mallory-0123456789abcdef", new PortalUser("mallory", "Mallory", "mallory@example.com", ["dev"], Denied: true));
        _portal.Add("oauth-bob-0123456789", new PortalUser("bob", "bobby", "bob@example.com", ["staff"]));
        _portal.Add("oauth-carol-0123456789", new PortalUser("carol", "carol", "carol@example.com", ["contractors"]));
    }

    public async Task DisposeAsync() => await _portal.DisposeAsync();

    private Task<ForwardAuthTestApp> Authelia(Action<ForwardAuthAuthenticationOptions>? more = null) =>
        ForwardAuthTestApp.StartAsync(o =>
        {
            o.UseAuthelia(_portal.BaseUrl);
            o.AllowedHosts.Add("app.example.com");
            o.MapGroup("admins", "orders:read", "orders:write");
            o.MapUser("alice", "profile:read");
            more?.Invoke(o);
        });

    private Task<ForwardAuthTestApp> OAuth2Proxy(Action<ForwardAuthAuthenticationOptions>? more = null) =>
        ForwardAuthTestApp.StartAsync(o =>
        {
            o.VerifyUrl = new Uri(_portal.OAuth2ProxyVerifyUrl + "?allowed_groups=staff");
            o.UseOAuth2Proxy(_portal.BaseUrl);
            o.AllowedHosts.Add("app.example.com");
            o.MapGroup("staff", "orders:read");
            more?.Invoke(o);
        });

    private static async Task<JsonElement> Json(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

    private static string[] Strings(JsonElement element, string name) =>
        element.GetProperty(name).EnumerateArray().Select(e => e.GetString()!).ToArray();

    [Fact]
    public async Task Calling_AddForwardAuth_twice_registers_the_scheme_once_and_applies_both_configurations()
    {
        await using var app = await ForwardAuthTestApp.StartAsync(
            o =>
            {
                o.UseAuthelia(_portal.BaseUrl);
                o.AllowedHosts.Add("app.example.com");
                o.MapGroup("admins", "orders:read");
            },
            more: layered => layered.AddForwardAuth(o => o.MapUser("alice", "profile:read")));

        var response = await app.GetAsync("/app/dashboard", AliceCookie);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["orders:read", "profile:read"], Strings(await Json(response), "scopes"));
        Assert.Single(app.App.Services.GetServices<IValidateOptions<ForwardAuthAuthenticationOptions>>().OfType<ValidateOptions<ForwardAuthAuthenticationOptions, IServiceProvider>>());
    }

    [Fact]
    public async Task Authelia_session_signs_the_user_in_with_groups_and_mapped_scopes()
    {
        await using var app = await Authelia();

        var response = await app.GetAsync("/app/dashboard?tab=1", $"{AliceCookie}; theme=dark; other_app=secret-other");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await Json(response);
        Assert.Equal("alice", body.GetProperty("sub").GetString());
        Assert.Equal("Alice Liddell", body.GetProperty("name").GetString());
        Assert.Equal("alice@example.com", body.GetProperty("email").GetString());
        Assert.Equal("ForwardAuth", body.GetProperty("scheme").GetString());
        Assert.Equal("ForwardAuth", body.GetProperty("authenticationType").GetString());
        Assert.Equal(["admins", "dev"], Strings(body, "groups"));
        Assert.Equal(["orders:read", "orders:write", "profile:read"], Strings(body, "scopes"));

        // The portal was asked the way Traefik asks it, with only its own cookie.
        var sent = Assert.Single(_portal.Received);
        Assert.Equal("GET", sent["X-Forwarded-Method"]);
        Assert.Equal("https", sent["X-Forwarded-Proto"]);
        Assert.Equal("app.example.com", sent["X-Forwarded-Host"]);
        Assert.Equal("/app/dashboard?tab=1", sent["X-Forwarded-Uri"]);
        Assert.Equal(ForwardAuthTestApp.DefaultRemoteAddress, sent["X-Forwarded-For"]);
        Assert.Equal(AliceCookie, sent["Cookie"]);
    }

    [Fact]
    public async Task Validated_event_runs_per_request_and_can_add_scopes_or_reject()
    {
        var seen = 0;
        await using var app = await Authelia(o => o.Events.OnValidated = context =>
        {
            seen++;
            if (context.User == "alice" && seen > 2)
            {
                context.Fail("suspended");
                return Task.CompletedTask;
            }

            ((System.Security.Claims.ClaimsIdentity)context.Principal!.Identity!).AddClaim(new System.Security.Claims.Claim(LayeredClaimTypes.Scope, "extra:read"));
            return Task.CompletedTask;
        });

        for (var i = 0; i < 2; i++)
        {
            var body = await Json(await app.GetAsync("/app/dashboard", AliceCookie));
            Assert.Equal(["orders:read", "orders:write", "profile:read", "extra:read"], Strings(body, "scopes"));
        }

        Assert.Equal(HttpStatusCode.Unauthorized, (await app.GetAsync("/app/dashboard", AliceCookie)).StatusCode);
        Assert.Equal(3, seen);
        Assert.Equal(1, _portal.Calls);
    }

    [Fact]
    public async Task OAuth2Proxy_session_signs_the_user_in_including_a_split_cookie()
    {
        await using var app = await OAuth2Proxy();

        var whole = await app.GetAsync("/app/dashboard", "_oauth2_proxy=oauth-bob-0123456789");
        Assert.Equal(HttpStatusCode.OK, whole.StatusCode);
        var body = await Json(whole);
        Assert.Equal("bob", body.GetProperty("sub").GetString());
        Assert.Equal("bobby", body.GetProperty("name").GetString());
        Assert.Equal("bob@example.com", body.GetProperty("email").GetString());
        Assert.Equal(["staff"], Strings(body, "groups"));
        Assert.Equal(["orders:read"], Strings(body, "scopes"));

        var split = await app.GetAsync("/app/dashboard", "_oauth2_proxy_0=oauth-bob-; unrelated=1; _oauth2_proxy_1=0123456789");
        Assert.Equal(HttpStatusCode.OK, split.StatusCode);
        Assert.Equal("_oauth2_proxy_0=oauth-bob-; _oauth2_proxy_1=0123456789", _portal.Received.Last()["Cookie"]);
    }

    [Theory]
    [InlineData("authelia_session=unknown-session")]
    [InlineData(null)]
    public async Task Browser_that_is_not_signed_in_is_redirected_to_the_portal_with_rd(string? cookie)
    {
        await using var app = await Authelia();

        var response = await app.GetAsync("/app/dashboard?tab=2&x=%2F", cookie, accept: "text/html,application/xhtml+xml");

        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        var location = response.Headers.Location!;
        Assert.StartsWith(_portal.BaseUrl.AbsoluteUri + "?rd=", location.AbsoluteUri, StringComparison.Ordinal);
        var rd = Uri.UnescapeDataString(location.Query[(location.Query.IndexOf("rd=", StringComparison.Ordinal) + 3)..]);
        Assert.Equal("https://app.example.com/app/dashboard?tab=2&x=%2F", rd);
        Assert.False(response.Headers.Contains("WWW-Authenticate"));
    }

    [Fact]
    public async Task Browser_POST_that_is_not_signed_in_gets_303()
    {
        await using var app = await Authelia();

        var response = await app.SendAsync(HttpMethod.Post, "/app/orders", "authelia_session=unknown", "text/html", ("X-CSRF", "1"));

        Assert.Equal(HttpStatusCode.SeeOther, response.StatusCode);
        Assert.Contains("rd=https%3A%2F%2Fapp.example.com%2Fapp%2Forders", response.Headers.Location!.AbsoluteUri, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("application/json", null)]
    [InlineData("text/html", "XMLHttpRequest")]
    [InlineData(null, null)]
    public async Task Script_that_is_not_signed_in_gets_401_with_a_ForwardAuth_challenge(string? accept, string? requestedWith)
    {
        await using var app = await Authelia();
        (string, string)[] headers = requestedWith is null ? [] : [("X-Requested-With", requestedWith)];

        var response = await app.GetAsync("/app/dashboard", "authelia_session=unknown", accept, headers);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("ForwardAuth realm=\"portal\"", Assert.Single(response.Headers.WwwAuthenticate).ToString());
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Null(response.Headers.Location);
    }

    [Fact]
    public async Task Valid_cookie_for_a_host_not_allowed_is_never_verified()
    {
        await using var app = await Authelia();

        var response = await app.GetAsync("/app/dashboard", AliceCookie, headers: ("X-Test-Host", "public.example.com"));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(0, _portal.Calls);
        Assert.True(app.Logs.Any(4015));
    }

    [Fact]
    public async Task Authelia_denial_is_403_and_never_a_redirect()
    {
        await using var app = await Authelia();

        var response = await app.GetAsync("/app/dashboard", "authelia_session=mallory-0123456789abcdef", "text/html");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("forbidden", (await Json(response)).GetProperty("error").GetString());
        Assert.Null(response.Headers.Location);
    }

    [Fact]
    public async Task OAuth2Proxy_allowed_groups_denial_is_403()
    {
        await using var app = await OAuth2Proxy();

        var response = await app.GetAsync("/app/dashboard", "_oauth2_proxy=oauth-carol-0123456789");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(1, _portal.Calls);
    }

    [Fact]
    public async Task Portal_down_fails_closed_with_503_and_Retry_After()
    {
        var closedPort = ClosedPort();
        await using var app = await ForwardAuthTestApp.StartAsync(o =>
        {
            o.VerifyUrl = new Uri($"http://127.0.0.1:{closedPort}/api/authz/forward-auth");
            o.AllowedHosts.Add("app.example.com");
            o.RetryAfter = TimeSpan.FromSeconds(7);
        });
        using var verifications = new MetricCollector<long>(
            app.App.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), LayeredAuthTelemetry.MeterName, "authpatterns.forward_auth.verifications");

        var response = await app.GetAsync("/app/dashboard", AliceCookie);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("7", response.Headers.GetValues("Retry-After").Single());
        Assert.Equal("portal_unavailable", (await Json(response)).GetProperty("error").GetString());
        Assert.True(app.Logs.Any(4004), "the log says the portal could not be reached");
        Assert.Contains(verifications.GetMeasurementSnapshot(), m => m.Tags.TryGetValue("outcome", out var outcome) && "unreachable".Equals(outcome));

        // An anonymous endpoint still works, as anonymous.
        var echo = await app.GetAsync("/public/echo", AliceCookie);
        Assert.Equal(HttpStatusCode.OK, echo.StatusCode);
        Assert.False((await Json(echo)).GetProperty("authenticated").GetBoolean());
    }

    [Theory]
    [InlineData(500)]
    [InlineData(502)]
    [InlineData(404)]
    public async Task Portal_errors_fail_closed_with_503_never_500(int status)
    {
        _portal.ForcedStatus = status;
        await using var app = await Authelia();

        var response = await app.GetAsync("/app/dashboard", AliceCookie, "text/html");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.True(app.Logs.Any(4005));
    }

    [Fact]
    public async Task Portal_answer_without_a_user_fails_closed()
    {
        _portal.Add("nameless", new PortalUser(" ", "x", "x@example.com", []));
        await using var app = await Authelia();

        var response = await app.GetAsync("/app/dashboard", "authelia_session=nameless");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.True(app.Logs.Any(4009));
    }

    [Fact]
    public async Task Slow_portal_times_out_and_fails_closed()
    {
        _portal.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var app = await Authelia(o => o.VerifyTimeout = TimeSpan.FromSeconds(2));

        var pending = app.GetAsync("/app/dashboard", AliceCookie);
        Assert.True(await _portal.Arrivals.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.False(pending.IsCompleted);
        app.Time.Advance(TimeSpan.FromSeconds(2));

        var response = await pending.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.True(app.Logs.Any(4003));
    }

    [Fact]
    public async Task Concurrent_verify_calls_are_bounded_and_the_excess_is_shed_without_starving_the_server()
    {
        _portal.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        for (var i = 0; i < 40; i++)
        {
            _portal.Add($"user-{i}", new PortalUser($"user{i}", "U", "u@example.com", ["admins"]));
        }

        await using var app = await Authelia(o => o.MaxConcurrentVerifications = 4);

        var requests = Enumerable.Range(0, 40).Select(i => app.GetAsync("/app/dashboard", $"authelia_session=user-{i}")).ToArray();
        for (var i = 0; i < 4; i++)
        {
            Assert.True(await _portal.Arrivals.WaitAsync(TimeSpan.FromSeconds(30)));
        }

        // With four calls stuck at the portal, the other 36 come back at once (shed, 503) and the server still answers.
        var pending = requests.ToList();
        for (var shed = 0; shed < 36; shed++)
        {
            var done = await Task.WhenAny(pending).WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await done).StatusCode);
            pending.Remove(done);
        }

        // The portal never saw more than the limit at once, and the four it holds are still waiting, not shed.
        Assert.InRange(_portal.MaxInFlight, 1, 4);
        Assert.All(pending, request => Assert.False(request.IsCompleted));
        Assert.Equal(HttpStatusCode.OK, (await app.GetAsync("/ping")).StatusCode);
        Assert.Equal(4, _portal.InFlight);
        // Logged at most once a second with the number shed, never once per shed request.
        Assert.InRange(app.Logs.Entries.Count(e => e.EventId == 4006), 1, 35);

        _portal.Gate.SetResult();
        var all = await Task.WhenAll(requests).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(4, all.Count(r => r.StatusCode == HttpStatusCode.OK));
        Assert.Equal(4, _portal.MaxInFlight);
        Assert.Equal(4, _portal.Calls);
    }

    [Fact]
    public async Task Concurrent_requests_with_one_cookie_share_one_verify_call()
    {
        _portal.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var app = await Authelia();

        var requests = Enumerable.Range(0, 25).Select(_ => app.GetAsync("/app/dashboard", AliceCookie)).ToArray();
        Assert.True(await _portal.Arrivals.WaitAsync(TimeSpan.FromSeconds(30)));
        _portal.Gate.SetResult();

        var responses = await Task.WhenAll(requests).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(1, _portal.Calls);
    }

    [Fact]
    public async Task N_requests_within_the_cache_lifetime_cause_one_verify_call()
    {
        await using var app = await Authelia();

        for (var i = 0; i < 50; i++)
        {
            var response = await app.GetAsync("/app/dashboard", AliceCookie);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            app.Time.Advance(TimeSpan.FromMilliseconds(500));
        }

        Assert.Equal(1, _portal.Calls);

        app.Time.Advance(TimeSpan.FromSeconds(6));
        Assert.Equal(HttpStatusCode.OK, (await app.GetAsync("/app/dashboard", AliceCookie)).StatusCode);
        Assert.Equal(2, _portal.Calls);

        // Another cookie is another cache entry.
        _portal.Add("alice-second-session", _portal.Sessions["alice-0123456789abcdef"]);
        Assert.Equal(HttpStatusCode.OK, (await app.GetAsync("/app/dashboard", "authelia_session=alice-second-session")).StatusCode);
        Assert.Equal(3, _portal.Calls);
    }

    [Fact]
    public async Task A_not_signed_in_answer_is_reused_briefly_for_the_same_cookie_on_any_path()
    {
        await using var app = await Authelia(o => o.NotSignedInCacheDuration = TimeSpan.FromSeconds(5));

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await app.GetAsync("/app/dashboard", "authelia_session=unknown")).StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, (await app.GetAsync($"/app/other-{i}", "authelia_session=unknown")).StatusCode);
        }

        Assert.Equal(1, _portal.Calls);
        Assert.True(app.Logs.Any(4041));

        // Another unknown cookie is asked about; the session signing in is seen once the answer has expired.
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.GetAsync("/app/dashboard", "authelia_session=unknown-2")).StatusCode);
        Assert.Equal(2, _portal.Calls);
        _portal.Add("unknown", new PortalUser("late", "Late", "late@example.com", []));
        app.Time.Advance(TimeSpan.FromSeconds(4));
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.GetAsync("/app/dashboard", "authelia_session=unknown")).StatusCode);
        app.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.OK, (await app.GetAsync("/app/dashboard", "authelia_session=unknown")).StatusCode);
        Assert.Equal(3, _portal.Calls);
    }

    [Fact]
    public async Task Denials_and_portal_failures_are_not_reused_and_zero_turns_the_not_signed_in_cache_off()
    {
        await using (var app = await Authelia(o => o.NotSignedInCacheDuration = TimeSpan.Zero))
        {
            for (var i = 0; i < 3; i++)
            {
                Assert.Equal(HttpStatusCode.Unauthorized, (await app.GetAsync("/app/dashboard", "authelia_session=unknown")).StatusCode);
            }

            Assert.Equal(3, _portal.Calls);
        }

        await using (var app = await Authelia())
        {
            // A denial depends on the request (the portal's rules are per path and host): asked every time.
            for (var i = 0; i < 2; i++)
            {
                Assert.Equal(HttpStatusCode.Forbidden, (await app.GetAsync("/app/dashboard", "authelia_session=mallory-0123456789abcdef")).StatusCode);
            }

            Assert.Equal(5, _portal.Calls);

            _portal.ForcedStatus = 502;
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await app.GetAsync("/app/dashboard", AliceCookie)).StatusCode);
            _portal.ForcedStatus = null;
            Assert.Equal(HttpStatusCode.OK, (await app.GetAsync("/app/dashboard", AliceCookie)).StatusCode);
            Assert.Equal(7, _portal.Calls);
        }
    }

    [Fact]
    public async Task Sign_out_forgets_a_cached_not_signed_in_answer_too()
    {
        await using var app = await Authelia();
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.GetAsync("/app/dashboard", "authelia_session=later")).StatusCode);
        _portal.Add("later", new PortalUser("later", "Later", "later@example.com", []));

        Assert.Equal(HttpStatusCode.Redirect, (await app.GetAsync("/signout", "authelia_session=later")).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await app.GetAsync("/app/dashboard", "authelia_session=later")).StatusCode);
        Assert.Equal(2, _portal.Calls);
    }

    [Fact]
    public async Task A_cookie_on_an_anonymous_endpoint_causes_no_portal_call_and_the_endpoint_runs_anonymous()
    {
        await using var app = await Authelia();

        Assert.Equal(HttpStatusCode.OK, (await app.GetAsync("/ping", AliceCookie)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await app.GetAsync("/ping", "authelia_session=made-up")).StatusCode);
        var echo = await app.GetAsync("/public/echo", AliceCookie);
        Assert.Equal(HttpStatusCode.OK, echo.StatusCode);
        Assert.False((await Json(echo)).GetProperty("authenticated").GetBoolean());
        Assert.Equal(HttpStatusCode.Redirect, (await app.GetAsync("/signout", AliceCookie)).StatusCode);

        Assert.Equal(0, _portal.Calls);

        // The endpoint that accepts the cookie still asks.
        Assert.Equal(HttpStatusCode.OK, (await app.GetAsync("/app/dashboard", AliceCookie)).StatusCode);
        Assert.Equal(1, _portal.Calls);
    }

    [Theory]
    [InlineData(false, 0)]
    [InlineData(true, 1)]
    public async Task A_cookie_on_an_unmatched_path_calls_the_portal_only_under_a_fallback_policy(bool fallbackPolicy, int calls)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Development" });
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        builder.Services.AddLayeredAuth().AddForwardAuth(o =>
        {
            o.UseAuthelia(_portal.BaseUrl);
            o.AllowedHosts.Add("app.example.com");
        });
        if (fallbackPolicy)
        {
            builder.Services.AddAuthorization(o => o.FallbackPolicy = new Microsoft.AspNetCore.Authorization.AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build());
        }

        await using var app = builder.Build();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapGet("/app/dashboard", () => "dashboard").RequireAuthorization();
        await app.StartAsync();
        using var client = app.GetTestClient();

        using var request = new HttpRequestMessage(HttpMethod.Get, "https://app.example.com/nowhere");
        request.Headers.Add("Cookie", "authelia_session=made-up");
        var response = await client.SendAsync(request);

        Assert.Equal(fallbackPolicy ? HttpStatusCode.Unauthorized : HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(calls, _portal.Calls);
    }

    [Fact]
    public async Task Authentication_before_routing_is_reported_and_never_redirects_a_browser_in_a_loop()
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Development" });
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        var logs = new LogCapture();
        builder.Logging.AddProvider(logs);
        builder.Services.AddLayeredAuth().AddForwardAuth(o =>
        {
            o.UseAuthelia(_portal.BaseUrl);
            o.AllowedHosts.Add("app.example.com");
        });

        await using var app = builder.Build();
        app.UseAuthentication();
        app.UseRouting();
        app.UseAuthorization();
        app.MapGet("/app/dashboard", () => "dashboard").RequireAuthorization();
        await app.StartAsync();
        using var client = app.GetTestClient();

        using var request = new HttpRequestMessage(HttpMethod.Get, "https://app.example.com/app/dashboard");
        request.Headers.Add("Cookie", AliceCookie);
        request.Headers.TryAddWithoutValidation("Accept", "text/html");
        var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.True(logs.Any(4040));
    }

    [Fact]
    public async Task A_flood_of_slow_bogus_cookies_leaves_a_signed_in_users_cached_requests_served()
    {
        await using var app = await Authelia();
        Assert.Equal(HttpStatusCode.OK, (await app.GetAsync("/app/dashboard", AliceCookie)).StatusCode);
        Assert.True(await _portal.Arrivals.WaitAsync(TimeSpan.FromSeconds(30)));

        // The portal now hangs; 100 made-up sessions arrive at once.
        _portal.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var flood = Enumerable.Range(0, 100).Select(i => app.GetAsync("/app/dashboard", $"authelia_session=bogus-{i:D3}-0123456789")).ToArray();
        for (var i = 0; i < 64; i++)
        {
            Assert.True(await _portal.Arrivals.WaitAsync(TimeSpan.FromSeconds(30)));
        }

        // The signed-in user is served from the cache while the portal holds the limit of calls.
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await app.GetAsync("/app/dashboard", AliceCookie)).StatusCode);
        }

        Assert.Equal(64, _portal.InFlight);
        _portal.Gate.SetResult();
        var answers = await Task.WhenAll(flood).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(64, answers.Count(r => r.StatusCode == HttpStatusCode.Unauthorized));
        Assert.Equal(36, answers.Count(r => r.StatusCode == HttpStatusCode.ServiceUnavailable));
        Assert.Equal(65, _portal.Calls);
        Assert.Equal(64, _portal.MaxInFlight);

        // The same cookies again: those the portal refused are answered without asking it.
        var refused = Enumerable.Range(0, 100).Where(i => answers[i].StatusCode == HttpStatusCode.Unauthorized).ToList();
        var again = await Task.WhenAll(refused.Select(i => app.GetAsync("/app/dashboard", $"authelia_session=bogus-{i:D3}-0123456789")));
        Assert.All(again, r => Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode));
        Assert.Equal(65, _portal.Calls);
    }

    [Fact]
    public async Task Logout_at_the_portal_is_honoured_after_the_cache_lifetime()
    {
        await using var app = await Authelia(o => o.CacheDuration = TimeSpan.FromSeconds(10));
        Assert.Equal(HttpStatusCode.OK, (await app.GetAsync("/app/dashboard", AliceCookie)).StatusCode);

        Assert.True(_portal.Sessions.TryRemove("alice-0123456789abcdef", out _));
        app.Time.Advance(TimeSpan.FromSeconds(9));
        Assert.Equal(HttpStatusCode.OK, (await app.GetAsync("/app/dashboard", AliceCookie)).StatusCode);

        app.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.GetAsync("/app/dashboard", AliceCookie)).StatusCode);
        Assert.Equal(2, _portal.Calls);
    }

    [Fact]
    public async Task Sign_out_redirects_to_the_portal_logout_and_forgets_the_cached_answer()
    {
        await using var app = await Authelia();
        Assert.Equal(HttpStatusCode.OK, (await app.GetAsync("/app/dashboard", AliceCookie)).StatusCode);

        var signOut = await app.GetAsync("/signout", AliceCookie);
        Assert.Equal(HttpStatusCode.Redirect, signOut.StatusCode);
        Assert.Equal(new Uri(_portal.BaseUrl, "logout"), signOut.Headers.Location);

        _portal.Sessions.TryRemove("alice-0123456789abcdef", out _);
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.GetAsync("/app/dashboard", AliceCookie)).StatusCode);

        // The dashboard and the dashboard again: the sign-out endpoint is anonymous and asks nothing.
        Assert.Equal(2, _portal.Calls);
    }

    [Fact]
    public async Task Zero_cache_duration_asks_the_portal_every_time()
    {
        await using var app = await Authelia(o => o.CacheDuration = TimeSpan.Zero);

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await app.GetAsync("/app/dashboard", AliceCookie)).StatusCode);
        }

        Assert.Equal(3, _portal.Calls);
    }

    [Fact]
    public async Task Cache_stays_within_its_size_limit()
    {
        for (var i = 0; i < 30; i++)
        {
            _portal.Add($"many-{i}", new PortalUser($"u{i}", "U", "u@example.com", []));
        }

        await using var app = await Authelia(o => o.CacheSizeLimit = 10);
        for (var i = 0; i < 30; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await app.GetAsync("/app/dashboard", $"authelia_session=many-{i}")).StatusCode);
            app.Time.Advance(TimeSpan.FromMilliseconds(10));
        }

        // The most recent answers are kept; older ones were evicted and are asked again.
        var before = _portal.Calls;
        Assert.Equal(HttpStatusCode.OK, (await app.GetAsync("/app/dashboard", "authelia_session=many-29")).StatusCode);
        Assert.Equal(before, _portal.Calls);
        Assert.Equal(HttpStatusCode.OK, (await app.GetAsync("/app/dashboard", "authelia_session=many-0")).StatusCode);
        Assert.Equal(before + 1, _portal.Calls);
    }

    private static int ClosedPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

[CollectionDefinition(Name)]
public sealed class ForwardAuthCollection
{
    public const string Name = "ForwardAuth";
}
