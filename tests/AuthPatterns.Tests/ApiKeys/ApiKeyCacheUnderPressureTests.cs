using System.Net;
using AuthPatterns.ApiKeys;
using Microsoft.Extensions.Time.Testing;

namespace AuthPatterns.Tests.ApiKeys;

/// <summary>
/// The verified-key cache under pressure: more live keys than it holds keep being cached (the least recently used
/// make room), so keys in use are served without Argon2id and never spend their budget, while revoked and expired
/// keys are refused whether cached or not.
/// </summary>
public sealed class ApiKeyCacheUnderPressureTests
{
    [Fact]
    public async Task Finding_9_3_50000_live_keys_cycled_through_a_cache_of_10000_are_served_without_the_per_key_budget_refusing_any()
    {
        const int Keys = 50_000;
        const int Slice = 500;
        const int HotRounds = 12;
        await using var provider = Services(limit: 10_000, out _);
        var manager = provider.GetRequiredService<ApiKeyManager>();
        var verifier = provider.GetRequiredService<ApiKeyVerifier>();
        var hasher = provider.GetRequiredService<ApiKeyHasher>();
        var keys = new string[Keys];
        for (var i = 0; i < Keys; i++)
        {
            keys[i] = (await manager.CreateAsync(new ApiKeyCreateRequest { OwnerId = "o", Scopes = ["a:b"] })).Key;
        }

        // Each round brings 500 new keys and calls again the ones of the last 12 rounds: every key is called 13 times
        // from its own address, more than its budget of 10 verifications, and the 6,500 keys in use at any time fit.
        var hashesBefore = hasher.Invocations;
        var outcomes = new Dictionary<string, int>(StringComparer.Ordinal);
        var rounds = (Keys / Slice) + HotRounds;
        for (var round = 0; round < rounds; round++)
        {
            var first = Math.Max(0, round - HotRounds) * Slice;
            var end = Math.Min(Keys, (round + 1) * Slice);
            for (var i = first; i < end; i++)
            {
                var result = await verifier.VerifyAsync(keys[i], AddressOf(i), default);
                outcomes[result.Outcome] = outcomes.GetValueOrDefault(result.Outcome) + 1;
            }
        }

        Assert.Equal([ApiKeyOutcomes.Valid], outcomes.Keys);
        Assert.Equal(Keys * (HotRounds + 1), outcomes[ApiKeyOutcomes.Valid]);

        // One Argon2id verification per key: every later call was served from the cache.
        Assert.Equal(Keys, hasher.Invocations - hashesBefore);
        Assert.InRange(verifier.CachedCount, 1, 10_000);

        // The last keys called are still cached; the first ones, long unused, made room.
        hashesBefore = hasher.Invocations;
        Assert.True((await verifier.VerifyAsync(keys[Keys - 1], AddressOf(Keys - 1), default)).Succeeded);
        Assert.Equal(hashesBefore, hasher.Invocations);
        Assert.True((await verifier.VerifyAsync(keys[0], AddressOf(0), default)).Succeeded);
        Assert.Equal(hashesBefore + 1, hasher.Invocations);
    }

    [Fact]
    public async Task Finding_9_3_a_full_cache_evicts_the_least_recently_used_key_and_keeps_the_one_just_used()
    {
        await using var provider = Services(limit: 10, out _);
        var manager = provider.GetRequiredService<ApiKeyManager>();
        var verifier = provider.GetRequiredService<ApiKeyVerifier>();
        var hasher = provider.GetRequiredService<ApiKeyHasher>();
        var keys = new List<string>();
        for (var i = 0; i < 11; i++)
        {
            keys.Add((await manager.CreateAsync(new ApiKeyCreateRequest { OwnerId = "o", Scopes = ["a:b"] })).Key);
        }

        for (var i = 0; i < 10; i++)
        {
            Assert.True((await verifier.VerifyAsync(keys[i], null, default)).Succeeded);
        }

        // The oldest key is used again, then an eleventh key arrives at a full cache: it is cached, the key used again
        // stays, and the least recently used one (the second) is the one that goes.
        Assert.True((await verifier.VerifyAsync(keys[0], null, default)).Succeeded);
        Assert.True((await verifier.VerifyAsync(keys[10], null, default)).Succeeded);
        Assert.InRange(verifier.CachedCount, 1, 10);

        var hashes = hasher.Invocations;
        Assert.True((await verifier.VerifyAsync(keys[10], null, default)).Succeeded);
        Assert.True((await verifier.VerifyAsync(keys[0], null, default)).Succeeded);
        Assert.Equal(hashes, hasher.Invocations);
        Assert.True((await verifier.VerifyAsync(keys[1], null, default)).Succeeded);
        Assert.Equal(hashes + 1, hasher.Invocations);
    }

    [Fact]
    public async Task Finding_9_3_revoked_and_expired_keys_are_never_served_from_a_cache_under_pressure()
    {
        await using var provider = Services(limit: 10, out var time);
        var manager = provider.GetRequiredService<ApiKeyManager>();
        var verifier = provider.GetRequiredService<ApiKeyVerifier>();
        var revoked = await manager.CreateAsync(new ApiKeyCreateRequest { OwnerId = "o", Scopes = ["a:b"] });
        var expiring = await manager.CreateAsync(new ApiKeyCreateRequest { OwnerId = "o", Scopes = ["a:b"], Lifetime = TimeSpan.FromMinutes(10) });
        var others = new List<string>();
        for (var i = 0; i < 20; i++)
        {
            others.Add((await manager.CreateAsync(new ApiKeyCreateRequest { OwnerId = "o", Scopes = ["a:b"] })).Key);
        }

        Assert.True((await verifier.VerifyAsync(revoked.Key, null, default)).Succeeded);
        Assert.True((await verifier.VerifyAsync(expiring.Key, null, default)).Succeeded);
        await manager.RevokeAsync(revoked.Info.Id, "leaked");
        time.Advance(TimeSpan.FromMinutes(11));

        foreach (var other in others)
        {
            Assert.True((await verifier.VerifyAsync(other, null, default)).Succeeded);
            Assert.Equal(ApiKeyOutcomes.Revoked, (await verifier.VerifyAsync(revoked.Key, null, default)).Outcome);
            Assert.Equal(ApiKeyOutcomes.Expired, (await verifier.VerifyAsync(expiring.Key, null, default)).Outcome);
        }
    }

    private static IPAddress AddressOf(int index) => new([10, (byte)(index >> 16), (byte)(index >> 8), (byte)index]);

    private static ServiceProvider Services(int limit, out FakeTimeProvider time)
    {
        // Each clock read moves one tick, so every use has its own place in the recency order.
        time = new FakeTimeProvider(DateTimeOffset.UnixEpoch.AddYears(56)) { AutoAdvanceAmount = TimeSpan.FromTicks(1) };
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<TimeProvider>(time);
        services.AddSingleton<IApiKeyStore>(new InMemoryApiKeyStore());
        services.AddLayeredAuth().AddApiKeys(options =>
        {
            // The floor of the options: Argon2id at its cheapest, so 50,000 keys hash in seconds.
            options.HashMemorySize = 8;
            options.HashIterations = 1;
            options.HashParallelism = 1;
            options.CacheSizeLimit = limit;
            options.CacheLifetime = TimeSpan.FromHours(1);
            options.RecordLastUse = false;
        });
        return services.BuildServiceProvider();
    }
}
