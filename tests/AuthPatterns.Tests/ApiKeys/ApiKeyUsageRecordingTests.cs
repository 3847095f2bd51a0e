using System.Diagnostics.Metrics;
using System.Net;
using AuthPatterns.ApiKeys;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace AuthPatterns.Tests.ApiKeys;

/// <summary>Usage recording: stored values bounded and valid by construction, and one bad event never blocks the others.</summary>
public sealed class ApiKeyUsageRecordingTests
{
    private static readonly string LongPath = "/" + new string('a', 510) + "\U0001F600";

    [Theory]
    [InlineData("GET", "GET")]
    [InlineData("POST", "POST")]
    [InlineData("PROPFIND", "PROPFIND")]
    [InlineData("ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJKLMN", "OTHER")]
    [InlineData("GET\n", "OTHER")]
    [InlineData("G\u00c9T", "OTHER")]
    [InlineData("", "OTHER")]
    public void Usage_recording_blocked_by_one_hostile_request_the_method_is_a_short_token_or_OTHER(string method, string stored)
    {
        Assert.Equal(stored, ApiKeyUsageLimits.Method(method));
    }

    [Fact]
    public void Usage_recording_blocked_by_one_hostile_request_the_route_is_cut_on_a_code_point_boundary()
    {
        var cut = ApiKeyUsageLimits.Route(LongPath);
        var fits = ApiKeyUsageLimits.Route("/" + new string('a', 509) + "\U0001F600");

        Assert.Equal("/" + new string('a', 510), cut);
        Assert.Equal(512, fits.Length);
        Assert.EndsWith("\U0001F600", fits, StringComparison.Ordinal);
        Assert.Equal("/x\uFFFDy\uFFFDz\uFFFD", ApiKeyUsageLimits.Route("/x\0y\uD800z\n"));
        Assert.Equal("/", ApiKeyUsageLimits.Route(""));
        Assert.Equal(ApiKeyUsageLimits.MaxAddressLength, ApiKeyUsageLimits.Address(new string('1', 100))!.Length);
        Assert.Null(ApiKeyUsageLimits.Address(null));
    }

    [Fact]
    public async Task Usage_recording_blocked_by_one_hostile_request_a_40_character_method_on_an_unmatched_long_path_is_recorded_bounded()
    {
        await using var app = await ApiKeyTestApp.StartAsync(o => o.RecordUsageEvents = true);
        var created = await app.CreateKeyAsync();

        var context = await app.App.GetTestServer().SendAsync(c =>
        {
            c.Request.Method = new string('X', 40);
            c.Request.Path = PathString.FromUriComponent("/" + new string('a', 510) + "%F0%9F%98%80");
            c.Request.Headers["X-API-Key"] = created.Key;
        });
        (await app.SendAsync("/api/ping", created.Key)).Dispose();
        await app.Usage.FlushAsync();

        Assert.Equal(StatusCodes.Status404NotFound, context.Response.StatusCode);
        var events = await app.Store.ListUsageEventsAsync(created.Info.Id, DateTimeOffset.MinValue);
        Assert.Contains(events, e => e is { Method: "OTHER", StatusCode: 404 } && e.Route == "/" + new string('a', 510));
        Assert.Contains(events, e => e is { Method: "GET", Route: "/api/ping", StatusCode: 200 });
    }

    [Fact]
    public async Task Usage_recording_blocked_by_one_hostile_request_one_refused_event_is_dropped_and_the_others_are_written()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var store = new RefusingStore(e => e.Route.Contains("refused", StringComparison.Ordinal));
        var logs = new LogCapture();
        var recorder = Recorder(store, time, logs);
        var old = time.GetUtcNow() - TimeSpan.FromDays(60);
        await store.Inner.AddUsageEventsAsync([new ApiKeyUsageEvent { KeyId = "keyOld000000", OccurredAt = old, Method = "GET", Route = "/old" }]);

