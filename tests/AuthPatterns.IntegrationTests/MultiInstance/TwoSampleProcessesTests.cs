using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AuthPatterns.ApiKeys;
using Xunit.Abstractions;

namespace AuthPatterns.IntegrationTests.MultiInstance;

/// <summary>
/// Two real processes of the sample (not two test servers in one process sharing memory) on one PostgreSQL key store
/// and one Redis, as several instances run behind a load balancer: what one instance does, the other sees; Redis or
/// PostgreSQL going away mid-run fails no request that can be answered correctly, and loses no usage record. Each
/// test has a database, a Redis channel and, for the outages, a Redis or PostgreSQL server of its own.
/// </summary>
public sealed class TwoSampleProcessesTests : IAsyncLifetime
{
    private const string Reason = "revoked in a test";
    private static readonly string[] OperatorScopes = ["apikeys:manage", "apikeys:admin", "profile:read"];

    private readonly ITestOutputHelper _output;
    private readonly string _prefix = $"authpatterns-instances-{Guid.NewGuid():N}";
    private readonly OwnedResources _owned = new();
    private readonly List<SampleInstance> _instances = [];

    public TwoSampleProcessesTests(ITestOutputHelper output) => _output = output;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        // The instances first (they hold connections), then what they used, in reverse order of creation.
        foreach (var instance in _instances)
        {
            _output.WriteLine($"--- {instance.Name} (port {instance.Port}), last lines:\n{Tail(instance.Output, 30)}");
            await instance.DisposeAsync();
        }

        var failures = new List<Exception>();
        await _owned.DisposeAllAsync(failures);

