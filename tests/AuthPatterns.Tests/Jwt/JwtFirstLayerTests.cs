using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using AuthPatterns.Jwt;
using AuthPatterns.Tests.Layered;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using static AuthPatterns.Tests.Jwt.JwtTestKit;

namespace AuthPatterns.Tests.Jwt;

/// <summary>
/// Each check observed on its own, not through a second layer that would refuse the same token anyway: the RSA key-size
/// floor, the cached token whose key left the JWKS, the structural checks that run before any key lookup, and scope
/// tokens that are not exactly valid.
/// </summary>
public sealed class JwtFirstLayerTests : IDisposable
{
    private readonly RSA _key = RSA.Create(2048);
    private readonly FakeTimeProvider _time = new(Start);
    private readonly LogCapture _logs = new();

    public void Dispose()
    {
        _key.Dispose();
        _logs.Dispose();
    }

    private string Token(string kid = "k1", Action<Dictionary<string, object>>? change = null) =>
        SignRs(_key, Header(kid), Payload(_time.GetUtcNow(), change));

    private Task<WebApplication> StartApp(FakeJwksHandler jwks, Action<JwtAuthenticationOptions>? configure = null) =>
        StartHostAsync(jwks, _time, configure, services: s => s.AddSingleton<ILoggerProvider>(_logs));

    [Theory]
    [InlineData(2047)]
    [InlineData(2040)]
    [InlineData(1024)]
    [InlineData(0)]
    public void Mutant_MinimumRsaKeySize_below_2048_is_refused_naming_the_option(int bits)
    {
        var options = new JwtAuthenticationOptions { JwksUri = JwksUri, Issuer = Issuer, Audience = Audience, MinimumRsaKeySize = bits };
        var error = Assert.Throws<InvalidOperationException>(options.Validate);
        Assert.Equal("LayeredAuth:Jwt:MinimumRsaKeySize must be at least 2048.", error.Message);
    }

    [Theory]
    [InlineData(2048)]
    [InlineData(3072)]
    public void MinimumRsaKeySize_of_2048_or_more_is_accepted(int bits) =>
        new JwtAuthenticationOptions { JwksUri = JwksUri, Issuer = Issuer, Audience = Audience, MinimumRsaKeySize = bits }.Validate();

