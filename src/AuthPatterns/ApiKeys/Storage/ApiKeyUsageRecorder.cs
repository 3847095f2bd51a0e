using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Threading.Channels;
using AuthPatterns.Infrastructure;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AuthPatterns.ApiKeys;

/// <summary>
/// Collects last uses and usage events in memory and writes them to the store in batches: at most one write of each
/// kind per flush interval, whatever the request rate. Last uses are kept per key (a busy key holds one entry, not one
/// per request, and cannot push another key's last use out); the event queue is bounded and under overload the
/// oldest events go. Every stored value is bounded and valid by construction (<see cref="ApiKeyUsageLimits"/>), and one
/// event the store refuses never holds back the others: a failed batch is split until the refused events are found,
/// and only those are dropped (logged and counted). When the store cannot be reached at all, everything is kept for
/// the next flush. Last uses, events and retention pruning are written independently of one another.
/// </summary>
internal sealed class ApiKeyUsageRecorder
{
    private const int Capacity = 100_000;

    // Of those, the slots an exposure may take: an exposed key is counted from its id before any look-up, so a flood of
    // well-formed made-up keys in query strings fills these slots only, and the counts of stored keys keep the rest.
    private const int ExposedCapacity = Capacity / 10;

    // How many single events the store may refuse, with none accepted, before a flush stops looking for the bad ones.
    private const int MaxRefusalsBeforeAWrite = 8;

    private static readonly TimeSpan PruneInterval = TimeSpan.FromHours(1);

    // A taken box's count: so far below zero that no number of late increments brings it back above.
    private const long DeadCount = long.MinValue / 2;