        if (failures.Count > 0)
        {
            throw new AggregateException("cleaning up after the test failed", failures);
        }
    }

    [Fact]
    public async Task A_key_created_through_one_process_or_the_tool_works_on_the_other_at_once()
    {
        var store = await KeyStoreAsync(TestEnvironment.PostgresConnectionString);
        var (a, b) = await StartPairAsync(store, TestEnvironment.RedisConfiguration);
        var operatorKey = (await store.CreateKeyAsync("operator", OperatorScopes)).Key;

        var created = await CreateThroughAsync(a, operatorKey, "partner-created-on-a");
        Assert.Equal(HttpStatusCode.OK, await ProfileStatusAsync(b, created.Key));
        Assert.Equal(HttpStatusCode.OK, await ProfileStatusAsync(a, created.Key));

        var byTool = await RunToolAsync(store, "keys", "create", "--owner", "partner-created-by-tool", "--scope", "profile:read", "--json");
        using var json = JsonDocument.Parse(byTool);
        var toolKey = json.RootElement.GetProperty("key").GetString()!;
        Assert.Equal(HttpStatusCode.OK, await ProfileStatusAsync(b, toolKey));
        Assert.Equal(HttpStatusCode.OK, await ProfileStatusAsync(a, toolKey));
    }

    [Fact]
    public async Task A_key_revoked_on_one_process_is_refused_by_the_other_within_a_second_at_p99_over_100_revocations()
    {
        const int Revocations = 100;
        var store = await KeyStoreAsync(TestEnvironment.PostgresConnectionString);
        var (a, b) = await StartPairAsync(store, TestEnvironment.RedisConfiguration);
        var operatorKey = (await store.CreateKeyAsync("operator", OperatorScopes)).Key;
        var latencies = new List<double>(Revocations);

        // Keys made beforehand and verified once by B (so B holds each in its cache): the loop times only revocations.
        // Four at a time: more first uses at once than B's Argon2id slots and queue would be shed with 503, by design.
        var keys = await CreateKeysAsync(store, "partner", Revocations);
        foreach (var chunk in keys.Chunk(4))
        {
            Assert.All(await Task.WhenAll(chunk.Select(k => ProfileStatusAsync(b, k.Key))), status => Assert.Equal(HttpStatusCode.OK, status));
        }

        foreach (var key in keys)
        {
            Assert.Equal(HttpStatusCode.OK, await ProfileStatusAsync(b, key.Key));
            var clock = Stopwatch.StartNew();
            using (var revoked = await RevokeThroughAsync(a, operatorKey, key.Info.Id))
            {
                Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
            }

            while (await ProfileStatusAsync(b, key.Key) == HttpStatusCode.OK)
            {
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"instance B still accepts key {key.Info.Id} 10 s after its revocation on A");
            }

            latencies.Add(clock.Elapsed.TotalMilliseconds);
        }

        latencies.Sort();
        var p50 = Percentile(latencies, 0.50);
        var p99 = Percentile(latencies, 0.99);
        _output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"revoked through A's endpoint (from the request sent), refused by B (two processes, PostgreSQL, Redis): p50 {p50:F1} ms, p99 {p99:F1} ms, max {latencies[^1]:F1} ms over {latencies.Count} revocations"));
        Assert.True(p99 <= 1000, $"p99 {p99:F1} ms exceeds 1 s");
    }

    [Fact]
    public async Task Redis_killed_mid_run_fails_no_request_and_once_back_broadcasts_resume_and_a_key_revoked_meanwhile_is_refused()
    {
        var redis = Own(await OwnRedisServer.StartAsync());
        var store = await KeyStoreAsync(TestEnvironment.PostgresConnectionString);
        var (a, b) = await StartPairAsync(store, redis.Configuration);
        var operatorKey = (await store.CreateKeyAsync("operator", OperatorScopes)).Key;
        var steady = await CreateKeysAsync(store, "steady", 4);
        var doomed = await store.CreateKeyAsync("doomed");
        var later = await store.CreateKeyAsync("later");
        var revokedBefore = await store.CreateKeyAsync("revoked-before");
        Assert.True(await store.Manager.RevokeAsync(revokedBefore.Info.Id, Reason));
        var fresh = await CreateKeysAsync(store, "fresh", 4);
        foreach (var instance in new[] { a, b })
        {
            Assert.Equal(HttpStatusCode.OK, await ProfileStatusAsync(instance, operatorKey));
            foreach (var key in steady.Append(doomed).Append(later))
            {
                Assert.Equal(HttpStatusCode.OK, await ProfileStatusAsync(instance, key.Key));
            }
        }

        // Requests all along: cached keys, a key stored but never used before (read from PostgreSQL during the outage),
        // and a key revoked before: each must get its right answer whatever Redis does.
        using var load = new RequestLoad([a, b], [.. steady.Select(k => (k.Key, HttpStatusCode.OK)), (revokedBefore.Key, HttpStatusCode.Unauthorized)]);
        await load.WaitForRoundsAsync(3);

        await redis.KillAsync();
        await Task.WhenAll(a.WaitForReadinessAsync("Degraded", TimeSpan.FromSeconds(10)), b.WaitForReadinessAsync("Degraded", TimeSpan.FromSeconds(10)));
        var roundsBefore = load.Rounds;
        foreach (var instance in new[] { a, b })
        {
            foreach (var key in fresh)
            {
                load.Check(instance, key.Key, HttpStatusCode.OK, await ProfileStatusAsync(instance, key.Key));
            }
        }

        // A revocation during the outage is stored: refused on A at once. B keeps its cached copy (it cannot hear of it).
        using (var revoked = await RevokeThroughAsync(a, operatorKey, doomed.Info.Id))
        {
            _output.WriteLine($"revocation through A while Redis is down answered {(int)revoked.StatusCode}: {await revoked.Content.ReadAsStringAsync()}");
            Assert.NotEqual(HttpStatusCode.InternalServerError, revoked.StatusCode);
        }

        Assert.NotNull((await store.Store.FindByIdAsync(doomed.Info.Id))!.RevokedAt);
        Assert.Equal(HttpStatusCode.Unauthorized, await ProfileStatusAsync(a, doomed.Key));
        Assert.Equal(HttpStatusCode.OK, await ProfileStatusAsync(b, doomed.Key));
        await load.WaitForRoundsAsync(roundsBefore + 3);

        await redis.StartAgainAsync();
        var back = Stopwatch.StartNew();
        await Task.WhenAll(a.WaitForReadinessAsync("Healthy", TimeSpan.FromSeconds(30)), b.WaitForReadinessAsync("Healthy", TimeSpan.FromSeconds(30)));
        var reconnected = back.Elapsed;
        while (await ProfileStatusAsync(b, doomed.Key) == HttpStatusCode.OK)
        {
            Assert.True(back.Elapsed < TimeSpan.FromSeconds(30), "B still accepts the key revoked during the outage 30 s after Redis came back");
            await Task.Delay(10);
        }

        var refusedAfter = back.Elapsed;

        // Broadcasts resume on the same connections, without restarting either instance.
        Assert.Equal(HttpStatusCode.OK, await ProfileStatusAsync(b, later.Key));
        var clock = Stopwatch.StartNew();
        using (var revoked = await RevokeThroughAsync(a, operatorKey, later.Info.Id))
        {
            Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
        }

        while (await ProfileStatusAsync(b, later.Key) == HttpStatusCode.OK)
        {
            // One sample on a noisy machine: bounded well inside the cache lifetime (60 s), which only a broadcast beats.
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), "B did not refuse a key revoked on A within 5 s of Redis coming back");
        }

        await load.StopAsync();
        _output.WriteLine($"Redis outage: {load.Answered} requests answered, {load.Failures.Count} wrong; both instances healthy {reconnected.TotalMilliseconds:F0} ms after Redis restarted, the key revoked meanwhile refused by B after {refusedAfter.TotalMilliseconds:F0} ms; a revocation after that refused by B in {clock.Elapsed.TotalMilliseconds:F1} ms");
        Assert.True(load.Failures.Count == 0, "requests answered wrongly:\n" + string.Join('\n', load.Failures.Take(20)));
        Assert.True(load.Answered > 0);

        // The outage is one line when it starts (however many reconnection attempts fail) and one when it ends.
        foreach (var instance in new[] { a, b })
        {
            var lines = instance.Output.Split('\n');
            Assert.Single(lines, line => line.Contains("[5000]", StringComparison.Ordinal));
            Assert.Single(lines, line => line.Contains("[5001]", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task PostgreSQL_stopped_mid_run_keeps_cached_keys_answers_others_503_refuses_changes_clearly_and_loses_no_usage_record()
    {
        var postgres = Own(await OwnPostgresCluster.StartAsync());
        var store = await KeyStoreAsync(postgres.ConnectionString("postgres"));
        var (a, b) = await StartPairAsync(store, TestEnvironment.RedisConfiguration, flushInterval: TimeSpan.FromMilliseconds(500));
        var operatorKey = (await store.CreateKeyAsync("operator", OperatorScopes)).Key;
        var cached = await CreateKeysAsync(store, "cached", 6);
        var cold = await store.CreateKeyAsync("cold");
        foreach (var instance in new[] { a, b })
        {
            Assert.Equal(HttpStatusCode.OK, await ProfileStatusAsync(instance, operatorKey));
            foreach (var key in cached)
            {
                Assert.Equal(HttpStatusCode.OK, await ProfileStatusAsync(instance, key.Key));
            }
        }

        // What was used before is written before the outage, so what is counted after it is only the outage's.
        await WaitUntilAsync(async () => (await LastUsesAsync(store, cached)).All(u => u is not null), TimeSpan.FromSeconds(15), "the last uses before the outage were not written");
        var outageStarted = DateTimeOffset.UtcNow;
        await postgres.StopAsync();

        var answered = 0;
        var lastUse = new Dictionary<string, DateTimeOffset>();
        var failures = new List<string>();
        for (var round = 0; round < 6; round++)
        {
            foreach (var instance in new[] { a, b })
            {
                foreach (var key in cached)
                {
                    lastUse[key.Info.Id] = DateTimeOffset.UtcNow;
                    var status = await ProfileStatusAsync(instance, key.Key);
                    answered++;
                    if (status != HttpStatusCode.OK)
                    {
                        failures.Add($"{instance.Name} {key.Info.Id}: {(int)status}");
                    }
                }
            }

            // Several flushes fail meanwhile; what they held must be kept.
            await Task.Delay(300);
        }

        // A key no instance has verified cannot be checked: 503 with Retry-After, never a 401 nor a 500.
        foreach (var instance in new[] { a, b })
        {
            using var request = Profile(cold.Key);
            using var response = await instance.Client.SendAsync(request);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.True(response.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1), "no Retry-After on the 503");
        }

        // Lifecycle changes fail with an answer that says why, not a 500.
        using (var revoke = await RevokeThroughAsync(a, operatorKey, cached[0].Info.Id))
        {
            await AssertStoreUnavailableAsync(revoke, "revoke");
        }

        using (var create = await a.Client.SendAsync(Management(HttpMethod.Post, operatorKey, "", new { ownerId = "partner-new", scopes = new[] { "profile:read" } })))
        {
            await AssertStoreUnavailableAsync(create, "create");
        }

        Assert.True(failures.Count == 0, "cached keys refused while PostgreSQL was down:\n" + string.Join('\n', failures));

        await postgres.StartAgainAsync();
        var back = Stopwatch.StartNew();
        int[] counts = [];
        await WaitUntilAsync(
            async () =>
            {
                var uses = await LastUsesAsync(store, cached);
                counts = await Task.WhenAll(cached.Select(async k => (await store.Store.ListUsageEventsAsync(k.Info.Id, outageStarted)).Count));
                return cached.Select((k, i) => uses[i] >= lastUse[k.Info.Id]).All(x => x) && counts.Sum() >= answered;
            },
            TimeSpan.FromSeconds(30),
            () => $"usage recorded during the outage not written after PostgreSQL returned: {counts.Sum()} of {answered} events");
        _output.WriteLine($"PostgreSQL outage: {answered} requests with cached keys answered, {failures.Count} wrong; all {answered} usage events and {cached.Count} last uses written {back.Elapsed.TotalMilliseconds:F0} ms after PostgreSQL returned");
        Assert.Equal(answered, counts.Sum());

        // And the store serves changes again.
        using var afterwards = await RevokeThroughAsync(a, operatorKey, cached[0].Info.Id);
        Assert.Equal(HttpStatusCode.OK, afterwards.StatusCode);
    }

    [Fact]
    public async Task SIGTERM_to_both_processes_writes_every_pending_last_use_and_usage_event()
    {
        var store = await KeyStoreAsync(TestEnvironment.PostgresConnectionString);
        var (a, b) = await StartPairAsync(store, TestEnvironment.RedisConfiguration, flushInterval: TimeSpan.FromHours(1));
        var keys = await CreateKeysAsync(store, "used", 8);
        var since = DateTimeOffset.UtcNow;
        var sent = 0;
        for (var i = 0; i < keys.Count; i++)
        {
            // Every key on A, every other key on B too, a different number of times each.
            for (var n = 0; n <= i % 3; n++)
            {
                Assert.Equal(HttpStatusCode.OK, await ProfileStatusAsync(a, keys[i].Key));
                sent++;
                if (i % 2 == 0)
                {
                    Assert.Equal(HttpStatusCode.OK, await ProfileStatusAsync(b, keys[i].Key));
                    sent++;
                }
            }
        }

        // Nothing is written before the stop (the flush interval is an hour), so what is found after it, the stop wrote.
        Assert.All(await LastUsesAsync(store, keys), use => Assert.Null(use));
        var stopping = Stopwatch.StartNew();
        var exitCodes = await Task.WhenAll(a.StopGracefullyAsync(TimeSpan.FromSeconds(30)), b.StopGracefullyAsync(TimeSpan.FromSeconds(30)));
        _output.WriteLine($"both processes exited {stopping.ElapsedMilliseconds} ms after SIGTERM");
        Assert.All(exitCodes, code => Assert.Equal(0, code));

        var uses = await LastUsesAsync(store, keys);
        var events = await Task.WhenAll(keys.Select(async k => (await store.Store.ListUsageEventsAsync(k.Info.Id, since)).Count));
        _output.WriteLine($"SIGTERM: {sent} requests on {keys.Count} keys; written at the stop: {uses.Count(u => u is not null)} last uses, {events.Sum()} usage events");
        Assert.All(uses, use => Assert.NotNull(use));
        Assert.Equal(sent, events.Sum());
    }

    private T Own<T>(T owned)
        where T : IAsyncDisposable => _owned.Own(owned);

    private async Task<KeyStoreDatabase> KeyStoreAsync(string serverConnectionString) =>
        Own(await KeyStoreDatabase.CreateAsync(serverConnectionString));

    private async Task<(SampleInstance A, SampleInstance B)> StartPairAsync(KeyStoreDatabase store, string redis, TimeSpan? flushInterval = null)
    {
        var environment = new Dictionary<string, string>
        {
            ["LayeredAuth__ApiKeys__Provider"] = "postgres",
            ["LayeredAuth__ApiKeys__ConnectionString"] = store.ConnectionString,
            ["LayeredAuth__Redis__Configuration"] = redis,
            ["LayeredAuth__Redis__KeyPrefix"] = _prefix,
            ["LayeredAuth__ApiKeys__HashMemorySize"] = KeyStoreDatabase.HashMemorySize.ToString(CultureInfo.InvariantCulture),
            ["LayeredAuth__ApiKeys__HashIterations"] = "1",

            // Every request of the test comes from 127.0.0.1: the per-address budget would throttle the test, not a guesser.
            ["LayeredAuth__ApiKeys__MaxVerificationsPerAddress"] = "1000000",
            ["LayeredAuth__ApiKeys__RecordUsageEvents"] = "true",
            ["LayeredAuth__ApiKeys__UsageFlushInterval"] = (flushInterval ?? TimeSpan.FromSeconds(10)).ToString("c", CultureInfo.InvariantCulture),
        };
        var starting = Stopwatch.StartNew();
        var started = await Task.WhenAll(SampleInstance.StartAsync("A", environment), SampleInstance.StartAsync("B", environment));
        _output.WriteLine($"both processes ready after {starting.ElapsedMilliseconds} ms");
        _instances.AddRange(started);
        return (started[0], started[1]);
    }

    private static async Task<List<CreatedApiKey>> CreateKeysAsync(KeyStoreDatabase store, string owner, int count)
    {
        var keys = new List<CreatedApiKey>(count);
        for (var i = 0; i < count; i++)
        {
            keys.Add(await store.CreateKeyAsync($"{owner}-{i}"));
        }

        return keys;
    }

    private static async Task<DateTimeOffset?[]> LastUsesAsync(KeyStoreDatabase store, IEnumerable<CreatedApiKey> keys) =>
        await Task.WhenAll(keys.Select(async k => (await store.Store.FindByIdAsync(k.Info.Id))?.LastUsedAt));

    private static async Task<(string Key, string Id)> CreateThroughAsync(SampleInstance instance, string operatorKey, string owner)
    {
        using var response = await instance.Client.SendAsync(Management(HttpMethod.Post, operatorKey, "", new { ownerId = owner, scopes = new[] { "profile:read" } }));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"creating a key through {instance.Name} answered {(int)response.StatusCode}: {body}");
        using var json = JsonDocument.Parse(body);
        return (json.RootElement.GetProperty("key").GetString()!, json.RootElement.GetProperty("info").GetProperty("id").GetString()!);
    }

    private static Task<HttpResponseMessage> RevokeThroughAsync(SampleInstance instance, string operatorKey, string keyId) =>
        instance.Client.SendAsync(Management(HttpMethod.Post, operatorKey, $"/{keyId}/revoke", new { reason = Reason }));

    private static HttpRequestMessage Management(HttpMethod method, string operatorKey, string path, object body)
    {
        var request = new HttpRequestMessage(method, "/admin/api-keys" + path) { Content = JsonContent.Create(body) };
        request.Headers.Add("X-API-Key", operatorKey);
        return request;
    }

    private static HttpRequestMessage Profile(string key)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/api/profile");
        request.Headers.Add("X-API-Key", key);
        return request;
    }

    private static async Task<HttpStatusCode> ProfileStatusAsync(SampleInstance instance, string key)
    {
        using var request = Profile(key);
        using var response = await instance.Client.SendAsync(request);
        return response.StatusCode;
    }

    private static async Task AssertStoreUnavailableAsync(HttpResponseMessage response, string what)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"{what} while PostgreSQL is down answered {(int)response.StatusCode}: {body}");
        Assert.True(response.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1), $"{what}: no Retry-After on the 503");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("key store", body, StringComparison.Ordinal);
        Assert.DoesNotContain("Npgsql", body, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", body, StringComparison.Ordinal);
    }

    private static Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string failure) =>
        WaitUntilAsync(condition, timeout, () => failure);

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, Func<string> failure)
    {
        var clock = Stopwatch.StartNew();
        while (!await HoldsAsync(condition))
        {
            Assert.True(clock.Elapsed < timeout, failure());
            await Task.Delay(100);
        }
    }

    // A database that is coming back may refuse a look-up or two: that is "not yet", not a failure.
    private static async Task<bool> HoldsAsync(Func<Task<bool>> condition)
    {
        try
        {
            return await condition();
        }
        catch (Exception exception) when (exception is Npgsql.NpgsqlException or InvalidOperationException)
        {
            return false;
        }
    }

    private static double Percentile(List<double> sorted, double fraction) =>
        sorted[(int)Math.Ceiling(sorted.Count * fraction) - 1];

    private static string Tail(string text, int lines) =>
        string.Join('\n', text.Split('\n').TakeLast(lines));

    private async Task<string> RunToolAsync(KeyStoreDatabase store, params string[] arguments)
    {
        var dll = SampleInstance.BuiltDll(Path.Combine("src", "AuthPatterns.Tool"), "AuthPatterns.Tool.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(dll);
        foreach (var argument in arguments.Concat(["--provider", "postgres", "--connection", store.ConnectionString]))
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        _output.WriteLine($"authpatterns {string.Join(' ', arguments)}: exit {process.ExitCode}; {await error}");
        Assert.Equal(0, process.ExitCode);
        return await output;
    }

    /// <summary>
    /// Requests sent to every instance in a loop until stopped, each with the answer it must get; any other answer, or no
    /// answer, is a failure.
    /// </summary>
    private sealed class RequestLoad : IDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;
        private int _answered;
        private int _rounds;

        public RequestLoad(SampleInstance[] instances, (string Key, HttpStatusCode Expected)[] requests) =>
            _loop = Task.Run(async () =>
            {
                while (!_stop.IsCancellationRequested)
                {
                    foreach (var instance in instances)
                    {
                        foreach (var (key, expected) in requests)
                        {
                            try
                            {
                                Check(instance, key, expected, await ProfileStatusAsync(instance, key));
                            }
                            catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
                            {
                                Fail($"{instance.Name}: no answer ({exception.GetType().Name}: {exception.Message})");
                            }
                        }
                    }

                    Interlocked.Increment(ref _rounds);
                    await Task.Delay(20);
                }
            });

        public List<string> Failures { get; } = [];

        public int Answered => Volatile.Read(ref _answered);

        public int Rounds => Volatile.Read(ref _rounds);

        public void Check(SampleInstance instance, string key, HttpStatusCode expected, HttpStatusCode actual)
        {
            Interlocked.Increment(ref _answered);
            if (actual != expected)
            {
                Fail($"{DateTimeOffset.UtcNow:HH:mm:ss.fff} {instance.Name} key {key[..20]}...: {(int)actual}, expected {(int)expected}");
            }
        }

        public async Task WaitForRoundsAsync(int rounds)
        {
            var clock = Stopwatch.StartNew();
            while (Rounds < rounds)
            {
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), "the request loop is stuck");
                await Task.Delay(10);
            }
        }

        public async Task StopAsync()
        {
            await _stop.CancelAsync();
            await _loop;
        }

        public void Dispose()
        {
            _stop.Cancel();
            _stop.Dispose();
        }

        private void Fail(string failure)
        {
            lock (Failures)
            {
                Failures.Add(failure);
            }
        }
    }
}
