using System.Net;
using System.Security.Cryptography;
using AuthPatterns.Jwt;
using AuthPatterns.Tests.Layered;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Time.Testing;
using static AuthPatterns.Tests.Jwt.JwtTestKit;

namespace AuthPatterns.Tests.Jwt;

public sealed class JwtTokenCacheTests : IDisposable
{
    private readonly RSA _key = RSA.Create(2048);
    private readonly FakeTimeProvider _time = new(Start);

    public void Dispose() => _key.Dispose();

    private string Token(int i, int padding = 0) => SignRs(_key, Header("k1"), Payload(_time.GetUtcNow(), c =>
    {
        c["jti"] = "token-" + i;
        if (padding > 0)
        {
            c["note"] = new string((char)('a' + (i % 26)), padding);
        }
    }));

    private FakeJwksHandler Jwks() => new(JwtTestKit.Jwks(Jwk(_key, "k1")));

    [Fact]
    public async Task Many_distinct_tokens_stay_within_the_byte_budget_and_the_newest_are_served_from_the_cache()
    {
        const long budget = 64 * 1024;
        await using var app = await StartHostAsync(Jwks(), _time, o =>
        {
            o.TokenCacheSizeLimitBytes = budget;
            o.TokenCacheSize = 1_000_000;
        });
        var cache = app.Services.GetRequiredService<JwtSchemeRuntime>().Cache!;
        var tokens = Enumerable.Range(0, 300).Select(i => Token(i, padding: 1000)).ToList();

        foreach (var token in tokens)
        {
            Assert.Equal(HttpStatusCode.OK, (await app.Client().SendAsync(Get("/api/ping", token))).StatusCode);
            Assert.InRange(cache.Size, 1, budget);

            // Recency is read from the clock.
            _time.Advance(TimeSpan.FromMilliseconds(1));
        }

        // Each entry holds about 2.5 KB of claims: the budget keeps a few dozen, the most recent ones.
        Assert.InRange(cache.Count, 10, 40);
        Assert.False(cache.TryGet(cache.KeyOf(tokens[0]), out _));
        foreach (var token in tokens.TakeLast(10))
        {
            Assert.True(cache.TryGet(cache.KeyOf(token), out var entry));
            Assert.InRange(entry.EstimateSize(), 2000, 4000);
        }

        // A dropped token is validated again and served; it is the newest entry afterwards.
        Assert.Equal(HttpStatusCode.OK, (await app.Client().SendAsync(Get("/api/ping", tokens[0]))).StatusCode);
        Assert.True(cache.TryGet(cache.KeyOf(tokens[0]), out _));
    }

    [Fact]
    public async Task The_count_option_still_bounds_the_token_cache()
    {
        await using var app = await StartHostAsync(Jwks(), _time, o => o.TokenCacheSize = 5);
        var cache = app.Services.GetRequiredService<JwtSchemeRuntime>().Cache!;

        for (var i = 0; i < 40; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await app.Client().SendAsync(Get("/api/ping", Token(i)))).StatusCode);
            Assert.InRange(cache.Count, 1, 5);
        }
    }

    [Fact]
    public async Task A_cached_token_gives_events_its_id_issuer_and_validity_but_keeps_no_token()
    {
        var seen = new List<(string? Id, string? Issuer, DateTimeOffset? Expires, Type Type)>();
        await using var app = await StartHostAsync(Jwks(), _time, bearer: o => o.Events = new JwtBearerEvents
        {
            OnTokenValidated = context =>
            {
                seen.Add((context.SecurityToken.Id, context.SecurityToken.Issuer, context.Properties.ExpiresUtc, context.SecurityToken.GetType()));
                return Task.CompletedTask;
            },
        });
        var token = Token(7);

        Assert.Equal(HttpStatusCode.OK, (await app.Client().SendAsync(Get("/api/ping", token))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await app.Client().SendAsync(Get("/api/ping", token))).StatusCode);

        Assert.Equal(2, seen.Count);
        var expires = DateTimeOffset.FromUnixTimeSeconds(_time.GetUtcNow().AddMinutes(5).ToUnixTimeSeconds());
        Assert.All(seen, s => Assert.Equal(("token-7", Issuer, (DateTimeOffset?)expires), (s.Id, s.Issuer, s.Expires)));
        Assert.All(seen, s => Assert.False(typeof(Microsoft.IdentityModel.JsonWebTokens.JsonWebToken).IsAssignableFrom(s.Type)));
        Assert.DoesNotContain(
            typeof(ValidatedToken).GetProperties(),
            p => typeof(Microsoft.IdentityModel.Tokens.SecurityToken).IsAssignableFrom(p.PropertyType) || p.PropertyType == typeof(string) && p.Name.Contains("Raw", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_cached_token_whose_key_left_the_jwks_is_refused_and_dropped()
    {
        var jwks = Jwks();
        await using var app = await StartHostAsync(jwks, _time);
        var cache = app.Services.GetRequiredService<JwtSchemeRuntime>().Cache!;
        var token = Token(1);
        Assert.Equal(HttpStatusCode.OK, (await app.Client().SendAsync(Get("/api/ping", token))).StatusCode);
        Assert.Equal(1, cache.Count);

        using var next = RSA.Create(2048);
        jwks.Serve(JwtTestKit.Jwks(Jwk(next, "k2")));
        var fresh = SignRs(next, Header("k2"), Payload(_time.GetUtcNow()));
        Assert.Equal(HttpStatusCode.OK, (await app.Client().SendAsync(Get("/api/ping", fresh))).StatusCode);

        Assert.Equal(HttpStatusCode.Unauthorized, (await app.Client().SendAsync(Get("/api/ping", token))).StatusCode);
        Assert.False(cache.TryGet(cache.KeyOf(token), out _));
        Assert.Equal(1, cache.Count);
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(1024L)]
    public async Task A_token_cache_byte_budget_below_64_KiB_fails_at_startup_naming_the_option(long bytes)
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => StartHostAsync(Jwks(), _time, o => o.TokenCacheSizeLimitBytes = bytes));
        Assert.Contains("TokenCacheSizeLimitBytes", error.Message, StringComparison.Ordinal);
    }
}
