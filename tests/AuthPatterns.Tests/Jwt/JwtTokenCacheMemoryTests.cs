using System.Security.Claims;
using AuthPatterns.Authorization;
using AuthPatterns.Infrastructure;
using AuthPatterns.Jwt;
using Microsoft.Extensions.Time.Testing;
using Xunit.Abstractions;

namespace AuthPatterns.Tests.Jwt;

/// <summary>
/// The validated-token cache under the default settings, filled the way a large tenant or an attacker with valid tokens
/// fills it: the memory it keeps alive (measured on the heap after a full collection, not estimated) stays under 64 MB.
/// Run apart from other tests, so their allocations do not blur the heap measurement.
/// </summary>
[Collection(JwtTokenCacheMemoryCollection.Name)]
public sealed class JwtTokenCacheMemoryTests(ITestOutputHelper output)
{
    private const long Limit = 64L * 1024 * 1024;

    [Theory]
    [InlineData(0)]
    [InlineData(15 * 1024)]
    public void One_hundred_thousand_distinct_valid_tokens_keep_the_cache_under_64_MB_with_the_default_settings(int padding)
    {
        var options = new JwtAuthenticationOptions();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero));
        var minimum = LayeredJwtTokenHandler.MinimumEntrySize(options);
        var expires = time.GetUtcNow().AddHours(1);

        var before = GC.GetTotalMemory(forceFullCollection: true);
        using var cache = JwtSchemeRuntime.CreateCache(options, time);
        for (var i = 0; i < 100_000; i++)
        {
            // As the handler does: a lookup that misses, then the validated token offered to the cache.
            var key = cache.KeyOf("token-" + i.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Assert.False(cache.TryGet(key, out _));
            var entry = Entry(i, padding, expires);
            cache.Set(key, entry, expires, LayeredJwtTokenHandler.CacheCharge(entry, minimum));
        }

        var growth = GC.GetTotalMemory(forceFullCollection: true) - before;

        output.WriteLine($"{cache.Count} entries kept, {cache.Size} bytes charged, {growth} bytes kept alive");
        Assert.InRange(cache.Size, 1, options.TokenCacheSizeLimitBytes);
        Assert.InRange(cache.Count, 100, options.TokenCacheSize);
        Assert.InRange(growth, 0, Limit);
        GC.KeepAlive(cache);
    }

    // What the handler keeps of a token: its claims (each scope normalized to one claim), key id, jti, issuer, type
    // and validity; a padded token carries one large claim besides, as tokens with long group lists do.
    private static ValidatedToken Entry(int i, int padding, DateTimeOffset expires)
    {
        var id = i.ToString("D8", System.Globalization.CultureInfo.InvariantCulture);
        var issuer = new string("https://issuer.example.com/".AsSpan());
        var identity = new ClaimsIdentity("Bearer", LayeredClaimTypes.Subject, "role");
        identity.AddClaim(new Claim("iss", issuer, ClaimValueTypes.String, issuer));
        identity.AddClaim(new Claim(LayeredClaimTypes.Subject, "service-" + id, ClaimValueTypes.String, issuer));
        identity.AddClaim(new Claim("aud", "orders-api", ClaimValueTypes.String, issuer));
        identity.AddClaim(new Claim("exp", expires.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture), ClaimValueTypes.Integer64, issuer));
        identity.AddClaim(new Claim("iat", (expires.ToUnixTimeSeconds() - 3600).ToString(System.Globalization.CultureInfo.InvariantCulture), ClaimValueTypes.Integer64, issuer));
        identity.AddClaim(new Claim(LayeredClaimTypes.TokenId, "jti-" + id + "-0123456789abcdef", ClaimValueTypes.String, issuer));
        identity.AddClaim(new Claim("client_id", "client-" + id, ClaimValueTypes.String, issuer));
        foreach (var scope in (string[])["orders:read", "orders:write", "profile:read"])
        {
            identity.AddClaim(new Claim(LayeredClaimTypes.Scope, scope, ClaimValueTypes.String, issuer));
        }

        if (padding > 0)
        {
            identity.AddClaim(new Claim("groups", new string((char)('a' + (i % 26)), padding) + id, ClaimValueTypes.String, issuer));
        }

        ScopeClaimNormalizer.NormalizeCore(identity);
        return new ValidatedToken(
            new SharedClaims(identity.Claims, "Bearer", LayeredClaimTypes.Subject, "role"),
            "key-2026-01",
            "jti-" + id + "-0123456789abcdef",
            issuer,
            "at+jwt",
            expires.UtcDateTime.AddHours(-1),
            expires);
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class JwtTokenCacheMemoryCollection
{
    public const string Name = "JWT token cache memory";
}