    [Fact]
    public async Task Mutant_MinimumRsaKeySize_of_1024_fails_at_startup()
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() =>
            StartApp(new FakeJwksHandler(Jwks(Jwk(_key, "k1"))), o => o.MinimumRsaKeySize = 1024));
        Assert.Contains("LayeredAuth:Jwt:MinimumRsaKeySize", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Mutant_token_signed_by_a_key_just_under_2048_bits_is_refused_and_one_of_2048_is_accepted()
    {
        using var small = RSA.Create(2040);
        await using var app = await StartApp(new FakeJwksHandler(Jwks(Jwk(_key, "k1"), Jwk(small, "small"))));

        var refused = await app.Client().SendAsync(Get("/api/ping", SignRs(small, Header("small"), Payload(_time.GetUtcNow()))));
        var accepted = await app.Client().SendAsync(Get("/api/ping", Token()));

        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
    }

    [Fact]
    public async Task Mutant_cached_token_is_refused_once_its_kid_has_left_the_jwks()
    {
        using var next = RSA.Create(2048);
        var jwks = new FakeJwksHandler(Jwks(Jwk(_key, "k1")));
        await using var app = await StartApp(jwks);
        var runtime = app.Services.GetRequiredService<JwtSchemeRuntime>();
        var old = Token();

        Assert.Equal(HttpStatusCode.OK, (await app.Client().SendAsync(Get("/api/ping", old))).StatusCode);
        Assert.Equal(1, runtime.Cache!.Count);

        // The issuer rotates k1 out; a token signed with the new key makes the service fetch the new set.
        jwks.Serve(Jwks(Jwk(next, "k2")));
        var fresh = SignRs(next, Header("k2"), Payload(_time.GetUtcNow()));
        Assert.Equal(HttpStatusCode.OK, (await app.Client().SendAsync(Get("/api/ping", fresh))).StatusCode);

        Assert.Equal(HttpStatusCode.Unauthorized, (await app.Client().SendAsync(Get("/api/ping", old))).StatusCode);
    }

    public static TheoryData<string, string> StructuralCases => new()
    {
        { "alg none", nameof(JwtRefusal.AlgorithmNotAllowed) },
        { "empty signature", nameof(JwtRefusal.NotCompactJws) },
        { "exp as a string", nameof(JwtRefusal.BadClaimType) },
        { "no exp", nameof(JwtRefusal.MissingExpiration) },
        { "duplicate member", nameof(JwtRefusal.DuplicateMember) },
        { "unknown crit", nameof(JwtRefusal.CriticalHeader) },
    };

    private string StructuralToken(string name)
    {
        // Every case names a key id the service has never seen: were the structural check skipped, the key lookup would
        // fetch the JWKS for it.
        const string Kid = "published-later";
        var now = _time.GetUtcNow();
        return name switch
        {
            "alg none" => B64(Json(new { alg = "none", kid = Kid, typ = "at+jwt" })) + "." + B64(Payload(now)) + ".c2lnbmF0dXJl",
            "empty signature" => Token(Kid)[..(Token(Kid).LastIndexOf('.') + 1)],
            "exp as a string" => Token(Kid, c => c["exp"] = now.AddMinutes(5).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)),
            "no exp" => Token(Kid, c => c.Remove("exp")),
            "duplicate member" => SignRs(_key, Header(Kid), Payload(now).TrimEnd('}') + ",\"sub\":\"admin\"}"),
            "unknown crit" => SignRs(_key, Json(new Dictionary<string, object> { ["alg"] = "RS256", ["kid"] = Kid, ["typ"] = "at+jwt", ["crit"] = new[] { "x" }, ["x"] = 1 }), Payload(now)),
            _ => throw new ArgumentOutOfRangeException(nameof(name)),
        };
    }

    [Theory]
    [MemberData(nameof(StructuralCases))]
    public async Task Second_layer_token_refused_on_its_structure_causes_no_jwks_fetch(string name, string refusal)
    {
        var jwks = new FakeJwksHandler(Jwks(Jwk(_key, "k1")));
        await using var app = await StartApp(jwks);
        Assert.Equal(HttpStatusCode.OK, (await app.Client().SendAsync(Get("/api/ping", Token()))).StatusCode);
        var fetches = jwks.Fetches;

        var response = await app.Client().SendAsync(Get("/api/ping", StructuralToken(name)));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(fetches, jwks.Fetches);
        Assert.Contains(_logs.Entries, e => e.EventId == 3000 && e.Message.EndsWith(refusal + ".", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Second_layer_a_well_formed_token_with_an_unknown_kid_does_fetch_so_the_count_observes_the_lookup()
    {
        using var other = RSA.Create(2048);
        var jwks = new FakeJwksHandler(Jwks(Jwk(_key, "k1")));
        await using var app = await StartApp(jwks);
        Assert.Equal(HttpStatusCode.OK, (await app.Client().SendAsync(Get("/api/ping", Token()))).StatusCode);
        var fetches = jwks.Fetches;

        var response = await app.Client().SendAsync(Get("/api/ping", SignRs(other, Header("published-later"), Payload(_time.GetUtcNow()))));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(fetches + 1, jwks.Fetches);
    }

    [Theory]
    [InlineData("profile:read reports:read\u00a0")]
    [InlineData("profile:read reports:read\t")]
    [InlineData("profile:read\u3000reports:read")]
    public async Task Finding7_a_scope_token_with_unicode_or_tab_whitespace_does_not_satisfy_the_scope(string scope)
    {
        await using var app = await StartApp(new FakeJwksHandler(Jwks(Jwk(_key, "k1"))));
        var token = Token(change: c => c["scope"] = scope);

        // Twice: validated, then served from the cache; the drop is logged once, for the validation.
        for (var i = 0; i < 2; i++)
        {
            var response = await app.Client().SendAsync(Get("/reports", token));
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        }

        Assert.Single(_logs.Entries, e => e.EventId == 3012);
        Assert.Equal(
            HttpStatusCode.OK,
            (await app.Client().SendAsync(Get("/reports", Token(change: c => c["scope"] = "profile:read reports:read")))).StatusCode);
    }

    [Fact]
    public async Task Finding7_scp_array_element_with_a_trailing_no_break_space_does_not_satisfy_the_scope()
    {
        await using var app = await StartApp(new FakeJwksHandler(Jwks(Jwk(_key, "k1"))));
        var token = Token(change: c =>
        {
            c.Remove("scope");
            c["scp"] = new[] { "profile:read", "reports:read\u00a0" };
        });

        Assert.Equal(HttpStatusCode.Forbidden, (await app.Client().SendAsync(Get("/reports", token))).StatusCode);
    }
}