        for (var i = 0; i < 20; i++)
        {
            recorder.Record(Event($"key{i:D9}", i == 7 ? "/refused" : "/ok/" + i, time));
        }

        await recorder.FlushAsync();
        recorder.Record(Event("keyLater0000", "/later", time));
        await recorder.FlushAsync();

        for (var i = 0; i < 20; i++)
        {
            Assert.Equal(i == 7 ? 0 : 1, (await store.Inner.ListUsageEventsAsync($"key{i:D9}", DateTimeOffset.MinValue)).Count);
        }

        Assert.Single(await store.Inner.ListUsageEventsAsync("keyLater0000", DateTimeOffset.MinValue));
        var dropped = Assert.Single(logs.Entries, e => e.EventId == 2015);
        Assert.Contains("key000000007", dropped.Message, StringComparison.Ordinal);

        // Retention pruning ran in the same flush as the refusal.
        Assert.Empty(await store.Inner.ListUsageEventsAsync("keyOld000000", DateTimeOffset.MinValue));
    }

    [Fact]
    public async Task Usage_recording_blocked_by_one_hostile_request_a_store_that_reads_but_cannot_write_loses_no_event()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var store = new RefusingStore(_ => true);
        var logs = new LogCapture();
        var recorder = Recorder(store, time, logs);
        for (var i = 0; i < 1000; i++)
        {
            recorder.Record(Event($"key{i:D9}", "/ok", time));
        }

        await recorder.FlushAsync();
        var attempts = store.Attempts;
        store.Refuse = _ => false;
        await recorder.FlushAsync();

        Assert.True(attempts <= 100, $"{attempts} write attempts for one failed flush");
        Assert.False(logs.Any(2015));
        for (var i = 0; i < 1000; i += 97)
        {
            Assert.Single(await store.Inner.ListUsageEventsAsync($"key{i:D9}", DateTimeOffset.MinValue));
        }
    }

    [Fact]
    public async Task Usage_counts_of_many_keys_stay_bounded_by_slots_counted_without_locking_the_dictionary()
    {
        // 100,000 slots (the recorder's capacity) fill it; a new key id is then dropped and counted as dropped, an existing
        // slot keeps counting, and a flush frees the slots for new key ids again.
        const int capacity = 100_000;
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var meters = TestMeterFactory.Create();
        using var dropped = new MetricCollector<long>(meters, LayeredAuthTelemetry.MeterName, "authpatterns.api_keys.usage_dropped");
        var store = new RefusingStore(_ => false);
        var options = new ApiKeyAuthenticationOptions();
        var recorder = DefaultRecorder(store, time, options, meters);

        for (var i = 0; i < capacity; i++)
        {
            recorder.Count($"key{i:D9}", ApiKeyOutcomes.Valid, time.GetUtcNow());
        }

        recorder.Count("keyover00001", ApiKeyOutcomes.Valid, time.GetUtcNow());
        recorder.Count("keyover00002", ApiKeyOutcomes.Valid, time.GetUtcNow());
        recorder.Count("key000000007", ApiKeyOutcomes.Valid, time.GetUtcNow());

        Assert.Equal(2, dropped.GetMeasurementSnapshot().Where(m => Equals(m.Tags["reason"], "count_overflow")).Sum(m => m.Value));
        await recorder.FlushAsync();
        Assert.Equal(capacity, store.Counts.Count);
        Assert.Equal(2, store.Counts.Single(c => c.KeyId == "key000000007").Count);
        Assert.DoesNotContain(store.Counts, c => c.KeyId.StartsWith("keyover", StringComparison.Ordinal));

        recorder.Count("keyover00001", ApiKeyOutcomes.Valid, time.GetUtcNow());
        await recorder.FlushAsync();
        Assert.Equal(1, store.Counts.Single(c => c.KeyId == "keyover00001").Count);
        Assert.Equal(2, dropped.GetMeasurementSnapshot().Where(m => Equals(m.Tags["reason"], "count_overflow")).Sum(m => m.Value));
    }

    [Fact]
    public async Task Usage_counts_of_exposures_with_made_up_key_ids_take_only_their_share_of_the_slots()
    {
        // An exposure is counted from the id in the query string before any look-up: a flood of made-up ids fills the
        // exposure slots (a tenth of the capacity) and no more, and the served requests of stored keys are still counted.
        const int exposedCapacity = 10_000;
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var meters = TestMeterFactory.Create();
        using var dropped = new MetricCollector<long>(meters, LayeredAuthTelemetry.MeterName, "authpatterns.api_keys.usage_dropped");
        var store = new RefusingStore(_ => false);
        var recorder = DefaultRecorder(store, time, meters: meters);

        for (var i = 0; i < exposedCapacity + 5; i++)
        {
            recorder.Count($"made{i:D8}", ApiKeyOutcomes.Exposed, time.GetUtcNow());
        }

        recorder.Count("made00000001", ApiKeyOutcomes.Exposed, time.GetUtcNow());
        for (var i = 0; i < 50_000; i++)
        {
            recorder.Count($"key{i:D9}", ApiKeyOutcomes.Valid, time.GetUtcNow());
        }

        Assert.Equal(5, dropped.GetMeasurementSnapshot().Where(m => Equals(m.Tags["reason"], "count_overflow")).Sum(m => m.Value));
        await recorder.FlushAsync();
        Assert.Equal(exposedCapacity, store.Counts.Count(c => c.Outcome == ApiKeyOutcomes.Exposed));
        Assert.Equal(2, store.Counts.Single(c => c.KeyId == "made00000001").Count);
        Assert.Equal(50_000, store.Counts.Count(c => c.Outcome == ApiKeyOutcomes.Valid));

        recorder.Count("made99999999", ApiKeyOutcomes.Exposed, time.GetUtcNow());
        await recorder.FlushAsync();
        Assert.Equal(1, store.Counts.Single(c => c.KeyId == "made99999999").Count);
    }

    [Fact]
    public async Task Last_uses_of_many_keys_are_written_once_per_flush_with_each_keys_latest_use_and_idle_keys_give_back_their_slots()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var start = time.GetUtcNow();
        var store = new RefusingStore(_ => false);
        var recorder = DefaultRecorder(store, time);

        for (var i = 0; i < 1000; i++)
        {
            recorder.RecordLastUse($"key{i:D9}", start, "192.0.2.1");
        }

        recorder.RecordLastUse("key000000000", start.AddSeconds(1), "192.0.2.2");
        recorder.RecordLastUse("key000000001", start.AddSeconds(-1), "192.0.2.3");
        await recorder.FlushAsync();

        Assert.Equal(1000, store.LastUses.Count);
        Assert.Equal(new ApiKeyLastUse("key000000000", start.AddSeconds(1), "192.0.2.2"), store.LastUses.Single(u => u.KeyId == "key000000000"));
        Assert.Equal(new ApiKeyLastUse("key000000001", start, "192.0.2.1"), store.LastUses.Single(u => u.KeyId == "key000000001"));
        Assert.Equal(1000, recorder.LastUseSlotCount);

        // Nothing new: nothing written. A whole interval idle: the slots go.
        await recorder.FlushAsync();
        Assert.Equal(1000, store.LastUses.Count);
        Assert.Equal(1000, recorder.LastUseSlotCount);
        await recorder.FlushAsync();
        Assert.Equal(0, recorder.LastUseSlotCount);

        // A key used again after its slot went is recorded in a new one, even an earlier time than the one written.
        recorder.RecordLastUse("key000000005", start.AddSeconds(5), "192.0.2.5");
        await recorder.FlushAsync();
        Assert.Equal(new ApiKeyLastUse("key000000005", start.AddSeconds(5), "192.0.2.5"), store.LastUses[^1]);
        Assert.Equal(1001, store.LastUses.Count);
    }

    [Fact]
    public async Task Last_uses_recorded_while_flushes_run_and_retire_slots_are_never_lost()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var start = time.GetUtcNow();
        var store = new RefusingStore(_ => false);
        var recorder = DefaultRecorder(store, time);
        const int keys = 50;
        var latest = new long[keys];
        var tick = 0L;

        // Flushes in a loop, so slots go idle, retire and come back while four writers record uses of a few keys at a time.
        await WhileFlushingAsync(recorder, w =>
        {
            for (var n = 0; n < 20_000; n++)
            {
                var key = (n * 7 + w) % keys / (n % 1000 < 500 ? 1 : 5);
                var at = Interlocked.Increment(ref tick);
                recorder.RecordLastUse($"key{key:D9}", start.AddTicks(at), null);
                InterlockedMax(ref latest[key], at);
            }
        });

        for (var key = 0; key < keys; key++)
        {
            if (latest[key] > 0)
            {
                Assert.Equal(start.AddTicks(latest[key]), store.LastUses.Where(u => u.KeyId == $"key{key:D9}").Max(u => u.UsedAt));
            }
        }

        static void InterlockedMax(ref long target, long value)
        {
            long seen;
            while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
            {
            }
        }
    }

    [Fact]
    public async Task Usage_counts_made_while_flushes_take_their_slots_are_each_written_once()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var store = new RefusingStore(_ => false);
        var recorder = DefaultRecorder(store, time);

        // Flushes in a loop take the slots out while four writers count into them: no count is lost or written twice.
        await WhileFlushingAsync(recorder, _ =>
        {
            for (var n = 0; n < 50_000; n++)
            {
                recorder.Count($"key{n % 20:D9}", ApiKeyOutcomes.Valid, time.GetUtcNow());
            }
        });

        Assert.Equal(200_000, store.Counts.Sum(c => c.Count));
        Assert.All(Enumerable.Range(0, 20), k => Assert.Equal(10_000, store.Counts.Where(c => c.KeyId == $"key{k:D9}").Sum(c => c.Count)));
    }

    // Runs four writers (each given its number) while flushes run in a loop, then flushes once more after the last write.
    private static async Task WhileFlushingAsync(ApiKeyUsageRecorder recorder, Action<int> writer)
    {
        using var done = new CancellationTokenSource();
        var flushing = Task.Run(async () =>
        {
            while (!done.IsCancellationRequested)
            {
                await recorder.FlushAsync();
            }
        });
        await Task.WhenAll(Enumerable.Range(0, 4).Select(w => Task.Run(() => writer(w))));
        done.Cancel();
        await flushing;
        await recorder.FlushAsync();
    }

    private static ApiKeyUsageEvent Event(string keyId, string route, TimeProvider time) =>
        new() { KeyId = keyId, OccurredAt = time.GetUtcNow(), Method = "GET", Route = route, StatusCode = 200 };

    // A recorder with the default options (or the ones given), no logs, and its own meters unless the test reads them.
    private static ApiKeyUsageRecorder DefaultRecorder(IApiKeyStore store, TimeProvider time, ApiKeyAuthenticationOptions? options = null, IMeterFactory? meters = null) =>
        new(store, new FixedOptions(options ?? new ApiKeyAuthenticationOptions()), time, NullLogger<ApiKeyUsageRecorder>.Instance, new ApiKeyTelemetry(meters ?? TestMeterFactory.Create()));

    private static ApiKeyUsageRecorder Recorder(IApiKeyStore store, TimeProvider time, LogCapture logs)
    {
        var options = new ApiKeyAuthenticationOptions { RecordUsageEvents = true, UsageEventRetention = TimeSpan.FromDays(30) };
        var factory = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Trace));
        return new ApiKeyUsageRecorder(store, new FixedOptions(options), time, factory.CreateLogger<ApiKeyUsageRecorder>(), new ApiKeyTelemetry(TestMeterFactory.Create()));
    }

    private sealed class FixedOptions(ApiKeyAuthenticationOptions value) : IOptionsMonitor<ApiKeyAuthenticationOptions>
    {
        public ApiKeyAuthenticationOptions CurrentValue => value;

        public ApiKeyAuthenticationOptions Get(string? name) => value;

        public IDisposable? OnChange(Action<ApiKeyAuthenticationOptions, string?> listener) => null;
    }

    /// <summary>An in-memory store that refuses (as a database refuses a value its column cannot hold) every batch with a matching event.</summary>
    private sealed class RefusingStore(Func<ApiKeyUsageEvent, bool> refuse) : IApiKeyStore
    {
        private int _attempts;

        public InMemoryApiKeyStore Inner { get; } = new();

        public Func<ApiKeyUsageEvent, bool> Refuse { get; set; } = refuse;

        public int Attempts => Volatile.Read(ref _attempts);

        public Task AddUsageEventsAsync(IReadOnlyCollection<ApiKeyUsageEvent> events, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _attempts);
            return events.Any(Refuse)
                ? throw new InvalidOperationException("value too long for type character varying(16)")
                : Inner.AddUsageEventsAsync(events, cancellationToken);
        }

        public Task<ApiKeyRecord?> FindByIdAsync(string keyId, CancellationToken cancellationToken = default) => Inner.FindByIdAsync(keyId, cancellationToken);

        public Task<IReadOnlyList<ApiKeyRecord>> ListAsync(string? ownerId = null, string? tenant = null, CancellationToken cancellationToken = default) =>
            Inner.ListAsync(ownerId, tenant, cancellationToken);

        public Task CreateAsync(ApiKeyRecord record, CancellationToken cancellationToken = default) => Inner.CreateAsync(record, cancellationToken);

        public Task<bool> UpdateAsync(ApiKeyRecord record, CancellationToken cancellationToken = default) => Inner.UpdateAsync(record, cancellationToken);

        public Task<bool> RollAsync(ApiKeyRecord successor, ApiKeyRecord replaced, CancellationToken cancellationToken = default) => Inner.RollAsync(successor, replaced, cancellationToken);

        public Task UpdateHashAsync(string keyId, string hash, CancellationToken cancellationToken = default) => Inner.UpdateHashAsync(keyId, hash, cancellationToken);

        /// <summary>Every last use written, in order, for any key id.</summary>
        public List<ApiKeyLastUse> LastUses { get; } = [];

        public Task RecordLastUsesAsync(IReadOnlyCollection<ApiKeyLastUse> uses, CancellationToken cancellationToken = default)
        {
            lock (LastUses)
            {
                LastUses.AddRange(uses);
            }

            return Inner.RecordLastUsesAsync(uses, cancellationToken);
        }

        public Task<IReadOnlyList<ApiKeyUsageEvent>> ListUsageEventsAsync(string keyId, DateTimeOffset since, CancellationToken cancellationToken = default) =>
            Inner.ListUsageEventsAsync(keyId, since, cancellationToken);

        public Task<int> DeleteUsageEventsAsync(DateTimeOffset olderThan, CancellationToken cancellationToken = default) =>
            Inner.DeleteUsageEventsAsync(olderThan, cancellationToken);

        /// <summary>Every usage count written, for any key id (the inner store keeps only those of its keys).</summary>
        public List<ApiKeyUsageCount> Counts { get; } = [];

        public Task AddUsageCountsAsync(IReadOnlyCollection<ApiKeyUsageCount> counts, CancellationToken cancellationToken = default)
        {
            Counts.AddRange(counts);
            return Inner.AddUsageCountsAsync(counts, cancellationToken);
        }

        public Task<IReadOnlyList<ApiKeyUsageCount>> ListUsageCountsAsync(string? keyId, DateTimeOffset since, CancellationToken cancellationToken = default) =>
            Inner.ListUsageCountsAsync(keyId, since, cancellationToken);

        public Task<int> DeleteUsageCountsAsync(DateTimeOffset olderThan, CancellationToken cancellationToken = default) =>
            Inner.DeleteUsageCountsAsync(olderThan, cancellationToken);
    }
}
