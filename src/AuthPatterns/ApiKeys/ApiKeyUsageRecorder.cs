using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AuthPatterns.ApiKeys;

/// <summary>
/// Collects last uses and usage events in memory and writes them to the store in batches: at most one write of each
/// kind per flush interval, whatever the request rate. Last uses are kept per key (a busy key holds one entry, not one
/// per request, and cannot push another key's last use out); the event queue is bounded and under overload the
/// oldest events go.
/// </summary>
internal sealed class ApiKeyUsageRecorder
{
    private const int Capacity = 100_000;

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
                static (keyId, use) => new ApiKeyLastUse(keyId, use.OccurredAt, use.Address),
                static (keyId, last, use) => last.UsedAt <= use.OccurredAt ? new ApiKeyLastUse(keyId, use.OccurredAt, use.Address) : last,
                usage);
        }

        if (usage.Method.Length > 0)
        {
            _queue.Writer.TryWrite(usage);
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
            }

            int lastUsesWritten = 0, eventsWritten = 0;
            try
            {
                if (lastUses.Count > 0)
                {
                    await _store.RecordLastUsesAsync(lastUses.Values.ToArray(), cancellationToken);
                    lastUsesWritten = lastUses.Count;
                    lastUses.Clear();
                }

                if (events.Count > 0)
                {
                    await _store.AddUsageEventsAsync(events.ToArray(), cancellationToken);
                    eventsWritten = events.Count;
                    events.Clear();
                }

                var now = _time.GetUtcNow();
                if (_options.RecordUsageEvents && now - _lastPrune >= TimeSpan.FromHours(1))
                {
                    _lastPrune = now;
                    await _store.DeleteUsageEventsAsync(now - _options.UsageEventRetention, cancellationToken);
                }

                if (lastUsesWritten + eventsWritten > 0)
                {
                    _logger.UsageFlushed(lastUsesWritten, eventsWritten);
                }
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                _logger.UsageFlushFailed(lastUses.Count + events.Count, exception);
            }
        }
        finally
        {
            _flushLock.Release();
        }
    }
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
