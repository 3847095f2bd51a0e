using System.Net;
using System.Text.Json;
using AuthPatterns.ApiKeys;
using AuthPatterns.ForwardAuth;
using AuthPatterns.Tests.ApiKeys;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;

namespace AuthPatterns.Tests.ForwardAuth;

/// <summary>
/// Trusted headers only with the proxy's proof, verify answers never shared across hosts, methods or paths, and no
/// address check that a sender's <c>X-Forwarded-For</c> can satisfy.
/// </summary>
[Collection(ForwardAuthCollection.Name)]
public sealed class ForwardAuthHardeningTests : IAsyncLifetime
{
    private const string Secret = "proxy-proof-7c1f9e3a5b8d0e2f4a6c8e1b3d5f7a9c";
    private const string Proxy = "10.0.0.5";
    private const string BobCookie = "authelia_session=bob-0123456789abcdef";
    private FakePortal _portal = null!;

    public async Task InitializeAsync()
    {
        _portal = await FakePortal.StartAsync();
        _portal.Add("bob-0123456789abcdef", new PortalUser("bob", "Bob", "bob@example.com", ["staff"], DeniedHosts: ["strict.example.com"]));
    }

    public async Task DisposeAsync() => await _portal.DisposeAsync();

    private static Task<ForwardAuthTestApp> TrustedHeaders(
        Action<ForwardAuthAuthenticationOptions>? more = null,
        Action<LayeredAuthBuilder>? layered = null,
        Action<WebApplicationBuilder>? host = null,
        Action<WebApplication>? pipeline = null) =>
        ForwardAuthTestApp.StartAsync(
            o =>
            {
                o.Mode = ForwardAuthMode.TrustedHeaders;
                o.TrustedProxies.Add("10.0.0.0/8");
                o.TrustedHeadersSecret = Secret;
                o.MapGroup("admins", "orders:write");
                more?.Invoke(o);
            },
            layered,
            host,
            pipeline);

    private Task<ForwardAuthTestApp> Verify(Action<ForwardAuthAuthenticationOptions>? more = null, Action<WebApplicationBuilder>? host = null, Action<LayeredAuthBuilder>? layered = null) =>
        ForwardAuthTestApp.StartAsync(
            o =>
            {
                o.UseAuthelia(_portal.BaseUrl);
                o.AllowedHosts.Add("app.example.com");
                o.AllowedHosts.Add("strict.example.com");
                o.AllowedHosts.Add("lenient.example.com");
                more?.Invoke(o);
            },
            layered,
            host);

    private static (string, string)[] Admin(string remote, string? proof) =>
        proof is null
            ? [("X-Test-Remote-IP", remote), ("Remote-User", "admin"), ("Remote-Groups", "admins")]
            : [("X-Test-Remote-IP", remote), ("Remote-User", "admin"), ("Remote-Groups", "admins"), (ForwardAuthAuthenticationDefaults.ProofHeaderName, proof)];

