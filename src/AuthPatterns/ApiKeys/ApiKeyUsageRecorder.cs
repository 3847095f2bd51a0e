using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Threading.Channels;
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

    // How many single events the store may refuse, with none accepted, before a flush stops looking for the bad ones.
    private const int MaxRefusalsBeforeAWrite = 8;

    private readonly Channel<ApiKeyUsageEvent> _queue = Channel.CreateBounded<ApiKeyUsageEvent>(
        new BoundedChannelOptions(Capacity) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });

    private readonly ConcurrentDictionary<string, ApiKeyLastUse> _lastUses = new(StringComparer.Ordinal);
    private readonly IApiKeyStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ApiKeyAuthenticationOptions _options;
    private readonly SemaphoreSlim _flushLock = new(1, 1);

    // What a failed flush could not write, kept for the next one: a store outage delays usage data, it does not lose it
    // (up to Capacity events; last uses are one per key).
    private readonly Dictionary<string, ApiKeyLastUse> _pendingLastUses = new(StringComparer.Ordinal);
    private readonly List<ApiKeyUsageEvent> _pendingEvents = [];
    private DateTimeOffset _lastPrune = DateTimeOffset.MinValue;

    public ApiKeyUsageRecorder(IApiKeyStore store, IOptionsMonitor<ApiKeyAuthenticationOptions> options, TimeProvider time, ILogger<ApiKeyUsageRecorder> logger)
    {
        _store = store;
        _time = time;
        _logger = logger;
        _options = options.Get(ApiKeyAuthenticationDefaults.AuthenticationScheme);
    }

    public ApiKeyAuthenticationOptions Options => _options;

    /// <summary>Records one use: its key's last use and, when it names a <c>Method</c>, a queued usage event.</summary>
    public void Record(ApiKeyUsageEvent usage)
    {
        if (_options.RecordLastUse)
        {
            _lastUses.AddOrUpdate(
                usage.KeyId,
                static (keyId, use) => new ApiKeyLastUse(keyId, use.OccurredAt, ApiKeyUsageLimits.Address(use.Address)),
                static (keyId, last, use) => last.UsedAt <= use.OccurredAt ? new ApiKeyLastUse(keyId, use.OccurredAt, ApiKeyUsageLimits.Address(use.Address)) : last,
                usage);
        }

        if (usage.Method.Length > 0)
        {
            // A copy with bounded values: what a request chose can never make the store refuse the event.
            _queue.Writer.TryWrite(ApiKeyUsageLimits.Bound(usage));
        }
    }

    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        await _flushLock.WaitAsync(cancellationToken);
        try
        {
            // A use recorded after its key's entry is taken here stays for the next flush.
            var lastUses = _pendingLastUses;
            foreach (var keyId in _lastUses.Keys)
            {
                if (_lastUses.TryRemove(keyId, out var use) && (!lastUses.TryGetValue(keyId, out var pending) || pending.UsedAt <= use.UsedAt))
                {
                    lastUses[keyId] = use;
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
                ApiKeyTelemetry.UsageEventsDropped.Add(dropped, new KeyValuePair<string, object?>("reason", "overflow"));
            }

            int lastUsesWritten = 0, eventsWritten = 0;
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
                    _logger.UsageFlushFailed(lastUses.Count, exception);
                }
            }

            if (events.Count > 0)
            {
                eventsWritten = await WriteEventsAsync(events, cancellationToken);
            }

            var now = _time.GetUtcNow();
            if (_options.RecordUsageEvents && now - _lastPrune >= TimeSpan.FromHours(1))
            {
                try
                {
                    await _store.DeleteUsageEventsAsync(now - _options.UsageEventRetention, cancellationToken);
                    _lastPrune = now;
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    _logger.UsagePruneFailed(exception);
                }
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
            _logger.UsageFlushFailed(events.Count, failure);
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
                    ApiKeyTelemetry.UsageEventsDropped.Add(1, new KeyValuePair<string, object?>("reason", "refused"));
                    done.Add(usage);
                }
            }
            else
            {
                _logger.UsageFlushFailed(events.Count, failure);
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
/// The bounds of the stored usage values, and the one place that applies them: whatever a request carries, a stored
/// method, route and address fit their columns and are valid text in every database.
/// </summary>
internal static class ApiKeyUsageLimits
{
    public const int MaxMethodLength = 16;

    public const int MaxRouteLength = 512;

    public const int MaxAddressLength = 64;

    /// <summary>What is stored for a method that is not a short token.</summary>
    public const string OtherMethod = "OTHER";

    public static ApiKeyUsageEvent Bound(ApiKeyUsageEvent usage) => new()
    {
        KeyId = usage.KeyId,
        OccurredAt = usage.OccurredAt,
        Method = Method(usage.Method),
        Route = Route(usage.Route),
        StatusCode = usage.StatusCode,
        Address = Address(usage.Address),
    };

    /// <summary>The method itself when it is 1 to 16 ASCII letters, digits or '-' (every registered method is), else <c>OTHER</c>.</summary>
    public static string Method(string? method)
    {
        if (string.IsNullOrEmpty(method) || method.Length > MaxMethodLength)
        {
            return OtherMethod;
        }

        foreach (var c in method)
        {
            if (c is not ((>= 'A' and <= 'Z') or (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-'))
            {
                return OtherMethod;
            }
        }

        return method;
    }

    /// <summary>
    /// The route, its control characters and lone surrogates replaced by U+FFFD, cut to 512 UTF-16 units on a code-point
    /// boundary (a surrogate pair is kept whole or dropped whole).
    /// </summary>
    public static string Route(string? route) => Text(string.IsNullOrEmpty(route) ? "/" : route, MaxRouteLength);

    /// <summary>The address, bounded like the route; <see langword="null"/> stays <see langword="null"/>.</summary>
    public static string? Address(string? address) => address is null ? null : Text(address, MaxAddressLength);

    private static string Text(string value, int maxLength)
    {
        var clean = value.Length <= maxLength;
        for (var i = 0; clean && i < value.Length; i++)
        {
            clean = IsPlain(value, i) || (char.IsHighSurrogate(value[i]) && IsPair(value, i) && ++i > 0);
        }

        if (clean)
        {
            return value;
        }

        var text = new StringBuilder(Math.Min(value.Length, maxLength));
        for (var i = 0; i < value.Length; i++)
        {
            if (char.IsHighSurrogate(value[i]) && IsPair(value, i))
            {
                if (text.Length + 2 > maxLength)
                {
                    break;
                }

                text.Append(value[i]).Append(value[++i]);
                continue;
            }

            if (text.Length + 1 > maxLength)
            {
                break;
            }

            text.Append(IsPlain(value, i) ? value[i] : '\uFFFD');
        }

        return text.ToString();
    }

    private static bool IsPair(string value, int index) => index + 1 < value.Length && char.IsLowSurrogate(value[index + 1]);

    private static bool IsPlain(string value, int index) =>
        !char.IsSurrogate(value[index]) && char.GetUnicodeCategory(value[index]) != UnicodeCategory.Control;
}

/// <summary>Flushes recorded usage on a timer, and once more when the application stops.</summary>
internal sealed class ApiKeyUsageFlushService : BackgroundService
{
    private readonly ApiKeyUsageRecorder _recorder;
    private readonly TimeProvider _time;

    public ApiKeyUsageFlushService(ApiKeyUsageRecorder recorder, TimeProvider time)
    {
        _recorder = recorder;
        _time = time;
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await _recorder.FlushAsync(CancellationToken.None);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_recorder.Options.UsageFlushInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await _recorder.FlushAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: StopAsync flushes what is left.
        }
    }
}

/// <summary>Listens for revocations announced by other instances and drops those keys from this instance's cache.</summary>
internal sealed class ApiKeyRevocationSubscriber : IHostedService
{
    private readonly IApiKeyRevocationNotifier _notifier;
    private readonly ApiKeyVerifier _verifier;

    public ApiKeyRevocationSubscriber(IApiKeyRevocationNotifier notifier, ApiKeyVerifier verifier)
    {
        _notifier = notifier;
        _verifier = verifier;
    }

    public Task StartAsync(CancellationToken cancellationToken) =>
        _notifier.SubscribeAsync(
            keyId =>
            {
                _verifier.Evict(keyId);
                return Task.CompletedTask;
            },
            cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
