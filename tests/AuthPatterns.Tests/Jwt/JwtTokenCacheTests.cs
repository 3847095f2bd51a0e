using System.Net;
using System.Security.Cryptography;
using AuthPatterns.Jwt;
using AuthPatterns.Tests.Layered;
using Microsoft.AspNetCore.Authentication;
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
    public async Task Many_distinct_tokens_stay_within_the_byte_budget_and_leave_a_token_in_steady_use_cached()
    {
        const long budget = 64 * 1024;
        await using var app = await StartHostAsync(Jwks(), _time, o =>
        {
            o.TokenCacheSizeLimitBytes = budget;
            o.TokenCacheSize = 1_000_000;
        });
        var cache = app.Services.GetRequiredService<JwtSchemeRuntime>().Cache!;
        var steady = Token(-1, padding: 1000);
        var tokens = Enumerable.Range(0, 300).Select(i => Token(i, padding: 1000)).ToList();

        for (var i = 0; i < tokens.Count; i++)
        {
            // A caller in steady use presents its token between every few of the others.
            if (i % 5 == 0)
            {
                Assert.Equal(HttpStatusCode.OK, (await app.Client().SendAsync(Get("/api/ping", steady))).StatusCode);
                Assert.True(i < 50 || cache.TryGet(cache.KeyOf(steady), out _), $"the token in steady use was displaced after {i} others");
            }

            Assert.Equal(HttpStatusCode.OK, (await app.Client().SendAsync(Get("/api/ping", tokens[i]))).StatusCode);
            Assert.InRange(cache.Size, 1, budget);

            // Recency is read from the clock.
            _time.Advance(TimeSpan.FromMilliseconds(1));
        }

        // Each entry holds about 2.5 KB of claims: the budget keeps a few dozen. Once full, tokens presented once were
        // refused, so most of the 300 were never cached and the cache did not churn.
        Assert.InRange(cache.Count, 10, 26);
        Assert.InRange(tokens.Count(token => cache.TryGet(cache.KeyOf(token), out _)), 9, 25);
        Assert.True(cache.TryGet(cache.KeyOf(steady), out var entry));
        Assert.InRange(entry.EstimateSize(), 2000, 4000);

        // A token presented again is validated again, served, and gets in within a few requests.
        var last = tokens[^1];
        for (var attempt = 1; !cache.TryGet(cache.KeyOf(last), out _); attempt++)
        {
            Assert.True(attempt <= 4, "a token presented again and again was never cached");
            Assert.Equal(HttpStatusCode.OK, (await app.Client().SendAsync(Get("/api/ping", last))).StatusCode);
        }
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
    public async Task A_warm_request_gets_the_answer_the_stock_handler_gave_and_a_policy_naming_Bearer_gets_the_same_principal()
    {
        await using var app = await StartHostAsync(Jwks(), _time, map: a => a.MapGet("/ticket", async (HttpContext context) =>
        {
            // What a policy naming the Bearer scheme reads: the scheme's own answer, after the layered scheme's.
            var bearer = await context.AuthenticateAsync(LayeredAuthSchemes.Bearer);
            return Results.Ok(new
            {
                expires = bearer.Properties!.ExpiresUtc,
                issued = bearer.Properties.IssuedUtc,
                sameAsUser = ReferenceEquals(bearer.Principal, context.User),
                schemes = bearer.Principal!.FindAll(LayeredClaimTypes.Scheme).Select(c => c.Value).ToArray(),
                sub = bearer.Principal.FindFirst(LayeredClaimTypes.Subject)?.Value,
            });
        }).RequireAuthorization());
        var token = Token(3);

        var answers = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var response = await app.Client().SendAsync(Get("/ticket", token));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            answers.Add(await response.Content.ReadAsStringAsync());
        }

        // The first answer is the stock handler's, after a full validation; the others come from the cache.
        Assert.Single(answers.Distinct());
        var first = System.Text.Json.JsonDocument.Parse(answers[0]).RootElement;
        Assert.True(first.GetProperty("sameAsUser").GetBoolean());
        Assert.Equal(LayeredAuthSchemes.Bearer, Assert.Single(first.GetProperty("schemes").EnumerateArray()).GetString());
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(_time.GetUtcNow().AddMinutes(5).ToUnixTimeSeconds()), first.GetProperty("expires").GetDateTimeOffset());
    }

    [Fact]
    public async Task An_application_OnMessageReceived_still_runs_on_every_warm_request()
    {
        var calls = 0;
        await using var app = await StartHostAsync(Jwks(), _time, bearer: o => o.Events = new JwtBearerEvents
        {
            OnMessageReceived = _ =>
            {
                Interlocked.Increment(ref calls);
                return Task.CompletedTask;
            },
        });
        var token = Token(4);

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await app.Client().SendAsync(Get("/api/ping", token))).StatusCode);
        }

        Assert.Equal(3, calls);
    }

    [Fact]
    public async Task A_cached_token_revoked_while_its_lookup_is_remembered_is_refused_at_once()
    {
        await using var app = await StartHostAsync(Jwks(), _time);
        var token = Token(5);
        var request = () => app.Client().SendAsync(Get("/api/ping", token));
        Assert.Equal(HttpStatusCode.OK, (await request()).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await request()).StatusCode);

        await app.Services.GetRequiredService<IJwtRevocationList>().RevokeAsync("token-5", _time.GetUtcNow().AddMinutes(10));

        Assert.Equal(HttpStatusCode.Unauthorized, (await request()).StatusCode);
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
