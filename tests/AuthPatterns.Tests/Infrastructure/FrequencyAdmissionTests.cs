using AuthPatterns.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace AuthPatterns.Tests.Infrastructure;

/// <summary>
/// Admission by frequency (the token cache's): a full cache lets in a credential only when it was looked up more often
/// lately than what the last eviction let go, so a flood of credentials seen once neither pushes out the ones in steady
/// use nor churns the cache, while a credential in steady use still gets in.
/// </summary>
public sealed class FrequencyAdmissionTests
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));

    [Fact]
    public void The_sketch_counts_lookups_saturates_and_halves_after_its_sample()
    {
        var sketch = new FrequencySketch(16);
        var key = new CredentialKey(1, 2, 3, 4);
        var other = new CredentialKey(5, 6, 7, 8);
        Assert.Equal(0, sketch.Estimate(key));

        for (var i = 1; i <= 20; i++)
        {
            sketch.Increment(key);
            Assert.Equal(Math.Min(i, FrequencySketch.MaxFrequency), sketch.Estimate(key));
        }

        Assert.Equal(0, sketch.Estimate(other));

        // 16 expected keys: a sample is 160 additions, after which every count is halved.
        for (var i = 20; i < 160; i++)
        {
            sketch.Increment(new CredentialKey((ulong)i * 7919, (ulong)i * 104729, (ulong)i * 1299709, (ulong)i * 15485863));
        }

        Assert.Equal(1, sketch.Resets);
        Assert.InRange(sketch.Estimate(key), 7, 8);
    }

    [Fact]
    public void A_flood_of_credentials_seen_once_leaves_the_ones_in_use_cached_and_is_refused()
    {
        using var cache = new CredentialCache<string>(100, _time, admissionKeys: 100);
        var (steadyMisses, refused) = Flood(cache);

        // Once the first evictions had seen what goes, the flood stopped displacing the credentials in use.
        Assert.Equal(0, steadyMisses);
        Assert.InRange(refused, 9_000, 10_000);
        Assert.InRange(cache.Size, 1, cache.SizeLimit);
    }

    [Fact]
    public void Without_admission_a_flood_of_credentials_seen_once_displaces_the_ones_in_use()
    {
        // The same traffic through a cache that admits every entry: what admission by frequency is for.
        using var cache = new CredentialCache<string>(100, _time);
        var (steadyMisses, refused) = Flood(cache);

        Assert.True(steadyMisses > 1_000, $"{steadyMisses} misses");
        Assert.Equal(0, refused);
    }

    // 80 credentials in steady use (a quarter of them every 20 others), each verified again and offered to the cache
    // when it missed, as the token handler does, among 10,000 distinct ones presented once each, as a flood of valid
    // tokens would be: the steady misses once the first 1,000 have passed, and how many of the flood were refused.
    private (int SteadyMisses, int Refused) Flood(CredentialCache<string> cache)
    {
        var until = _time.GetUtcNow().AddHours(1);
        var steady = Enumerable.Range(0, 80).Select(i => cache.KeyOf($"steady-{i}")).ToArray();
        var steadyMisses = 0;
        var refused = 0;
        for (var i = 0; i < 10_000; i++)
        {
            if (i % 20 == 0)
            {
                foreach (var key in steady.Skip(i / 20 % 4 * 20).Take(20))
                {
                    if (!cache.TryGet(key, out _))
                    {
                        cache.Set(key, "steady", until);
                        steadyMisses += i >= 1_000 ? 1 : 0;
                    }
                }
            }

            var flood = cache.KeyOf($"flood-{i}");
            Assert.False(cache.TryGet(flood, out _));
            refused += cache.Set(flood, "flood", until) ? 0 : 1;
            Assert.InRange(cache.Size, 1, cache.SizeLimit);
        }

        return (steadyMisses, refused);
    }

    [Fact]
    public void A_credential_in_steady_use_gets_into_a_full_cache_after_a_few_lookups()
    {
        using var cache = new CredentialCache<string>(100, _time, admissionKeys: 100);
        var until = _time.GetUtcNow().AddHours(1);
        for (var i = 0; i < 300; i++)
        {
            var key = cache.KeyOf($"once-{i}");
            cache.TryGet(key, out _);
            cache.Set(key, "once", until);
        }

        Assert.InRange(cache.Size, 90, 100);
        var newcomer = cache.KeyOf("newcomer");
        var lookups = 0;
        while (!cache.TryGet(newcomer, out _))
        {
            lookups++;
            Assert.True(lookups <= FrequencySketch.MaxFrequency, "a credential in steady use was never admitted");
            cache.Set(newcomer, "newcomer", until);
        }

        // Seen once, it reads about as often used as what the cache let go (a sketch can read a little high).
        Assert.InRange(lookups, 1, 3);
    }

    [Fact]
    public void Lookups_that_miss_count_for_nothing_so_made_up_credentials_buy_no_admission()
    {
        using var cache = new CredentialCache<string>(20, _time, admissionKeys: 20);
        var until = _time.GetUtcNow().AddHours(1);
        for (var i = 0; i < 25; i++)
        {
            var key = cache.KeyOf($"once-{i}");
            cache.TryGet(key, out _);
            cache.Set(key, "once", until);
        }

        // Asked for twenty times before it was ever verified, a credential is still one seen once when it is offered.
        var probed = cache.KeyOf("probed");
        for (var i = 0; i < 20; i++)
        {
            Assert.False(cache.TryGet(probed, out _));
        }

        Assert.False(cache.Set(probed, "probed", until));
    }

    [Fact]
    public void Without_admission_by_frequency_every_new_entry_is_admitted_into_a_full_cache()
    {
        using var cache = new CredentialCache<string>(100, _time);
        var until = _time.GetUtcNow().AddHours(1);
        for (var i = 0; i < 1_000; i++)
        {
            Assert.True(cache.Set(cache.KeyOf($"credential-{i}"), "value", until));
        }
    }

    [Fact]
    public void A_cache_that_is_not_nearly_full_admits_a_credential_seen_once()
    {
        using var cache = new CredentialCache<string>(100, _time, admissionKeys: 100);
        var until = _time.GetUtcNow().AddHours(1);
        for (var i = 0; i < 300; i++)
        {
            cache.Set(cache.KeyOf($"once-{i}"), "once", until);
        }

        // Revocations empty the cache: there is room again, and the floor does not apply below 90 % of the budget.
        cache.Clear();
        var key = cache.KeyOf("after-the-clear");
        Assert.True(cache.Set(key, "value", until));
        Assert.True(cache.TryGet(key, out _));
    }
}