    private readonly ApiKeyTelemetry _telemetry;
    private readonly Channel<ApiKeyUsageEvent> _queue = Channel.CreateBounded<ApiKeyUsageEvent>(
        new BoundedChannelOptions(Capacity) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });

    // One slot per key in use, updated in place: a request allocates nothing and writes no new reference into a
    // long-lived object, so the collector's work does not grow with the number of keys in use. A slot idle for a whole
    // flush interval is retired and removed.
    private readonly ConcurrentDictionary<string, LastUseSlot> _lastUses = new(StringComparer.Ordinal);

    // Counts per key, period and outcome since the last flush: one entry per slot whatever the request rate, and at most
    // Capacity slots (a flood of distinct key ids adds to no slot beyond it), of which at most ExposedCapacity exposures.
    // Each slot's count is a box incremented in place (one lookup and one atomic add per request, no lock); a flush takes
    // a slot out and marks its box dead, and a request that still held the box counts again in a new slot.
    private readonly ConcurrentDictionary<CountSlot, StrongBox<long>> _counts = new();
    private readonly Dictionary<CountSlot, long> _pendingCounts = [];
    private readonly IApiKeyStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ApiKeyAuthenticationOptions _options;
    private readonly SemaphoreSlim _flushLock = new(1, 1);
    private readonly OutageLog _storeOutage;

    // What a failed flush could not write, kept for the next one: a store outage delays usage data, it does not lose it
    // (up to Capacity events; last uses are one per key).
    private readonly Dictionary<string, ApiKeyLastUse> _pendingLastUses = new(StringComparer.Ordinal);
    private readonly List<ApiKeyUsageEvent> _pendingEvents = [];

    // The slots in _counts, kept here because ConcurrentDictionary.Count takes every lock of the dictionary; and those of
    // them that count exposures.
    private int _countSlots;
    private int _exposedSlots;
    private DateTimeOffset _lastPrune = DateTimeOffset.MinValue;
    private DateTimeOffset _lastCountPrune = DateTimeOffset.MinValue;

    public ApiKeyUsageRecorder(
        IApiKeyStore store,
        IOptionsMonitor<ApiKeyAuthenticationOptions> options,
        TimeProvider time,
        ILogger<ApiKeyUsageRecorder> logger,
        ApiKeyTelemetry telemetry)
    {
        _telemetry = telemetry;
        _store = store;
        _time = time;
        _logger = logger;
        _options = options.Get(ApiKeyAuthenticationDefaults.AuthenticationScheme);
        _storeOutage = new OutageLog(time);
    }

    public ApiKeyAuthenticationOptions Options => _options;

    /// <summary>The keys holding a last-use slot: those used within about the last two flush intervals.</summary>
    internal int LastUseSlotCount => _lastUses.Count;

    /// <summary>Records one use: its key's last use and, when it names a <c>Method</c>, a queued usage event.</summary>
    public void Record(ApiKeyUsageEvent usage)
    {
        RecordLastUse(usage.KeyId, usage.OccurredAt, usage.Address);
        if (usage.Method.Length > 0)
        {
            // A copy with bounded values: what a request chose can never make the store refuse the event.
            _queue.Writer.TryWrite(ApiKeyUsageLimits.Bound(usage));
        }
    }

    /// <summary>Records a key's use as its last use, unless a later one is recorded already (when last uses are recorded).</summary>
    public void RecordLastUse(string keyId, DateTimeOffset at, string? address)
    {
        if (!_options.RecordLastUse)
        {
            return;
        }

        // A slot a flush has just retired refuses the use, and is gone from the dictionary a moment later.
        while (!_lastUses.GetOrAdd(keyId, static id => new LastUseSlot(id)).TryRecord(at, address))
        {
        }
    }

    /// <summary>
    /// Counts one request of a key with its outcome (served, or one of the refused outcomes in
    /// <see cref="ApiKeyUsageCount.CountedOutcomes"/>), in the period of <paramref name="at"/>. Costs one dictionary update.
    /// </summary>
    public void Count(string keyId, string outcome, DateTimeOffset at)
    {
        if (!_options.RecordUsageCounts || !ApiKeyUsageCount.CountedOutcomes.Contains(outcome))
        {
            return;
        }

        // The slots are counted here, not with ConcurrentDictionary.Count, which takes every lock of the dictionary: with
        // thousands of keys in use that was most of the cost of a warm request.
        var slot = new CountSlot(keyId, ApiKeyUsageCount.PeriodOf(at), outcome);
        while (true)
        {
            if (_counts.TryGetValue(slot, out var box))
            {
                if (Interlocked.Increment(ref box.Value) > 0)
                {
                    return;
                }

                continue;
            }

            var exposed = IsExposure(slot);
            if (Volatile.Read(ref _countSlots) >= Capacity || (exposed && Volatile.Read(ref _exposedSlots) >= ExposedCapacity))
            {
                _telemetry.UsageEventsDropped(1, "count_overflow");
                return;
            }

            if (_counts.TryAdd(slot, new StrongBox<long>(1)))
            {
                Interlocked.Increment(ref _countSlots);
                if (exposed)
                {
                    Interlocked.Increment(ref _exposedSlots);
                }

                return;
            }
        }
    }

    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        await _flushLock.WaitAsync(cancellationToken);
        try
        {
            // A use recorded after its key's slot is taken here stays for the next flush.
            var lastUses = _pendingLastUses;
            foreach (var (keyId, slot) in _lastUses)
            {
                if (slot.Take(out var retired) is { } use)
                {
                    if (!lastUses.TryGetValue(keyId, out var pending) || pending.UsedAt <= use.UsedAt)
                    {
                        lastUses[keyId] = use;
                    }
                }
                else if (retired)
                {
                    _lastUses.TryRemove(new KeyValuePair<string, LastUseSlot>(keyId, slot));
                }
            }

            var events = _pendingEvents;
            while (_queue.Reader.TryRead(out var usage))
            {
                events.Add(usage);
            }

            if (events.Count > Capacity)
            {
                var dropped = events.Count - Capacity;
                events.RemoveRange(0, dropped);
                _logger.UsageEventsDropped(dropped);
                _telemetry.UsageEventsDropped(dropped, "overflow");
            }

            int lastUsesWritten = 0, eventsWritten = 0;
            var counts = _pendingCounts;
            foreach (var slot in _counts.Keys)
            {
                if (_counts.TryRemove(slot, out var box))
                {
                    // Dead from here on: an increment after this one finds a negative count and counts again in a new slot.
                    var count = Interlocked.Exchange(ref box.Value, DeadCount);
                    Interlocked.Decrement(ref _countSlots);
                    if (IsExposure(slot))
                    {
                        Interlocked.Decrement(ref _exposedSlots);
                    }

                    counts[slot] = counts.GetValueOrDefault(slot) + count;
                }
            }

            int countsWritten = 0;
            if (counts.Count > 0)
            {
                try
                {
                    await _store.AddUsageCountsAsync(
                        [.. counts.Select(c => new ApiKeyUsageCount { KeyId = c.Key.KeyId, PeriodStart = c.Key.PeriodStart, Outcome = c.Key.Outcome, Count = c.Value })],
                        cancellationToken);
                    countsWritten = counts.Count;
                    counts.Clear();
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    // Kept for the next flush; bounded like the live counts.
                    FlushFailed(counts.Count, exception, usageCounts: true);
                    if (counts.Count > Capacity)
                    {
                        foreach (var oldest in counts.Keys.OrderBy(k => k.PeriodStart).Take(counts.Count - Capacity).ToArray())
                        {
                            counts.Remove(oldest);
                        }
                    }
                }
            }

            if (lastUses.Count > 0)
            {
                try
                {
                    await _store.RecordLastUsesAsync(lastUses.Values.ToArray(), cancellationToken);
                    lastUsesWritten = lastUses.Count;
                    lastUses.Clear();
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    FlushFailed(lastUses.Count, exception);
                }
            }

            if (events.Count > 0)
            {
                eventsWritten = await WriteEventsAsync(events, cancellationToken);
            }

            var now = _time.GetUtcNow();
            if (_options.RecordUsageEvents && now - _lastPrune >= PruneInterval
                && await PruneAsync(_store.DeleteUsageEventsAsync, now - _options.UsageEventRetention, _logger.UsagePruneFailed, cancellationToken))
            {
                _lastPrune = now;
            }

            if (_options.RecordUsageCounts && now - _lastCountPrune >= PruneInterval
                && await PruneAsync(_store.DeleteUsageCountsAsync, now - _options.UsageCountRetention, _logger.UsageCountsPruneFailed, cancellationToken))
            {
                _lastCountPrune = now;
            }

            if (countsWritten + lastUsesWritten + eventsWritten > 0 && _storeOutage.Recovered(out var outage, out var failures))
            {
                _logger.UsageFlushRecovered(outage.TotalSeconds, failures);
            }

            if (countsWritten > 0)
            {
                _logger.UsageCountsFlushed(countsWritten);
            }

            if (lastUsesWritten + eventsWritten > 0)
            {
                _logger.UsageFlushed(lastUsesWritten, eventsWritten);
            }
        }
        finally
        {
            _flushLock.Release();
        }
    }

    // Deletes what is past its retention; a failure is logged and tried again on the next flush.
    private static async Task<bool> PruneAsync(
        Func<DateTimeOffset, CancellationToken, Task<int>> delete, DateTimeOffset olderThan, Action<Exception> failed, CancellationToken cancellationToken)
    {
        try
        {
            await delete(olderThan, cancellationToken);
            return true;
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            failed(exception);
            return false;
        }
    }

    private static bool IsExposure(CountSlot slot) => string.Equals(slot.Outcome, ApiKeyOutcomes.Exposed, StringComparison.Ordinal);

    // A store that is down fails every flush the same way: the first failure is logged with its exception, then a
    // summary once a minute, and one line when a flush writes again.
    private void FlushFailed(int count, Exception exception, bool usageCounts = false)
    {
        var step = _storeOutage.Failed();
        switch (step.Kind)
        {
            case OutageStepKind.First when usageCounts:
                _logger.UsageCountsFlushFailed(count, exception);
                break;
            case OutageStepKind.First:
                _logger.UsageFlushFailed(count, exception);
                break;
            case OutageStepKind.Summary:
                _logger.UsageFlushStillFailing(step.Duration.TotalSeconds, step.FailuresSinceLastLine, count);
                break;
            default:
                _logger.UsageFlushFailedAgain(count);
                break;
        }
    }

    /// <summary>
    /// Writes the pending events in one batch. When the store refuses the batch but still answers a look-up, splits it
    /// in halves until each refused event stands alone, writes the rest, and drops the refused ones once the store has
    /// accepted others in the same flush (so a store that reads but cannot write loses nothing). Events leave
    /// <paramref name="events"/> once written or dropped, so a cancelled flush never writes one twice.
    /// </summary>
    private async Task<int> WriteEventsAsync(List<ApiKeyUsageEvent> events, CancellationToken cancellationToken)
    {
        Exception failure;
        try
        {
            await _store.AddUsageEventsAsync(events.ToArray(), cancellationToken);
            var count = events.Count;
            events.Clear();
            return count;
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            failure = exception;
        }

        if (!await StoreAnswersAsync(cancellationToken))
        {
            // The store is down, not the events wrong: keep them all for the next flush.
            FlushFailed(events.Count, failure);
            return 0;
        }

        var done = new HashSet<ApiKeyUsageEvent>(ReferenceEqualityComparer.Instance);
        var refused = new List<(ApiKeyUsageEvent Usage, Exception Error)>();
        var written = 0;
        try
        {
            var all = events.ToArray();
            var parts = new Stack<ArraySegment<ApiKeyUsageEvent>>();
            parts.Push(all);
            while (parts.TryPop(out var part))
            {
                // Refusal after refusal and nothing written looks like a store that cannot write: stop splitting.
                if (written == 0 && refused.Count >= MaxRefusalsBeforeAWrite)
                {
                    break;
                }

                try
                {
                    await _store.AddUsageEventsAsync(part.ToArray(), cancellationToken);
                    written += part.Count;
                    done.UnionWith(part);
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    if (part.Count == 1)
                    {
                        refused.Add((part[0], exception));
                        continue;
                    }

                    var half = part.Count / 2;
                    parts.Push(part[half..]);
                    parts.Push(part[..half]);
                }
            }

            if (written > 0)
            {
                foreach (var (usage, error) in refused)
                {
                    _logger.UsageEventRefused(usage, error);
                    _telemetry.UsageEventsDropped(1, "refused");
                    done.Add(usage);
                }
            }
            else
            {
                FlushFailed(events.Count, failure);
            }
        }
        finally
        {
            events.RemoveAll(done.Contains);
            if (written == 0 && refused.Count > 0)
            {
                // Kept, but behind the others: the next flush reaches the events the store accepts first.
                var kept = refused.Select(r => r.Usage).ToHashSet(ReferenceEqualityComparer.Instance);
                events.RemoveAll(kept.Contains);
                events.AddRange(refused.Select(r => r.Usage));
            }
        }

        return written;
    }

    private async Task<bool> StoreAnswersAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _store.FindByIdAsync(new string('0', ApiKeyFormat.KeyIdLength), cancellationToken);
            return true;
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            return false;
        }
    }
}

