using System.Collections.Concurrent;

namespace AuthPatterns.ApiKeys;

/// <summary>
/// An <see cref="IApiKeyStore"/> in process memory, for tests and demos: everything is lost on restart. Writes to a
/// stored record happen under one lock, so no write replaces a record with a copy taken before another write.
/// </summary>
public sealed class InMemoryApiKeyStore : IApiKeyStore
{
    private readonly ConcurrentDictionary<string, ApiKeyRecord> _records = new(StringComparer.Ordinal);
    private readonly List<ApiKeyUsageEvent> _events = [];
    private readonly Lock _eventsLock = new();
    private readonly Lock _writeLock = new();
    private readonly Dictionary<(string KeyId, DateTimeOffset PeriodStart, string Outcome), long> _counts = [];
    private readonly Lock _countsLock = new();
    private long _nextEventId;
    private int _lookups;

    /// <summary>How many times <see cref="FindByIdAsync"/> was called (tests check that malformed keys cost no look-up).</summary>
    internal int LookupCount => Volatile.Read(ref _lookups);

    /// <summary>Every stored record (copies), for inspection in tests.</summary>
    internal IReadOnlyList<ApiKeyRecord> Records => [.. _records.Values.Select(r => r.Clone())];

    /// <inheritdoc/>
    public Task<ApiKeyRecord?> FindByIdAsync(string keyId, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _lookups);
        return Task.FromResult(_records.TryGetValue(keyId, out var record) ? record.Clone() : null);
    }

    /// <inheritdoc/>
    public Task<IReadOnlyList<ApiKeyRecord>> ListAsync(string? ownerId = null, string? tenant = null, CancellationToken cancellationToken = default)
    {
        IReadOnlyList<ApiKeyRecord> list = [.. _records.Values
            .Where(r => (ownerId is null || r.OwnerId == ownerId) && (tenant is null || r.Tenant == tenant))
            .OrderByDescending(r => r.CreatedAt)
            .Select(r => r.Clone())];
        return Task.FromResult(list);
    }

    /// <inheritdoc/>
    public Task CreateAsync(ApiKeyRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (!_records.TryAdd(record.Id, record.Clone()))
        {
            throw new InvalidOperationException("A key with this id already exists.");
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task<bool> UpdateAsync(ApiKeyRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        lock (_writeLock)
        {
            return Task.FromResult(TryUpdate(record));
        }
    }

    /// <inheritdoc/>
    public Task<bool> RollAsync(ApiKeyRecord successor, ApiKeyRecord replaced, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(successor);
        ArgumentNullException.ThrowIfNull(replaced);
        lock (_writeLock)
        {
            if (!_records.TryGetValue(replaced.Id, out var stored) || stored.Version != replaced.Version)
            {
                return Task.FromResult(false);
            }

            if (!_records.TryAdd(successor.Id, successor.Clone()))
            {
                throw new InvalidOperationException("A key with this id already exists.");
            }

            return Task.FromResult(TryUpdate(replaced));
        }
    }

    /// <inheritdoc/>
    public Task UpdateHashAsync(string keyId, string hash, CancellationToken cancellationToken = default)
    {
        lock (_writeLock)
        {
            if (_records.TryGetValue(keyId, out var record))
            {
                var copy = record.Clone();
                copy.Hash = hash;
                _records[keyId] = copy;
            }
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task RecordLastUsesAsync(IReadOnlyCollection<ApiKeyLastUse> uses, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(uses);
        lock (_writeLock)
        {
            foreach (var use in uses)
            {
                if (_records.TryGetValue(use.KeyId, out var record))
                {
                    var copy = record.Clone();
                    copy.LastUsedAt = use.UsedAt;
                    copy.LastUsedAddress = use.Address;
                    _records[use.KeyId] = copy;
                }
            }
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task AddUsageEventsAsync(IReadOnlyCollection<ApiKeyUsageEvent> events, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        lock (_eventsLock)
        {
            foreach (var usage in events)
            {
                usage.Id = ++_nextEventId;
                _events.Add(usage);
            }
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task<IReadOnlyList<ApiKeyUsageEvent>> ListUsageEventsAsync(string keyId, DateTimeOffset since, CancellationToken cancellationToken = default)
    {
        lock (_eventsLock)
        {
            IReadOnlyList<ApiKeyUsageEvent> list = [.. _events.Where(e => e.KeyId == keyId && e.OccurredAt >= since).OrderBy(e => e.OccurredAt)];
            return Task.FromResult(list);
        }
    }

    /// <inheritdoc/>
    public Task<int> DeleteUsageEventsAsync(DateTimeOffset olderThan, CancellationToken cancellationToken = default)
    {
        lock (_eventsLock)
        {
            return Task.FromResult(_events.RemoveAll(e => e.OccurredAt < olderThan));
        }
    }

    /// <inheritdoc/>
    public Task AddUsageCountsAsync(IReadOnlyCollection<ApiKeyUsageCount> counts, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(counts);
        lock (_countsLock)
        {
            foreach (var count in counts)
            {
                if (count.Count > 0 && _records.ContainsKey(count.KeyId) && ApiKeyUsageCount.CountedOutcomes.Contains(count.Outcome))
                {
                    var slot = (count.KeyId, ApiKeyUsageCount.PeriodOf(count.PeriodStart), count.Outcome);
                    _counts[slot] = _counts.GetValueOrDefault(slot) + count.Count;
                }
            }
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task<IReadOnlyList<ApiKeyUsageCount>> ListUsageCountsAsync(string? keyId, DateTimeOffset since, CancellationToken cancellationToken = default)
    {
        lock (_countsLock)
        {
            IReadOnlyList<ApiKeyUsageCount> list = [.. _counts
                .Where(c => (keyId is null || c.Key.KeyId == keyId) && c.Key.PeriodStart >= since)
                .OrderBy(c => c.Key.PeriodStart)
                .Select(c => new ApiKeyUsageCount { KeyId = c.Key.KeyId, PeriodStart = c.Key.PeriodStart, Outcome = c.Key.Outcome, Count = c.Value })];
            return Task.FromResult(list);
        }
    }

    /// <inheritdoc/>
    public Task<int> DeleteUsageCountsAsync(DateTimeOffset olderThan, CancellationToken cancellationToken = default)
    {
        lock (_countsLock)
        {
            var old = _counts.Keys.Where(k => k.PeriodStart < olderThan).ToArray();
            foreach (var key in old)
            {
                _counts.Remove(key);
            }

            return Task.FromResult(old.Length);
        }
    }

    // Under _writeLock. Writes the lifecycle fields only, as the database store does; a stored revocation stays.
    private bool TryUpdate(ApiKeyRecord record)
    {
        if (!_records.TryGetValue(record.Id, out var stored) || stored.Version != record.Version)
        {
            return false;
        }

        var copy = stored.Clone();
        copy.Scopes = [.. record.Scopes];
        copy.AllowedNetworks = [.. record.AllowedNetworks];
        copy.ExpiresAt = record.ExpiresAt;
        if (stored.RevokedAt is null && record.RevokedAt is not null)
        {
            copy.RevokedAt = record.RevokedAt;
            copy.RevocationReason = record.RevocationReason;
        }

        copy.Version = stored.Version + 1;
        _records[record.Id] = copy;
        return true;
    }
}