    private static async Task<JsonElement> Json(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

    private static string StartupFailure(OptionsValidationException error) => string.Join(' ', error.Failures);

    [Fact]
    public async Task Finding1_spoofed_Remote_User_from_a_trusted_proxy_address_without_proof_is_ignored_stripped_and_logged()
    {
        await using var app = await TrustedHeaders();

        // The route of the proxy that has no forward-auth step passes the client's own headers: the proxy's address, no proof.
        var response = await app.GetAsync("/app/dashboard", headers: Admin(Proxy, proof: null));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);

        var echo = await Json(await app.GetAsync("/public/echo", headers: Admin(Proxy, proof: null)));
        Assert.Equal(string.Empty, echo.GetProperty("remoteUser").GetString());
        Assert.False(echo.GetProperty("authenticated").GetBoolean());

        var logged = app.Logs.Entries.First(e => e.EventId == 4016);
        Assert.Contains("missing", logged.Message, StringComparison.Ordinal);
        Assert.Contains(Proxy, logged.Message, StringComparison.Ordinal);
        Assert.Contains(ForwardAuthAuthenticationDefaults.ProofHeaderName, logged.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("proxy-proof-7c1f9e3a5b8d0e2f4a6c8e1b3d5f7a9d")] // last character differs
    [InlineData("proxy-proof-7c1f9e3a5b8d0e2f4a6c8e1b3d5f7a9")] // a prefix of the secret
    [InlineData("proxy-proof-7c1f9e3a5b8d0e2f4a6c8e1b3d5f7a9cc")] // the secret and more
    [InlineData("PROXY-PROOF-7C1F9E3A5B8D0E2F4A6C8E1B3D5F7A9C")] // case differs
    [InlineData("a-wrong-proof-that-is-long-enough-to-be-a-secret")]
    public async Task Finding1_spoofed_Remote_User_with_a_wrong_proof_is_ignored_and_the_value_never_logged(string proof)
    {
        await using var app = await TrustedHeaders();

        var response = await app.GetAsync("/app/dashboard", headers: Admin(Proxy, proof));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);

        var echo = await Json(await app.GetAsync("/public/echo", headers: Admin(Proxy, proof)));
        Assert.Equal(string.Empty, echo.GetProperty("remoteUser").GetString());
        Assert.Equal(string.Empty, echo.GetProperty("proof").GetString());

        Assert.Contains(app.Logs.Entries, e => e.EventId == 4016 && e.Message.Contains("wrong", StringComparison.Ordinal));
        Assert.DoesNotContain(app.Logs.Lines, line => line.Contains(proof, StringComparison.Ordinal) || line.Contains(Secret, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Finding1_identity_headers_with_the_correct_proof_from_a_trusted_proxy_are_accepted_and_the_proof_never_reaches_an_endpoint()
    {
        await using var app = await TrustedHeaders();

        var response = await app.GetAsync("/app/dashboard", headers: Admin(Proxy, Secret));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await Json(response);
        Assert.Equal("admin", body.GetProperty("sub").GetString());
        Assert.Equal(["orders:write"], body.GetProperty("scopes").EnumerateArray().Select(e => e.GetString()!).ToArray());

        var echo = await Json(await app.GetAsync("/public/echo", headers: Admin(Proxy, Secret)));
        Assert.Equal("admin", echo.GetProperty("remoteUser").GetString());
        Assert.True(echo.GetProperty("authenticated").GetBoolean());
        Assert.Equal(string.Empty, echo.GetProperty("proof").GetString());
        Assert.DoesNotContain(app.Logs.Lines, line => line.Contains(Secret, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Finding1_correct_proof_from_an_untrusted_address_is_ignored()
    {
        await using var app = await TrustedHeaders();

        var response = await app.GetAsync("/app/dashboard", headers: Admin("203.0.113.9", Secret));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);

        var echo = await Json(await app.GetAsync("/public/echo", headers: Admin("203.0.113.9", Secret)));
        Assert.Equal(string.Empty, echo.GetProperty("remoteUser").GetString());
        Assert.Equal(string.Empty, echo.GetProperty("proof").GetString());
        Assert.Contains(app.Logs.Entries, e => e.EventId == 4007);
    }

    [Fact]
    public async Task Finding1_trusted_headers_without_a_proof_secret_fail_at_startup_naming_the_option_the_risk_and_verify_mode()
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => TrustedHeaders(o => o.TrustedHeadersSecret = null));

        var message = StartupFailure(error);
        Assert.Contains("LayeredAuth:ForwardAuth:TrustedHeadersSecret is required when Mode is TrustedHeaders", message, StringComparison.Ordinal);
        Assert.Contains("a route without forward-auth passes the client's own Remote-User header through", message, StringComparison.Ordinal);
        Assert.Contains("X-Forward-Auth-Proof", message, StringComparison.Ordinal);
        Assert.Contains("use Mode Verify", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0123456789abcdef0123456789abcde")] // 31 characters
    [InlineData("0123456789abcdef 0123456789abcdef")] // a space
    [InlineData("0123456789abcdef0123456789abcdéf")] // not ASCII
    public async Task Finding1_a_short_or_unprintable_proof_secret_fails_at_startup(string secret)
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => TrustedHeaders(o => o.TrustedHeadersSecret = secret));

        var message = StartupFailure(error);
        Assert.Contains("LayeredAuth:ForwardAuth:TrustedHeadersSecret must be at least 32 characters of visible ASCII", message, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Finding1_a_renamed_proof_header_is_the_only_one_read()
    {
        await using var app = await TrustedHeaders(o => o.ProofHeaderName = "X-Edge-Proof");

        var defaultName = await app.GetAsync("/app/dashboard", headers: Admin(Proxy, Secret));
        Assert.Equal(HttpStatusCode.Unauthorized, defaultName.StatusCode);

        var renamed = await app.GetAsync("/app/dashboard", headers: [.. Admin(Proxy, proof: null), ("X-Edge-Proof", Secret)]);
        Assert.Equal(HttpStatusCode.OK, renamed.StatusCode);
    }

    [Fact]
    public async Task Finding5_verify_mode_without_AllowedHosts_fails_at_startup_naming_the_option()
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => ForwardAuthTestApp.StartAsync(o => o.VerifyUrl = _portal.AutheliaVerifyUrl));

        var message = StartupFailure(error);
        Assert.Contains("LayeredAuth:ForwardAuth:AllowedHosts must list the hosts this service is reached at", message, StringComparison.Ordinal);
        Assert.Contains("Host header", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Finding5_a_host_switch_never_reuses_a_cached_answer()
    {
        await using var app = await Verify();

        // The portal allows bob on the lenient host; that answer is cached...
        var lenient = await app.GetAsync("/app/dashboard", BobCookie, headers: ("X-Test-Host", "lenient.example.com"));
        Assert.Equal(HttpStatusCode.OK, lenient.StatusCode);
        var again = await app.GetAsync("/app/dashboard", BobCookie, headers: ("X-Test-Host", "lenient.example.com"));
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(1, _portal.Calls);

        // ...and never answers for the strict host, whose rule denies him.
        var strict = await app.GetAsync("/app/dashboard", BobCookie, headers: ("X-Test-Host", "strict.example.com"));
        Assert.Equal(HttpStatusCode.Forbidden, strict.StatusCode);
        Assert.Equal(2, _portal.Calls);
        Assert.Equal("strict.example.com", _portal.Received.Last()["X-Forwarded-Host"]);
    }

    [Fact]
    public async Task Finding5_host_outside_AllowedHosts_never_reaches_the_portal_nor_fills_the_cache()
    {
        await using var app = await Verify();

        var invalid = await app.GetAsync("/app/dashboard", BobCookie, headers: ("X-Test-Host", "lenient.invalid"));
        Assert.Equal(HttpStatusCode.Unauthorized, invalid.StatusCode);
        Assert.Equal(0, _portal.Calls);
        Assert.Contains(app.Logs.Entries, e => e.EventId == 4015 && e.Message.Contains("lenient.invalid", StringComparison.Ordinal));

        var strict = await app.GetAsync("/app/dashboard", BobCookie, headers: ("X-Test-Host", "strict.example.com"));
        Assert.Equal(HttpStatusCode.Forbidden, strict.StatusCode);
        Assert.Equal(1, _portal.Calls);
    }

    [Fact]
    public async Task Finding5_cached_answers_are_per_method_and_exact_path_and_query_by_default()
    {
        await using var app = await Verify();

        Assert.Equal(HttpStatusCode.OK, (await app.GetAsync("/app/dashboard", BobCookie)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await app.GetAsync("/app/dashboard", BobCookie)).StatusCode);
        Assert.Equal(1, _portal.Calls);

        await app.GetAsync("/app/dashboard?tab=2", BobCookie);
        Assert.Equal(2, _portal.Calls);
        await app.GetAsync("/app/reports", BobCookie);
        Assert.Equal(3, _portal.Calls);
        await app.SendAsync(HttpMethod.Head, "/app/dashboard", BobCookie);
        Assert.Equal(4, _portal.Calls);
    }

    [Fact]
    public async Task Finding5_a_configured_path_prefix_shares_one_answer_below_it_and_nowhere_else()
    {
        await using var app = await Verify(o => o.CachePathPrefixes.Add("/app/"));

        await app.GetAsync("/app/dashboard", BobCookie);
        await app.GetAsync("/app/reports?x=1", BobCookie);
        Assert.Equal(1, _portal.Calls);

        // Outside the prefix, on another host, or by another method: asked again.
        await app.GetAsync("/apple", BobCookie);
        Assert.Equal(2, _portal.Calls);
        Assert.Equal(HttpStatusCode.Forbidden, (await app.GetAsync("/app/dashboard", BobCookie, headers: ("X-Test-Host", "strict.example.com"))).StatusCode);
        Assert.Equal(3, _portal.Calls);
        await app.SendAsync(HttpMethod.Head, "/app/dashboard", BobCookie);
        Assert.Equal(4, _portal.Calls);
    }

    [Fact]
    public void Finding5_cache_keys_separate_every_part_the_portal_sees()
    {
        using var cache = new AuthPatterns.Infrastructure.CredentialCache<ForwardAuthSessionVerifier.CachedSession>(10, TimeProvider.System);
        var basis = new ForwardedRequest("GET", "https", "app.example.com", "/a?b", "203.0.113.5");
        AuthPatterns.Infrastructure.CredentialKey Key(string cookie, ForwardedRequest request) =>
            ForwardAuthSessionVerifier.CacheKey(cache, cookie, request, []);
        var key = Key("c=1", basis);

        Assert.Equal(key, Key("c=1", basis with { Host = "APP.example.com" }));
        Assert.NotEqual(key, Key("c=2", basis));
        Assert.NotEqual(key, Key("c=1", basis with { Method = "POST" }));
        Assert.NotEqual(key, Key("c=1", basis with { Proto = "http" }));
        Assert.NotEqual(key, Key("c=1", basis with { Host = "other.example.com" }));
        Assert.NotEqual(key, Key("c=1", basis with { Uri = "/a?c" }));
        Assert.NotEqual(key, Key("c=1", basis with { For = "198.51.100.1" }));
    }

    [Theory]
    [InlineData("FORWARDEDHEADERS_ENABLED")]
    [InlineData("ASPNETCORE_FORWARDEDHEADERS_ENABLED")]
    public async Task Finding6_blanket_forwarded_headers_switch_fails_startup_in_trusted_headers_mode(string key)
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => TrustedHeaders(host: b => b.Configuration[key] = "true"));

        var message = StartupFailure(error);
        Assert.Contains("LayeredAuth:ForwardAuth:TrustedProxies cannot be checked while ASPNETCORE_FORWARDEDHEADERS_ENABLED=true", message, StringComparison.Ordinal);
        Assert.Contains("Configure<ForwardedHeadersOptions>", message, StringComparison.Ordinal);
        Assert.Contains("KnownIPNetworks", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Finding6_forwarded_headers_options_that_trust_any_sender_fail_startup_in_trusted_headers_mode()
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => TrustedHeaders(layered: l => l.Services.Configure<ForwardedHeadersOptions>(o =>
        {
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor;
            o.KnownIPNetworks.Clear();
            o.KnownProxies.Clear();
        })));

        Assert.Contains("LayeredAuth:ForwardAuth:TrustedProxies cannot be checked while ForwardedHeadersOptions forwards X-Forwarded-For with empty KnownIPNetworks and KnownProxies", StartupFailure(error), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Finding6_direct_request_spoofing_X_Forwarded_For_does_not_pass_TrustedProxies_with_explicit_KnownIPNetworks()
    {
        // A load balancer at 192.168.0.0/16 sits between the forward-auth proxy (10.0.0.5) and the app; only it is known.
        await using var app = await TrustedHeaders(
            layered: l => l.Services.Configure<ForwardedHeadersOptions>(o =>
            {
                o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
                o.KnownIPNetworks.Clear();
                o.KnownProxies.Clear();
                o.KnownIPNetworks.Add(System.Net.IPNetwork.Parse("192.168.0.0/16"));
            }),
            pipeline: a => a.UseForwardedHeaders());

        // Even with the proof (say it leaked), a direct connection cannot borrow the proxy's address.
        var spoofed = await app.GetAsync("/app/dashboard", headers: [.. Admin("203.0.113.9", Secret), ("X-Forwarded-For", Proxy)]);
        Assert.Equal(HttpStatusCode.Unauthorized, spoofed.StatusCode);
        var echo = await Json(await app.GetAsync("/public/echo", headers: [.. Admin("203.0.113.9", Secret), ("X-Forwarded-For", Proxy)]));
        Assert.Equal("203.0.113.9", echo.GetProperty("remoteAddress").GetString());
        Assert.Contains(app.Logs.Entries, e => e.EventId == 4007);

        // Through the known balancer, the proxy's address is the one the app sees, and its headers count.
        var forwarded = await app.GetAsync("/app/dashboard", headers: [.. Admin("192.168.1.1", Secret), ("X-Forwarded-For", "198.51.100.7, " + Proxy)]);
        Assert.Equal(HttpStatusCode.OK, forwarded.StatusCode);
    }

    [Fact]
    public async Task Finding6_blanket_switch_outside_trusted_headers_mode_warns_at_startup_naming_each_address_check()
    {
        await using var app = await Verify(
            host: b => b.Configuration["FORWARDEDHEADERS_ENABLED"] = "true",
            layered: l => l.AddApiKeys(ApiKeyTestApp.Cheap));

        var warning = Assert.Single(app.Logs.Entries, e => e.EventId == 4017);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains("ASPNETCORE_FORWARDEDHEADERS_ENABLED=true", warning.Message, StringComparison.Ordinal);
        Assert.Contains("the portal's network rules", warning.Message, StringComparison.Ordinal);
        Assert.Contains("API-key AllowedNetworks and per-address budgets", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Finding6_no_warning_without_the_switch()
    {
        await using var app = await Verify();

        Assert.DoesNotContain(app.Logs.Entries, e => e.EventId == 4017);
    }
}
