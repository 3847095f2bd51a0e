using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace AuthPatterns.Infrastructure;

/// <summary>
/// A credential's cache key: HMAC-SHA256 of the credential under a per-cache secret, so the cache never holds the
/// credential and its keys mean nothing outside this process.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal readonly record struct CredentialKey(ulong A, ulong B, ulong C, ulong D);

/// <summary>
/// The one cache for verified credentials, used by every scheme: bounded by a size budget (units chosen by the caller,
/// one per entry or an estimate in bytes), entries never served at or after their expiry, least recently used entries
/// evicted first when the budget is exceeded (a new entry is always admitted, so a cache full of live entries keeps
/// caching; or, where a miss is cheap, admitted by how often it was looked up, so a flood cannot churn the cache),
/// concurrent first uses of one credential sharing one verification, and every entry removable by a
/// predicate (a revocation or a change drops what it affects).
/// </summary>
/// <typeparam name="TValue">What a verification produced: the claims or record a warm request needs.</typeparam>
internal sealed class CredentialCache<TValue> : IDisposable
    where TValue : class
{
    private readonly ConcurrentDictionary<CredentialKey, Entry> _entries = new();
    // Remembered lookups (see TryGet by source): a fixed number of slots, so their memory is bounded whatever the traffic.
    private const int RecentSlots = 128;

    private readonly ConcurrentDictionary<CredentialKey, object> _inFlight = new();
    private readonly Recent?[] _recent = new Recent?[RecentSlots];
    private readonly ThreadLocal<IncrementalHash> _hmac;
    private readonly TimeProvider _time;
    private readonly long _sizeLimit;
    private readonly FrequencySketch? _frequency;
    private long _size;
    private long _generation;
    private long _uses;
    private int _evicting;

    /// <param name="sizeLimit">The budget, in the units the callers pass to <see cref="Set"/>.</param>
    /// <param name="time">The clock expiry is read from.</param>
    /// <param name="secret">
    /// The HMAC secret, when several instances must name one credential alike (a broadcast sign-out); a random one of
    /// this process otherwise.
    /// </param>
    /// <param name="admissionKeys">
    /// 0: every new entry is admitted (a miss is expensive: an Argon2id verification). Otherwise about how many entries
    /// the cache holds at most, and admission by frequency: once the cache is nearly full, a credential gets in only if
    /// it was looked up more often lately than the entries the last eviction let go (see <see cref="Set"/>).
    /// </param>
    public CredentialCache(long sizeLimit, TimeProvider time, byte[]? secret = null, int admissionKeys = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(sizeLimit, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(admissionKeys);
        _sizeLimit = sizeLimit;
        _time = time;
        _frequency = admissionKeys > 0 ? new FrequencySketch(admissionKeys) : null;

        // One HMAC instance per thread under one secret: no key schedule per request.
        secret = secret is { Length: >= 32 } shared ? (byte[])shared.Clone() : RandomNumberGenerator.GetBytes(32);
        _hmac = new ThreadLocal<IncrementalHash>(() => IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, secret), trackAllValues: true);
    }

    /// <summary>The number of entries held.</summary>
    public int Count => _entries.Count;

    /// <summary>The units held, against <see cref="SizeLimit"/>.</summary>
    public long Size => Interlocked.Read(ref _size);

    /// <summary>The budget.</summary>
    public long SizeLimit => _sizeLimit;

    /// <summary>
    /// A counter that moves on every removal. A verification reads it before its slow work and passes it to
    /// <see cref="Set"/>, so a result read before a revocation is never cached after it.
    /// </summary>
    public long Generation => Interlocked.Read(ref _generation);

    /// <summary>The key of a credential.</summary>
    public CredentialKey KeyOf(ReadOnlySpan<char> credential) => KeyOf(credential, []);

    /// <summary>
    /// The key of a credential given in two parts, in one HMAC over both: the caller makes the first part
    /// self-delimiting (length-prefixed), so no two pairs of parts share a key.
    /// </summary>
    public CredentialKey KeyOf(ReadOnlySpan<char> first, ReadOnlySpan<char> second)
    {
        var hmac = _hmac.Value!;
        Append(hmac, first);
        Append(hmac, second);
        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        hmac.GetHashAndReset(mac);
        var words = MemoryMarshal.Cast<byte, ulong>(mac);
        return new CredentialKey(words[0], words[1], words[2], words[3]);
    }

    private static void Append(IncrementalHash hmac, ReadOnlySpan<char> text)
    {
        if (text.IsEmpty)
        {
            return;
        }

        var maxBytes = Encoding.UTF8.GetMaxByteCount(text.Length);
        if (maxBytes <= 1024)
        {
            Span<byte> utf8 = stackalloc byte[maxBytes];
            var length = Encoding.UTF8.GetBytes(text, utf8);
            hmac.AppendData(utf8[..length]);
            CryptographicOperations.ZeroMemory(utf8);
        }
        else
        {
            var rented = ArrayPool<byte>.Shared.Rent(maxBytes);
            var length = Encoding.UTF8.GetBytes(text, rented);
            hmac.AppendData(rented.AsSpan(0, length));
            CryptographicOperations.ZeroMemory(rented.AsSpan(0, length));
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>The cached value, if present and not expired; a hit makes the entry the most recently used.</summary>
    public bool TryGet(CredentialKey key, out TValue value)
    {
        if (_entries.TryGetValue(key, out var entry))
        {
            if (_time.GetUtcNow() < entry.ExpiresAt)
            {
                _frequency?.Increment(key);
                entry.LastUsed = Interlocked.Increment(ref _uses);
                value = entry.Value;
                return true;
            }

            Remove(key, entry);
        }

        value = null!;
        return false;
    }

    /// <summary>
    /// The cached value of a credential read from <paramref name="source"/>, a header value as the server gave it: when
    /// this very string object was looked up before (a server hands a connection's unchanged header to each of its
    /// requests as one string; Kestrel does, for known headers such as <c>Authorization</c> and <c>Cookie</c>), the
    /// answer is remembered and no HMAC is computed. Only the same object hits, so the credential is the same, character
    /// for character; any removal since it was remembered, or the entry's expiry, makes it miss. Otherwise the lookup is
    /// <see cref="TryGet(CredentialKey, out TValue)"/> by the key of <paramref name="credential"/>.
    /// </summary>
    public bool TryGet(string source, ReadOnlySpan<char> credential, out TValue value)
    {
        var slot = SlotOf(source);
        var generation = Interlocked.Read(ref _generation);
        if (Volatile.Read(ref _recent[slot]) is { } recent
            && recent.Source.TryGetTarget(out var remembered)
            && ReferenceEquals(remembered, source)
            && recent.Generation == generation
            && _time.GetUtcNow() < recent.Entry.ExpiresAt)
        {
            _frequency?.Increment(recent.Key);
            recent.Entry.LastUsed = Interlocked.Increment(ref _uses);
            value = recent.Entry.Value;
            return true;
        }

        var key = KeyOf(credential);
        if (!_entries.TryGetValue(key, out var entry) || _time.GetUtcNow() >= entry.ExpiresAt)
        {
            // An expired entry is left to the full lookup, which drops it.
            value = null!;
            return false;
        }

        _frequency?.Increment(key);
        entry.LastUsed = Interlocked.Increment(ref _uses);
        Volatile.Write(ref _recent[slot], new Recent(new WeakReference<string>(source), key, entry, generation));

        value = entry.Value;
        return true;
    }

    private static int SlotOf(string source) => (RuntimeHelpers.GetHashCode(source) & int.MaxValue) % RecentSlots;

    /// <summary>
    /// Caches a value until <paramref name="expiresAt"/>. Over the budget, the least recently used entries go (with
    /// admission by frequency, the least often used lately first). Without it the new one is always admitted. With it,
    /// once the cache is 90 % full, a credential not cached yet is admitted only if it was looked up more often lately
    /// than most of the entries the last eviction let go: credentials seen once (a flood of distinct valid tokens) or a
    /// sweep over more of them than fit neither push out the ones in steady use nor churn the cache, and a credential in
    /// steady use gets in after a few lookups.
    /// Nothing is stored when a removal happened since <paramref name="generation"/>. Tells whether it was stored.
    /// </summary>
    public bool Set(CredentialKey key, TValue value, DateTimeOffset expiresAt, long size = 1, long? generation = null)
    {
        // With admission by frequency, uses of verified credentials are counted: each hit, and each verified miss
        // offered here. A lookup that misses is not, so credentials any sender makes up count for nothing.
        _frequency?.Increment(key);
        var now = _time.GetUtcNow();
        if (expiresAt <= now || size > _sizeLimit || (generation is { } seen && seen != Generation) || RefusesAdmission(key, size))
        {
            return false;
        }

        var entry = new Entry(value, expiresAt, size) { LastUsed = Interlocked.Increment(ref _uses) };
        _entries.AddOrUpdate(
            key,
            static (_, state) =>
            {
                Interlocked.Add(ref state.Cache._size, state.Entry.Size);
                return state.Entry;
            },
            static (_, old, state) =>
            {
                Interlocked.Add(ref state.Cache._size, state.Entry.Size - old.Size);
                return state.Entry;
            },
            (Cache: this, Entry: entry));

        // A removal that ran between the check above and the insert may have missed this entry: take it back.
        if (generation is { } started && started != Generation)
        {
            Remove(key, entry);
            return false;
        }

        if (Interlocked.Read(ref _size) > _sizeLimit)
        {
            Evict(key);
        }

        return true;
    }

    private long EvictionTarget => _sizeLimit - (_sizeLimit / 10);

    private bool RefusesAdmission(CredentialKey key, long size) =>
        _frequency is not null
        && Interlocked.Read(ref _size) + size > EvictionTarget
        && !_entries.ContainsKey(key)
        && !_frequency.Admits(key);

    /// <summary>
    /// Runs <paramref name="verify"/> once for all concurrent callers of one key (the first uses of one credential share
    /// one verification). The shared run is not cancelled when one caller goes away; each caller stops waiting on its
    /// own token. One cache shares one result type per key.
    /// </summary>
    public async Task<TResult> ShareAsync<TState, TResult>(CredentialKey key, TState state, Func<TState, Task<TResult>> verify, CancellationToken cancellationToken)
    {
        var call = (Lazy<Task<TResult>>)_inFlight.GetOrAdd(
            key,
            static (_, arguments) => new Lazy<Task<TResult>>(() => arguments.Verify(arguments.State)),
            (Verify: verify, State: state));
        try
        {
            return await call.Value.WaitAsync(cancellationToken);
        }
        finally
        {
            _inFlight.TryRemove(KeyValuePair.Create(key, (object)call));
        }
    }

    /// <summary>Drops one entry.</summary>
    public void Remove(CredentialKey key)
    {
        Interlocked.Increment(ref _generation);
        if (_entries.TryRemove(key, out var entry))
        {
            Interlocked.Add(ref _size, -entry.Size);
        }
    }

    /// <summary>Drops every entry whose value matches (the entries of one revoked key, one denied token id).</summary>
    public int RemoveWhere<TState>(TState state, Func<TValue, TState, bool> match)
    {
        Interlocked.Increment(ref _generation);
        var removed = 0;
        foreach (var pair in _entries)
        {
            if (match(pair.Value.Value, state) && _entries.TryRemove(pair))
            {
                Interlocked.Add(ref _size, -pair.Value.Size);
                removed++;
            }
        }

        return removed;
    }

    /// <summary>Drops everything (after missed revocations could not be ruled out).</summary>
    public void Clear()
    {
        Interlocked.Increment(ref _generation);
        foreach (var pair in _entries)
        {
            if (_entries.TryRemove(pair))
            {
                Interlocked.Add(ref _size, -pair.Value.Size);
            }
        }
    }

    public void Dispose()
    {
        foreach (var hmac in _hmac.Values)
        {
            hmac.Dispose();
        }

        _hmac.Dispose();
    }

    private void Remove(CredentialKey key, Entry entry)
    {
        if (_entries.TryRemove(KeyValuePair.Create(key, entry)))
        {
            Interlocked.Add(ref _size, -entry.Size);
        }
    }

    // Expired entries first, then the least recently used (never the one just admitted), down to 90 % of the budget; with
    // admission by frequency, the least often used lately first and the least recently used among those. One evictor at
    // a time; others keep admitting meanwhile, so the budget is exceeded only briefly and by what arrives during one sweep.
    private void Evict(CredentialKey admitted)
    {
        if (Interlocked.Exchange(ref _evicting, 1) == 1)
        {
            return;
        }

        try
        {
            var now = _time.GetUtcNow();
            var candidates = new List<(CredentialKey Key, Entry Entry, int Frequency)>(_entries.Count);
            foreach (var pair in _entries)
            {
                if (now >= pair.Value.ExpiresAt)
                {
                    Remove(pair.Key, pair.Value);
                }
                else if (pair.Key != admitted)
                {
                    candidates.Add((pair.Key, pair.Value, _frequency?.Estimate(pair.Key) ?? 0));
                }
            }

            var target = EvictionTarget;
            if (Interlocked.Read(ref _size) <= target)
            {
                return;
            }

            candidates.Sort(static (x, y) => x.Frequency != y.Frequency
                ? x.Frequency.CompareTo(y.Frequency)
                : x.Entry.LastUsed.CompareTo(y.Entry.LastUsed));
            Span<int> evictedByFrequency = stackalloc int[FrequencySketch.MaxFrequency + 1];
            var evicted = 0;
            foreach (var (key, entry, frequency) in candidates)
            {
                if (Interlocked.Read(ref _size) <= target)
                {
                    break;
                }

                Remove(key, entry);
                evictedByFrequency[frequency]++;
                evicted++;
            }

            if (evicted > 0)
            {
                _frequency?.SetFloor(evictedByFrequency, evicted);
            }
        }
        finally
        {
            Volatile.Write(ref _evicting, 0);
        }
    }

    // A lookup answered by the identity of its source string, valid while no removal happened since. The string is
    // held weakly: the cache never keeps a credential alive.
    private sealed record Recent(WeakReference<string> Source, CredentialKey Key, Entry Entry, long Generation);

    private sealed class Entry(TValue value, DateTimeOffset expiresAt, long size)
    {
        public TValue Value { get; } = value;

        public DateTimeOffset ExpiresAt { get; } = expiresAt;

        public long Size { get; } = size;

        // The cache's use counter at the last hit, written without a lock (recency only needs to be roughly right). A
        // counter, not a clock: two uses never tie, under a frozen test clock or a coarse timer alike.
        public long LastUsed { get; set; }
    }
}
