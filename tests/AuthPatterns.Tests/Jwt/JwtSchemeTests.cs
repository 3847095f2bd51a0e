using System.Net;
using System.Net.Http.Json;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text.Json;
using AuthPatterns.Jwt;
using AuthPatterns.Tests.Layered;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using static AuthPatterns.Tests.Jwt.JwtTestKit;

namespace AuthPatterns.Tests.Jwt;

public sealed class JwtSchemeTests : IDisposable
{
    private readonly RSA _key = RSA.Create(2048);
    private readonly FakeTimeProvider _time = new(Start);

    public void Dispose() => _key.Dispose();

    private string Token(Action<Dictionary<string, object>>? change = null, string kid = "k1") =>
        SignRs(_key, Header(kid), Payload(_time.GetUtcNow(), change));

    private FakeJwksHandler Jwks() => new(JwtTestKit.Jwks(Jwk(_key, "k1")));

    [Fact]
    public async Task Valid_token_yields_sub_client_id_jti_and_one_claim_per_scope()
    {
        await using var app = await StartHostAsync(Jwks(), _time);
        var response = await app.Client().SendAsync(Get("/api/ping", Token(c => c["jti"] = "t-1")));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("svc-billing", body.GetProperty("sub").GetString());
        Assert.Equal("billing", body.GetProperty("clientId").GetString());
        Assert.Equal("t-1", body.GetProperty("jti").GetString());
        Assert.Equal(["reports:read", "orders:read"], body.GetProperty("scopes").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(LayeredAuthSchemes.Bearer, body.GetProperty("scheme").GetString());
    }

    [Theory]
    [InlineData("\"reports:read orders:read\"")]
    [InlineData("[\"reports:read\",\"orders:read\"]")]
    public async Task Scopes_come_from_scp_as_a_string_or_an_array(string scp)
    {
        await using var app = await StartHostAsync(Jwks(), _time);
        var payload = Payload(_time.GetUtcNow(), c => c.Remove("scope")).TrimEnd('}') + ",\"scp\":" + scp + "}";
        var response = await app.Client().SendAsync(Get("/api/ping", SignRs(_key, Header(), payload)));

        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(["reports:read", "orders:read"], body.GetProperty("scopes").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task An_audience_array_containing_ours_is_accepted()
    {
        await using var app = await StartHostAsync(Jwks(), _time);
        var response = await app.Client().SendAsync(Get("/api/ping", Token(c => c["aud"] = new[] { "billing-api", Audience })));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Missing_scope_is_403_with_the_bearer_insufficient_scope_challenge()
    {
        await using var app = await StartHostAsync(Jwks(), _time);
        var response = await app.Client().SendAsync(Get("/admin", Token()));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var challenge = Assert.Single(response.Headers.WwwAuthenticate).ToString();
        Assert.StartsWith("Bearer error=\"insufficient_scope\"", challenge, StringComparison.Ordinal);
        Assert.EndsWith("scope=\"admin:write\"", challenge, StringComparison.Ordinal);
        Assert.Contains("\"error\":\"insufficient_scope\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var allowed = await app.Client().SendAsync(Get("/reports", Token()));
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
    }

    [Fact]
    public async Task No_token_is_a_plain_bearer_challenge()
    {
        await using var app = await StartHostAsync(Jwks(), _time);
        var response = await app.Client().GetAsync("/api/ping");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bearer", Assert.Single(response.Headers.WwwAuthenticate).ToString());
    }

    [Fact]
    public async Task Exception_text_never_reaches_the_client_even_with_error_details_asked_for()
    {
        await using var app = await StartHostAsync(Jwks(), _time, bearer: o => o.IncludeErrorDetails = true);
        var response = await app.Client().SendAsync(Get("/api/ping", Token(c => c["aud"] = "other-api")));

        Assert.Equal("Bearer error=\"invalid_token\"", Assert.Single(response.Headers.WwwAuthenticate).ToString());
        var body = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("IDX", body, StringComparison.Ordinal);
        Assert.DoesNotContain("audience", body, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Users_jwt_bearer_events_still_run_and_cannot_poison_the_cache()
    {
        var validated = 0;
        await using var app = await StartHostAsync(Jwks(), _time, bearer: o => o.Events = new JwtBearerEvents
        {
            OnTokenValidated = context =>
            {
                Interlocked.Increment(ref validated);
                ((ClaimsIdentity)context.Principal!.Identity!).AddClaim(new Claim("scope", "admin:write"));
                return Task.CompletedTask;
            },
        });

        var token = Token();
        var first = await app.Client().SendAsync(Get("/api/ping", token));
        var second = await app.Client().SendAsync(Get("/api/ping", token));

        Assert.Equal(2, validated);
        var a = await first.Content.ReadFromJsonAsync<JsonElement>();
        var b = await second.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(a.GetProperty("claimCount").GetInt32(), b.GetProperty("claimCount").GetInt32());
        Assert.Equal(1, b.GetProperty("scopes").EnumerateArray().Count(s => s.GetString() == "admin:write"));
    }

    [Fact]
    public async Task Cached_token_is_refused_from_its_exp_on()
    {
        await using var app = await StartHostAsync(Jwks(), _time, o => o.ClockSkew = TimeSpan.Zero);
        var token = Token(c => c["exp"] = _time.GetUtcNow().AddSeconds(60).ToUnixTimeSeconds());
        var runtime = app.Services.GetRequiredService<JwtSchemeRuntime>();

        Assert.Equal(HttpStatusCode.OK, (await app.Client().SendAsync(Get("/api/ping", token))).StatusCode);
        Assert.Equal(1, runtime.Cache!.Count);
        _time.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(HttpStatusCode.OK, (await app.Client().SendAsync(Get("/api/ping", token))).StatusCode);
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.Client().SendAsync(Get("/api/ping", token))).StatusCode);
        Assert.Equal(0, runtime.Cache.Count);
    }

    [Fact]
    public async Task Failures_are_never_cached()
    {
        var jwks = new FakeJwksHandler(JwtTestKit.Jwks(Jwk(_key, "k1")));
        await using var app = await StartHostAsync(jwks, _time);
        using var next = RSA.Create(2048);
        var token = SignRs(next, Header("k2"), Payload(_time.GetUtcNow()));

        Assert.Equal(HttpStatusCode.Unauthorized, (await app.Client().SendAsync(Get("/api/ping", token))).StatusCode);
        jwks.Serve(JwtTestKit.Jwks(Jwk(_key, "k1"), Jwk(next, "k2")));
        _time.Advance(TimeSpan.FromSeconds(31));
        Assert.Equal(HttpStatusCode.OK, (await app.Client().SendAsync(Get("/api/ping", token))).StatusCode);
    }

    [Fact]
    public async Task Revoked_jti_is_refused_even_when_cached()
    {
        await using var app = await StartHostAsync(Jwks(), _time);
        var token = Token(c => c["jti"] = "revoke-me");
        Assert.Equal(HttpStatusCode.OK, (await app.Client().SendAsync(Get("/api/ping", token))).StatusCode);

        await app.Services.GetRequiredService<IJwtRevocationList>().RevokeAsync("revoke-me", _time.GetUtcNow().AddMinutes(5));
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.Client().SendAsync(Get("/api/ping", token))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await app.Client().SendAsync(Get("/api/ping", Token(c => c["jti"] = "other")))).StatusCode);
    }

    [Fact]
    public async Task Works_without_the_cache()
    {
        await using var app = await StartHostAsync(Jwks(), _time, o => o.EnableTokenCache = false);
        var token = Token();
        Assert.Equal(HttpStatusCode.OK, (await app.Client().SendAsync(Get("/api/ping", token))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await app.Client().SendAsync(Get("/api/ping", token))).StatusCode);
        Assert.Null(app.Services.GetRequiredService<JwtSchemeRuntime>().Cache);
    }

    [Theory]
    [InlineData(null, "x", "LayeredAuth:Jwt:Issuer (or LayeredAuth:Jwt:ValidIssuers) is required.")]
    [InlineData("https://i", null, "LayeredAuth:Jwt:Audience (or LayeredAuth:Jwt:ValidAudiences) is required.")]
    public void Invalid_options_fail_naming_the_option(string? issuer, string? audience, string message)
    {
        var options = new JwtAuthenticationOptions { JwksUri = JwksUri, Issuer = issuer, Audience = audience };
        Assert.Equal(message, Assert.Throws<InvalidOperationException>(options.Validate).Message);
    }

    [Theory]
    [InlineData("HS256")]
    [InlineData("none")]
    public void Symmetric_and_none_algorithms_cannot_be_configured(string algorithm)
    {
        var options = new JwtAuthenticationOptions { JwksUri = JwksUri, Issuer = Issuer, Audience = Audience, ValidAlgorithms = [algorithm] };
        Assert.Contains("LayeredAuth:Jwt:ValidAlgorithms", Assert.Throws<InvalidOperationException>(options.Validate).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missing_configuration_fails_at_startup()
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() =>
            LayeredTestHost.StartAsync(_ => { }, b => b.AddJwt(o => o.JwksUri = JwksUri)));
        Assert.Contains("LayeredAuth:Jwt:Issuer (or LayeredAuth:Jwt:ValidIssuers) is required.", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Production", null, "http://issuer.test/jwks", "LayeredAuth:Jwt:JwksUri must be an https address outside Development")]
    [InlineData("Production", "http://issuer.test", null, "LayeredAuth:Jwt:Authority must be an https address outside Development")]
    [InlineData("Development", null, null, "LayeredAuth:Jwt:UseLocalSigningKeys needs the application's signing key ring")]
    public async Task Unsafe_or_incomplete_key_sources_fail_at_startup(string environment, string? authority, string? jwksUri, string message)
    {
        var host = TestHost.Create(environment).WithLayeredAuth(layered => layered.AddJwt(o =>
        {
            o.Issuer = Issuer;
            o.Audience = Audience;
            o.Authority = authority;
            o.JwksUri = jwksUri is null ? null : new Uri(jwksUri);
            o.UseLocalSigningKeys = authority is null && jwksUri is null;
        }));
        var error = await Assert.ThrowsAsync<OptionsValidationException>(host.StartAsync);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Plain_http_key_source_is_accepted_in_production_only_when_explicitly_allowed()
    {
        await using var app = await TestHost.Create("Production").WithLayeredAuth(layered => layered.AddJwt(o =>
        {
            o.Issuer = Issuer;
            o.Audience = Audience;
            o.JwksUri = new Uri("http://127.0.0.1:9/jwks");
            o.RequireHttpsMetadata = false;
        })).StartAsync();
        await app.StopAsync();
    }

    [Fact]
    public async Task Calling_AddJwt_twice_registers_the_scheme_once()
    {
        await using var app = await LayeredTestHost.StartAsync(_ => { }, b => b
            .AddJwt(o => { o.JwksUri = JwksUri; o.Issuer = Issuer; })
            .AddJwt(o => o.Audience = Audience));
        var layered = app.Services.GetRequiredService<IOptionsMonitor<LayeredAuthOptions>>().Get(LayeredAuthSchemes.Layered);
        Assert.Single(layered.CredentialSchemes, s => s.Name == LayeredAuthSchemes.Bearer);
    }

    [Fact]
    public void The_options_bind_from_layered_auth_jwt_and_a_configured_algorithm_list_replaces_the_default()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["LayeredAuth:Jwt:JwksUri"] = "https://issuer.test/jwks",
            ["LayeredAuth:Jwt:Issuer"] = Issuer,
            ["LayeredAuth:Jwt:Audience"] = Audience,
            ["LayeredAuth:Jwt:ClockSkew"] = "00:00:10",
            ["LayeredAuth:Jwt:RequiredTokenType"] = "at+jwt",
            ["LayeredAuth:Jwt:ValidAlgorithms:0"] = "ES256",
        }).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddLayeredAuth(configuration.GetSection("LayeredAuth")).AddJwt();
        using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<JwtSchemeRuntime>().Options;
        Assert.Equal(new Uri("https://issuer.test/jwks"), options.JwksUri);
        Assert.Equal(TimeSpan.FromSeconds(10), options.ClockSkew);
        Assert.Equal("at+jwt", options.RequiredTokenType);
        Assert.Equal(["ES256"], options.EffectiveAlgorithms);
        Assert.Equal(["RS256"], new JwtAuthenticationOptions().EffectiveAlgorithms);
    }
}
