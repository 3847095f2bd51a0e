using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using AuthPatterns.ApiKeys;
using Xunit.Abstractions;

namespace AuthPatterns.IntegrationTests.MultiInstance;

/// <summary>
/// What two real sample processes sharing one PostgreSQL and one Redis promise together, on one pair started for the
/// whole class (<see cref="SharedSampleProcesses"/>): a guess budget spent across both, the <c>authpatterns</c> tool's
/// revocations reaching both within a second, and a Redis that hangs holding no request. No test stops a process or a
/// server; the one that pauses Redis continues it before it ends.
/// </summary>
public sealed class TwoSampleProcessesSharedTests : IClassFixture<SharedSampleProcesses>
{
    private static readonly string[] OperatorScopes = ["apikeys:manage", "apikeys:admin", "profile:read"];
    private readonly SharedSampleProcesses _pair;
    private readonly ITestOutputHelper _output;

    public TwoSampleProcessesSharedTests(SharedSampleProcesses pair, ITestOutputHelper output)
    {
        _pair = pair;
        _output = output;
        _output.WriteLine($"the pair of processes started in {pair.StartedIn.TotalMilliseconds:F0} ms (once for the class)");
    }

    private SampleInstance A => _pair.A;

    private SampleInstance B => _pair.B;

    [Fact]
    public async Task A_guess_budget_of_N_wrong_secrets_is_shared_N_over_2_on_each_process_exhaust_it_for_both_and_the_cached_right_secret_still_works()
    {
        const int Half = SharedSampleProcesses.GuessBudget / 2;
        var key = await _pair.Store.CreateKeyAsync("guessed");

        // The owner's key is in both instances' caches before anyone guesses.
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(A, key.Key));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(B, key.Key));

        // Each instance alone has seen only half of the budget: counted per instance, neither would refuse anything yet.
        foreach (var instance in new[] { A, B })
        {
            for (var i = 0; i < Half; i++)
            {
                Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(instance, Guess(key.Info.Id)));
            }
        }

        foreach (var instance in new[] { A, B })
        {
            using var refused = await SendAsync(instance, Profile(Guess(key.Info.Id)));
            Assert.True(refused.StatusCode == HttpStatusCode.TooManyRequests, $"{instance.Name} answered {(int)refused.StatusCode} to guess {SharedSampleProcesses.GuessBudget + 1}, not 429");
            Assert.True(refused.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1), $"{instance.Name}: no Retry-After on the 429");
        }

        // Verified before the guessing, the right secret is answered from each cache, without a verification to spend.
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(A, key.Key));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(B, key.Key));
    }

    [Fact]
    public async Task A_key_created_by_the_tool_used_on_both_processes_and_revoked_by_the_tool_with_redis_is_refused_by_both_within_a_second()
    {
        var created = await RunToolAsync("keys", "create", "--owner", "new-user", "--scope", "profile:read", "--json", "--provider", "postgres", "--connection", _pair.Store.ConnectionString);
        using var json = JsonDocument.Parse(created.Output);
        var (id, key) = (json.RootElement.GetProperty("id").GetString()!, json.RootElement.GetProperty("key").GetString()!);
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(A, key));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(B, key));

        var revoked = await RunToolAsync("keys", "revoke", id, "--reason", "leaked", "--provider", "postgres", "--connection", _pair.Store.ConnectionString, "--redis", _pair.Redis.Configuration, "--redis-prefix", _pair.Prefix);
        var clock = Stopwatch.StartNew();
        Assert.Contains("Broadcast on Redis", revoked.Error, StringComparison.Ordinal);
        var refusedAfter = await RefusedByBothAsync(() => Profile(key));
        _output.WriteLine($"key revoked by the tool with --redis: refused by both processes {refusedAfter.TotalMilliseconds:F1} ms after the tool exited");
        Assert.True(refusedAfter <= TimeSpan.FromSeconds(1), $"refused by both only after {refusedAfter.TotalMilliseconds:F0} ms");
    }

    [Fact]
    public async Task A_token_minted_for_the_sample_and_revoked_by_the_tool_with_its_jti_and_redis_is_refused_by_both_within_a_second()
    {
        var minted = await RunToolAsync("token", "mint", "--audience", "layered-api", "--scope", "profile:read", "--subject", "svc-new-user", "--lifetime", "15m", "--key-directory", _pair.KeyDirectory);
        var token = minted.Output.Trim();
        var (jti, expires) = IdAndExpiry(token);
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(A, Bearer(token)));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(B, Bearer(token)));

        await RunToolAsync("token", "revoke", "--jti", jti, "--expires", expires.ToString(CultureInfo.InvariantCulture), "--redis", _pair.Redis.Configuration, "--redis-prefix", _pair.Prefix);
        var refusedAfter = await RefusedByBothAsync(() => Bearer(token));
        _output.WriteLine($"token id revoked by the tool with --redis: refused by both processes {refusedAfter.TotalMilliseconds:F1} ms after the tool exited");
        Assert.True(refusedAfter <= TimeSpan.FromSeconds(1), $"refused by both only after {refusedAfter.TotalMilliseconds:F0} ms");
    }

    [Fact]
    public async Task A_paused_Redis_holds_no_request_for_the_client_timeout_budgets_fall_back_per_instance_and_a_revocation_fails_clearly()
    {
        var operatorKey = (await _pair.Store.CreateKeyAsync("operator", OperatorScopes)).Key;
        var cached = await _pair.Store.CreateKeyAsync("cached");
        var fresh = await _pair.Store.CreateKeyAsync("fresh");
        var doomed = await _pair.Store.CreateKeyAsync("doomed");
        foreach (var key in new[] { operatorKey, cached.Key, doomed.Key })
        {
            Assert.Equal(HttpStatusCode.OK, await StatusAsync(A, key));
        }

        // A Redis that accepts commands and never answers (SIGSTOP): its connections stay up, so nothing but a timeout
        // stops a request from waiting for StackExchange.Redis's own (5 s).
        await _pair.Redis.PauseAsync();
        var timings = new List<string>();
        try
        {
            await AnsweredQuicklyAsync("a cached key", A, Profile(cached.Key), HttpStatusCode.OK, timings);
            await AnsweredQuicklyAsync("a stored key used for the first time", B, Profile(fresh.Key), HttpStatusCode.OK, timings);
            await AnsweredQuicklyAsync("a wrong secret", A, Profile(Guess(fresh.Info.Id)), HttpStatusCode.Unauthorized, timings);
            await AnsweredQuicklyAsync("a second wrong secret", A, Profile(Guess(fresh.Info.Id)), HttpStatusCode.Unauthorized, timings);

            // Stored and refused here, but not broadcast: the caller is told so instead of waiting.
            var clock = Stopwatch.StartNew();
            using (var revoked = await SendAsync(A, Revoke(operatorKey, doomed.Info.Id)))
            {
                timings.Add($"revocation: {(int)revoked.StatusCode} in {clock.Elapsed.TotalMilliseconds:F0} ms");
                Assert.Equal(HttpStatusCode.ServiceUnavailable, revoked.StatusCode);
                Assert.Contains("not yet broadcast", await revoked.Content.ReadAsStringAsync(), StringComparison.Ordinal);
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"the revocation took {clock.Elapsed.TotalMilliseconds:F0} ms");
            }

            Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(A, doomed.Key));
        }
        finally
        {
            await _pair.Redis.ResumeAsync();
            _output.WriteLine("while Redis was paused: " + string.Join("; ", timings));
        }

        // The fall-back was logged once, naming the timeout; both instances are healthy again without a restart.
        Assert.Single(Lines(A, "[5008]"));
        Assert.Contains("OperationTimeout", A.Output, StringComparison.Ordinal);
        await Task.WhenAll(A.WaitForReadinessAsync("Healthy", TimeSpan.FromSeconds(30)), B.WaitForReadinessAsync("Healthy", TimeSpan.FromSeconds(30)));
    }

    private static IEnumerable<string> Lines(SampleInstance instance, string text) =>
        instance.Output.Split('\n').Where(line => line.Contains(text, StringComparison.Ordinal));

    private static async Task AnsweredQuicklyAsync(string what, SampleInstance instance, HttpRequestMessage request, HttpStatusCode expected, List<string> timings)
    {
        var clock = Stopwatch.StartNew();
        using var response = await SendAsync(instance, request);
        timings.Add($"{what} on {instance.Name}: {(int)response.StatusCode} in {clock.Elapsed.TotalMilliseconds:F0} ms");
        Assert.Equal(expected, response.StatusCode);

        // The timeout is 250 ms; StackExchange.Redis alone would wait 5 s, so anything above that is a request held by
        // Redis. The margin below it is for a busy 2-core machine, where a first use's Argon2id alone can take seconds.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(4), $"{what} on {instance.Name} took {clock.Elapsed.TotalMilliseconds:F0} ms while Redis was paused");
    }

    /// <summary>Sends the request to both instances until both refuse it (10 s at most); how long that took.</summary>
    private async Task<TimeSpan> RefusedByBothAsync(Func<HttpRequestMessage> request)
    {
        var clock = Stopwatch.StartNew();
        foreach (var instance in new[] { A, B })
        {
            while (await StatusAsync(instance, request()) == HttpStatusCode.OK)
            {
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"{instance.Name} still accepts the credential 10 s after its revocation");
                await Task.Delay(5);
            }
        }

        return clock.Elapsed;
    }

    private static string Guess(string keyId) => ApiKeyFormat.Create(ApiKeyFormat.DefaultPrefix, test: false, keyId);

    private static HttpRequestMessage Profile(string key)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/api/profile");
        request.Headers.Add("X-API-Key", key);
        return request;
    }

    private static HttpRequestMessage Bearer(string token)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/api/profile");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return request;
    }

    private static HttpRequestMessage Revoke(string operatorKey, string keyId)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/admin/api-keys/{keyId}/revoke") { Content = JsonContent.Create(new { reason = "revoked in a test" }) };
        request.Headers.Add("X-API-Key", operatorKey);
        return request;
    }

    private static async Task<HttpResponseMessage> SendAsync(SampleInstance instance, HttpRequestMessage request)
    {
        using (request)
        {
            return await instance.Client.SendAsync(request);
        }
    }

    private static Task<HttpStatusCode> StatusAsync(SampleInstance instance, string key) =>
        StatusAsync(instance, Profile(key));

    private static async Task<HttpStatusCode> StatusAsync(SampleInstance instance, HttpRequestMessage request)
    {
        using var response = await SendAsync(instance, request);
        return response.StatusCode;
    }

    // The token's jti and exp, read from its payload as anyone holding it can (the tool is given both).
    private static (string Jti, long Expires) IdAndExpiry(string token)
    {
        var payload = token.Split('.')[1].Replace('-', '+').Replace('_', '/');
        payload = payload.PadRight(payload.Length + ((4 - (payload.Length % 4)) % 4), '=');
        using var json = JsonDocument.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(payload)));
        return (json.RootElement.GetProperty("jti").GetString()!, json.RootElement.GetProperty("exp").GetInt64());
    }

    private async Task<(string Output, string Error)> RunToolAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(SampleInstance.BuiltDll(Path.Combine("src", "AuthPatterns.Tool"), "AuthPatterns.Tool.dll"));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var variable in start.Environment.Keys.Where(k => k.StartsWith("LayeredAuth__", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(variable);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        _output.WriteLine($"authpatterns {arguments[0]} {arguments[1]}: exit {process.ExitCode}; {await error}");
        Assert.Equal(0, process.ExitCode);
        return (await output, await error);
    }
}
