using System.Collections.Concurrent;

namespace AuthPatterns.Infrastructure;

/// <summary>
/// What a scheme remembers about credential ids (public ids such as an API key's id, never secrets) beside its
/// <see cref="CredentialCache{TValue}"/>, in one bounded structure: ids the store did not know (answered without I/O
/// until the memory expires) and when each id was last removed (so a verification that began before a removal never
/// caches its result after it).
/// <para>
/// At most <c>capacity</c> ids are held. Over it, ids whose unknown memory expired and that carry no removal go first,
/// then the least recently used, down to 90 % of the capacity; a flood of new ids therefore pushes out old ones rather
/// than wiping what is in use. Forgetting an id's removal raises a floor that refuses every verification begun before
/// it, so forgetting is never unsafe, only a re-verification.
/// </para>
/// </summary>
internal sealed class CredentialIdMemory
{
    private readonly ConcurrentDictionary<string, Entry> _ids = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly int _capacity;
    private long _generation;
    private long _floor;
    private long _uses;
    private int _held;
    private int _evicting;

    /// <param name="capacity">The most ids held.</param>
    /// <param name="time">The clock unknown ids expire by.</param>
    public CredentialIdMemory(int capacity, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _capacity = capacity;
        _time = time;
    }

    /// <summary>The number of ids held.</summary>
    public int Count => _ids.Count;

    /// <summary>The most ids held.</summary>
    public int Capacity => _capacity;

    /// <summary>
    /// A counter that moves on every removal. A verification reads it before its slow work and asks
    /// <see cref="WasRemovedSince"/> before caching.
    /// </summary>
    public long Generation => Interlocked.Read(ref _generation);

    /// <summary>Whether the id is remembered as unknown and that memory has not expired; a hit makes it recently used.</summary>
    public bool IsUnknown(string id)
    {
        if (_ids.TryGetValue(id, out var entry) && _time.GetUtcNow() < entry.UnknownUntil)
        {
            entry.LastUsed = Interlocked.Increment(ref _uses);
            return true;
        }

        return false;
    }

    /// <summary>Remembers that the store does not know the id, until <paramref name="until"/>.</summary>
    public void RememberUnknown(string id, DateTimeOffset until)
    {
        var entry = Hold(id);
        entry.UnknownUntil = until;
        entry.LastUsed = Interlocked.Increment(ref _uses);
        TrimIfOver();
    }

    /// <summary>
    /// Records a removal of the id (a revocation or a change) and forgets that it was unknown. Call it before dropping
    /// the id's cache entries, so a verification caching meanwhile sees one or the other.
    /// </summary>
    public void Removed(string id)
    {
        var generation = Interlocked.Increment(ref _generation);
        var entry = Hold(id);
        entry.UnknownUntil = DateTimeOffset.MinValue;
        InterlockedMax(ref entry.RemovedAt, generation);
        entry.LastUsed = Interlocked.Increment(ref _uses);
        if (!_ids.TryGetValue(id, out var held) || !ReferenceEquals(held, entry))
        {
            // Trimmed or cleared while being written: the removal must still hold, for every id if need be.
            InterlockedMax(ref _floor, generation);
        }

        TrimIfOver();
    }

    /// <summary>Records a removal of every id: nothing verified before now caches, and no id is unknown any more.</summary>
    public void RemovedAll()
    {
        InterlockedMax(ref _floor, Interlocked.Increment(ref _generation));
        foreach (var pair in _ids)
        {
            if (_ids.TryRemove(pair))
            {
                Interlocked.Decrement(ref _held);
            }
        }
    }

    /// <summary>Whether the id (or every id) was removed after <paramref name="generation"/> was read.</summary>
    public bool WasRemovedSince(string id, long generation) =>
        Interlocked.Read(ref _floor) > generation
        || (_ids.TryGetValue(id, out var entry) && Interlocked.Read(ref entry.RemovedAt) > generation);

    private void TrimIfOver()
    {
        if (Volatile.Read(ref _held) <= _capacity || Interlocked.Exchange(ref _evicting, 1) == 1)
        {
            return;
        }

        try
        {
            var now = _time.GetUtcNow();
            var candidates = new List<KeyValuePair<string, Entry>>(Volatile.Read(ref _held));
            foreach (var pair in _ids)
            {
                if (now >= pair.Value.UnknownUntil && Interlocked.Read(ref pair.Value.RemovedAt) == 0)
                {
                    Forget(pair);
                }
                else
                {
                    candidates.Add(pair);
                }
            }

            var target = _capacity - (_capacity / 10);
            if (Volatile.Read(ref _held) <= target)
            {
                return;
            }

            candidates.Sort(static (x, y) => x.Value.LastUsed.CompareTo(y.Value.LastUsed));
            foreach (var pair in candidates)
            {
                if (Volatile.Read(ref _held) <= target)
                {
                    break;
                }

                Forget(pair);
            }
        }
        finally
        {
            Volatile.Write(ref _evicting, 0);
        }
    }

    // The id's entry, added when new. Every addition and removal moves the count of held ids, so the check on each new
    // id reads one counter instead of ConcurrentDictionary.Count, which takes every lock of the dictionary.
    private Entry Hold(string id)
    {
        while (true)
        {
            if (_ids.TryGetValue(id, out var held))
            {
                return held;
            }

            var entry = new Entry();
            if (_ids.TryAdd(id, entry))
            {
                Interlocked.Increment(ref _held);
                return entry;
            }
        }
    }

    // An id's removal, once forgotten, is kept by the floor: no verification begun before it may cache. Read after the
    // entry left, so a removal recorded while it was leaving is not lost.
    private void Forget(KeyValuePair<string, Entry> pair)
    {
        if (_ids.TryRemove(pair))
        {
            Interlocked.Decrement(ref _held);
            InterlockedMax(ref _floor, Interlocked.Read(ref pair.Value.RemovedAt));
        }
    }

    private static void InterlockedMax(ref long location, long value)
    {
        var current = Interlocked.Read(ref location);
        while (current < value)
        {
            var seen = Interlocked.CompareExchange(ref location, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    private sealed class Entry
    {
        // The generation of the id's last removal; 0 when it was never removed.
        public long RemovedAt;

        public DateTimeOffset UnknownUntil { get; set; } = DateTimeOffset.MinValue;

        // The memory's use counter at the last write or hit (recency only needs to be roughly right).
        public long LastUsed { get; set; }
    }
}
