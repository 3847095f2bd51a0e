using AuthPatterns.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace AuthPatterns.Tests.Infrastructure;

public sealed class CredentialIdMemoryTests
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));

    [Fact]
    public void An_unknown_id_is_remembered_until_its_memory_expires()
    {
        var memory = new CredentialIdMemory(10, _time);
        memory.RememberUnknown("id-1", _time.GetUtcNow().AddSeconds(5));

        _time.Advance(TimeSpan.FromSeconds(4.999));
        Assert.True(memory.IsUnknown("id-1"));
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.False(memory.IsUnknown("id-1"));
        Assert.False(memory.IsUnknown("id-2"));
    }

    [Fact]
    public void A_flood_of_new_ids_stays_within_capacity_and_keeps_the_id_in_use()
    {
        var memory = new CredentialIdMemory(100, _time);
        var until = _time.GetUtcNow().AddMinutes(1);
        memory.RememberUnknown("in-use", until);

        for (var i = 0; i < 5_000; i++)
        {
            memory.RememberUnknown($"flood-{i}", until);
            Assert.True(memory.Count <= memory.Capacity);
            Assert.True(memory.IsUnknown("in-use"));
        }

        Assert.False(memory.IsUnknown("flood-0"));
        Assert.True(memory.IsUnknown("flood-4999"));
    }

    [Fact]
    public void Over_capacity_expired_ids_go_before_the_least_recently_used_live_ones()
    {
        var memory = new CredentialIdMemory(10, _time);
        for (var i = 0; i < 5; i++)
        {
            memory.RememberUnknown($"old-{i}", _time.GetUtcNow().AddSeconds(1));
        }

        for (var i = 0; i < 5; i++)
        {
            memory.RememberUnknown($"live-{i}", _time.GetUtcNow().AddMinutes(1));
        }

        _time.Advance(TimeSpan.FromSeconds(2));
        memory.RememberUnknown("new", _time.GetUtcNow().AddMinutes(1));

        Assert.Equal(6, memory.Count);
        Assert.All(Enumerable.Range(0, 5), i => Assert.True(memory.IsUnknown($"live-{i}")));
        Assert.True(memory.IsUnknown("new"));
    }

    [Fact]
    public void A_removal_refuses_verifications_begun_before_it_and_forgets_that_the_id_was_unknown()
    {
        var memory = new CredentialIdMemory(10, _time);
        memory.RememberUnknown("id-1", _time.GetUtcNow().AddMinutes(1));
        var before = memory.Generation;

        memory.Removed("id-1");

        Assert.False(memory.IsUnknown("id-1"));
        Assert.True(memory.WasRemovedSince("id-1", before));
        Assert.False(memory.WasRemovedSince("id-2", before));
        Assert.False(memory.WasRemovedSince("id-1", memory.Generation));
    }

    [Fact]
    public void A_removal_pushed_out_by_a_flood_still_refuses_verifications_begun_before_it()
    {
        var memory = new CredentialIdMemory(10, _time);
        var before = memory.Generation;
        memory.Removed("revoked");
        var after = memory.Generation;

        for (var i = 0; i < 100; i++)
        {
            memory.RememberUnknown($"flood-{i}", _time.GetUtcNow().AddMinutes(1));
        }

        Assert.True(memory.Count <= memory.Capacity);
        Assert.True(memory.WasRemovedSince("revoked", before));
        Assert.False(memory.WasRemovedSince("revoked", after));
    }

    [Fact]
    public void Removing_every_id_refuses_every_older_verification_and_forgets_every_unknown_id()
    {
        var memory = new CredentialIdMemory(10, _time);
        memory.RememberUnknown("id-1", _time.GetUtcNow().AddMinutes(1));
        var before = memory.Generation;

        memory.RemovedAll();

        Assert.Equal(0, memory.Count);
        Assert.False(memory.IsUnknown("id-1"));
        Assert.True(memory.WasRemovedSince("any", before));
        Assert.False(memory.WasRemovedSince("any", memory.Generation));
    }
}
