using AuthPatterns.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace AuthPatterns.Tests.Infrastructure;

public sealed class CredentialCacheTests
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));

    [Fact]
    public void An_entry_is_never_served_at_or_after_its_expiry()
    {
        using var cache = new CredentialCache<string>(10, _time);
        var key = cache.KeyOf("credential");
        cache.Set(key, "value", _time.GetUtcNow().AddSeconds(10));

        _time.Advance(TimeSpan.FromSeconds(9.999));
        Assert.True(cache.TryGet(key, out _));
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.False(cache.TryGet(key, out _));
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public void An_entry_already_expired_is_not_stored()
    {
        using var cache = new CredentialCache<string>(10, _time);
        var key = cache.KeyOf("credential");
        cache.Set(key, "value", _time.GetUtcNow());
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public void A_lookup_remembered_by_its_header_string_is_forgotten_once_the_entry_is_removed_or_expires()
    {
        using var cache = new CredentialCache<string>(10, _time);
        var header = "Bearer " + new string('t', 40);
        var credential = header.AsSpan(7).ToString();
        cache.Set(cache.KeyOf(credential), "alice", _time.GetUtcNow().AddMinutes(1));

        // The first lookup computes the key and remembers the header string; the second is answered from memory.
        Assert.True(cache.TryGet(header, credential, out var first));
        Assert.True(cache.TryGet(header, credential, out var second));
        Assert.Equal(("alice", "alice"), (first, second));

        // A revocation removes the entry: the remembered lookup must not outlive it.
        cache.RemoveWhere("alice", static (value, name) => value == name);
        Assert.False(cache.TryGet(header, credential, out _));

        cache.Set(cache.KeyOf(credential), "alice", _time.GetUtcNow().AddMinutes(1));
        Assert.True(cache.TryGet(header, credential, out _));
        Assert.True(cache.TryGet(header, credential, out _));
        _time.Advance(TimeSpan.FromMinutes(1));
        Assert.False(cache.TryGet(header, credential, out _));
    }

    [Fact]
    public void Only_the_same_header_string_is_answered_from_memory_never_another_credential()
    {
        using var cache = new CredentialCache<string>(1_000, _time);
        var until = _time.GetUtcNow().AddMinutes(1);
        var headers = Enumerable.Range(0, 500).Select(i => "Bearer token-" + i).ToArray();
        foreach (var header in headers)
        {
            cache.Set(cache.KeyOf(header.AsSpan(7)), header, until);
            Assert.True(cache.TryGet(header, header.AsSpan(7), out _));
        }

        // Every slot now remembers some header. Equal text in another string is looked up by its key and found; text
        // that was never cached is not, whichever slot its string lands in.
        for (var i = 0; i < 500; i++)
        {
            var copy = string.Concat("Bearer token-", i.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Assert.True(cache.TryGet(copy, copy.AsSpan(7), out var value));
            Assert.Equal(headers[i], value);
            var other = string.Concat("Bearer other-", i.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Assert.False(cache.TryGet(other, other.AsSpan(7), out _));
        }
    }

    [Fact]
    public void Keys_are_keyed_hashes_private_to_one_cache()
    {
        using var first = new CredentialCache<string>(10, _time);
        using var second = new CredentialCache<string>(10, _time);
        Assert.Equal(first.KeyOf("ak_live_x"), first.KeyOf("ak_live_x"));
        Assert.NotEqual(first.KeyOf("ak_live_x"), first.KeyOf("ak_live_y"));
        Assert.NotEqual(first.KeyOf("ak_live_x"), second.KeyOf("ak_live_x"));
        Assert.Equal(first.KeyOf(new string('x', 5000)), first.KeyOf(new string('x', 5000)));
    }

    [Fact]
    public void Fifty_thousand_live_credentials_cycled_through_ten_thousand_places_are_each_admitted_and_the_budget_holds()
    {
        using var cache = new CredentialCache<string>(10_000, _time);
        var until = _time.GetUtcNow().AddHours(1);
        for (var i = 0; i < 50_000; i++)
        {
            var key = cache.KeyOf($"credential-{i}");
            cache.Set(key, $"value-{i}", until);

            // Every new entry is admitted, full of live entries or not.
            Assert.True(cache.TryGet(key, out var value));
            Assert.Equal($"value-{i}", value);
            Assert.True(cache.Size <= cache.SizeLimit, $"size {cache.Size} over the budget after {i + 1} entries");
        }
    }

    [Fact]
    public void Eviction_drops_the_least_recently_used_entries_first()
    {
        using var cache = new CredentialCache<string>(100, _time);
        var until = _time.GetUtcNow().AddHours(1);
        var hot = cache.KeyOf("hot");
        cache.Set(hot, "hot", until);
        for (var i = 0; i < 1_000; i++)
        {
            _time.Advance(TimeSpan.FromMilliseconds(1));
            Assert.True(cache.TryGet(hot, out _), $"the hot entry was evicted after {i} cold ones");
            _time.Advance(TimeSpan.FromMilliseconds(1));
            cache.Set(cache.KeyOf($"cold-{i}"), "cold", until);
        }

        // The newest cold entries are still there; the oldest are gone.
        Assert.True(cache.TryGet(cache.KeyOf("cold-999"), out _));
        Assert.False(cache.TryGet(cache.KeyOf("cold-0"), out _));
    }

    [Fact]
    public void Recency_needs_no_clock_movement()
    {
        // The clock never moves: recency still orders every use.
        using var cache = new CredentialCache<string>(100, _time);
        var until = _time.GetUtcNow().AddHours(1);
        var hot = cache.KeyOf("hot");
        cache.Set(hot, "hot", until);
        for (var i = 0; i < 1_000; i++)
        {
            Assert.True(cache.TryGet(hot, out _), $"the hot entry was evicted after {i} cold ones");
            cache.Set(cache.KeyOf($"cold-{i}"), "cold", until);
        }

        Assert.True(cache.TryGet(cache.KeyOf("cold-999"), out _));
        Assert.False(cache.TryGet(cache.KeyOf("cold-0"), out _));
    }

    [Fact]
    public void Expired_entries_go_before_live_ones_under_pressure()
    {
        using var cache = new CredentialCache<string>(10, _time);
        var live = cache.KeyOf("live");
        cache.Set(live, "live", _time.GetUtcNow().AddHours(1));
        _time.Advance(TimeSpan.FromMilliseconds(1));
        for (var i = 0; i < 9; i++)
        {
            cache.Set(cache.KeyOf($"short-{i}"), "short", _time.GetUtcNow().AddSeconds(1));
        }

        _time.Advance(TimeSpan.FromSeconds(2));
        cache.Set(cache.KeyOf("new"), "new", _time.GetUtcNow().AddHours(1));

        Assert.True(cache.TryGet(live, out _));
        Assert.Equal(2, cache.Count);
    }

    [Fact]
    public void Sizes_count_against_the_budget()
    {
        using var cache = new CredentialCache<string>(1_000, _time);
        var until = _time.GetUtcNow().AddHours(1);
        for (var i = 0; i < 100; i++)
        {
            _time.Advance(TimeSpan.FromMilliseconds(1));
            cache.Set(cache.KeyOf($"big-{i}"), "big", until, size: 300);
            Assert.True(cache.Size <= 1_000);
        }

        Assert.True(cache.Count <= 3);

        // An entry bigger than the whole budget is not stored at all.
        cache.Set(cache.KeyOf("huge"), "huge", until, size: 1_001);
        Assert.False(cache.TryGet(cache.KeyOf("huge"), out _));
    }

    [Fact]
    public void Remove_where_drops_every_matching_entry_and_a_verification_that_started_before_it_is_not_cached()
    {
        using var cache = new CredentialCache<string>(100, _time);
        var until = _time.GetUtcNow().AddHours(1);
        cache.Set(cache.KeyOf("a1"), "key-a", until);
        cache.Set(cache.KeyOf("a2"), "key-a", until);
        cache.Set(cache.KeyOf("b1"), "key-b", until);

        var generation = cache.Generation;
        Assert.Equal(2, cache.RemoveWhere("key-a", static (value, id) => value == id));
        Assert.False(cache.TryGet(cache.KeyOf("a1"), out _));
        Assert.True(cache.TryGet(cache.KeyOf("b1"), out _));

        // A result read before the removal arrives late: it must not come back.
        cache.Set(cache.KeyOf("a3"), "key-a", until, generation: generation);
        Assert.False(cache.TryGet(cache.KeyOf("a3"), out _));
        cache.Set(cache.KeyOf("a3"), "key-a", until, generation: cache.Generation);
        Assert.True(cache.TryGet(cache.KeyOf("a3"), out _));

        cache.Clear();
        Assert.Equal(0, cache.Count);
        Assert.Equal(0, cache.Size);
    }

    [Fact]
    public async Task Concurrent_first_uses_of_one_credential_share_one_verification()
    {
        using var cache = new CredentialCache<string>(100, _time);
        var key = cache.KeyOf("credential");
        var calls = 0;
        var release = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var waiters = Enumerable.Range(0, 50)
            .Select(_ => cache.ShareAsync(key, release, gate => { Interlocked.Increment(ref calls); return gate.Task; }, CancellationToken.None))
            .ToArray();

        release.SetResult("verified");
        var results = await Task.WhenAll(waiters);

        Assert.Equal(1, calls);
        Assert.All(results, r => Assert.Equal("verified", r));

        // Once finished, the next caller runs its own verification.
        await cache.ShareAsync(key, 0, _ => { Interlocked.Increment(ref calls); return Task.FromResult("again"); }, CancellationToken.None);
        Assert.Equal(2, calls);
    }

    [Fact]
    public async Task A_caller_that_goes_away_does_not_cancel_the_shared_verification()
    {
        using var cache = new CredentialCache<string>(100, _time);
        var key = cache.KeyOf("credential");
        var release = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var leaving = new CancellationTokenSource();
        var first = cache.ShareAsync(key, release, gate => gate.Task, leaving.Token);
        var second = cache.ShareAsync(key, release, gate => gate.Task, CancellationToken.None);

        await leaving.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first);
        release.SetResult("verified");
        Assert.Equal("verified", await second);
    }
}