/// <summary>
/// A key's last use since the last flush, updated in place under its own lock. Its time and address change together,
/// and the address is written only when it changes (a connection's requests share one address string).
/// </summary>
internal sealed class LastUseSlot(string keyId)
{
    private readonly Lock _gate = new();
    private DateTimeOffset _usedAt;
    private string? _address;
    private bool _pending;
    private bool _idle;
    private bool _retired;

    /// <returns><see langword="false"/> when the slot is retired and the use belongs in the key's next slot.</returns>
    public bool TryRecord(DateTimeOffset at, string? address)
    {
        lock (_gate)
        {
            if (_retired)
            {
                return false;
            }

            if (!_pending || _usedAt <= at)
            {
                _usedAt = at;
                if (!ReferenceEquals(_address, address))
                {
                    _address = address;
                }

                _pending = true;
            }

            return true;
        }
    }

    /// <summary>
    /// The last use recorded since the previous call, or <see langword="null"/>; a slot that had none for two calls in a
    /// row (a whole flush interval) is retired: it refuses uses from then on, and the caller removes it.
    /// </summary>
    public ApiKeyLastUse? Take(out bool retired)
    {
        lock (_gate)
        {
            if (_pending)
            {
                _pending = false;
                _idle = false;
                retired = false;
                return new ApiKeyLastUse(keyId, _usedAt, ApiKeyUsageLimits.Address(_address));
            }

            retired = _retired = _idle;
            _idle = true;
            return null;
        }
    }
}

/// <summary>One key, period and outcome: the slot a usage count adds to.</summary>
internal readonly record struct CountSlot(string KeyId, DateTimeOffset PeriodStart, string Outcome);
