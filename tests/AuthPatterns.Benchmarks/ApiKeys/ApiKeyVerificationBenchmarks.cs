using System.Net;
using AuthPatterns;
using AuthPatterns.ApiKeys;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace AuthPatterns.Benchmarks.ApiKeys;

/// <summary>
/// The cost of verifying one API key: a plain dictionary lookup of the plaintext key (the tutorial version, the
/// baseline), the cached path (parse, checksum, HMAC-SHA256 cache key, state checks), and the cold path (store lookup and
/// Argon2id at the OWASP default m=19456 KiB, t=2, p=1), measured in the same run.
/// <code>dotnet run -c Release --project tests/AuthPatterns.Benchmarks -- --filter '*ApiKeyVerification*'</code>
/// The job runs in the benchmark's own process: a generated project would rebuild the library, which on a busy machine
/// outlasts BenchmarkDotNet's two-minute build timeout and leaves every row NA.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(InProcessShortConfig))]
public class ApiKeyVerificationBenchmarks
{
    /// <summary>In process, one launch, two warm-up and five measured iterations (a cold verification takes about 50 ms).</summary>
    private sealed class InProcessShortConfig : ManualConfig
    {
        public InProcessShortConfig() =>
            AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance).WithLaunchCount(1).WithWarmupCount(2).WithIterationCount(5));
    }

    private static readonly IPAddress Address = IPAddress.Loopback;

    private ServiceProvider _services = null!;
    private ApiKeyVerifier _verifier = null!;
    private Dictionary<string, ApiKeyRecord> _plaintext = null!;
    private string _key = null!;
    private string _keyId = null!;

    [GlobalSetup]
    public void Setup()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddLayeredAuth().AddApiKeys(options =>
        {
            // Budgets out of the way: the cold benchmark verifies the same key thousands of times.
            options.MaxVerificationsPerKey = int.MaxValue;
            options.MaxVerificationsPerAddress = int.MaxValue;
            options.RecordLastUse = false;
        });
        _services = services.BuildServiceProvider();
        _verifier = _services.GetRequiredService<ApiKeyVerifier>();
        var created = _services.GetRequiredService<ApiKeyManager>()
            .CreateAsync(new ApiKeyCreateRequest { OwnerId = "bench", Scopes = ["events:write"] }).GetAwaiter().GetResult();
        _key = created.Key;
        _keyId = created.Info.Id;

        var record = new ApiKeyRecord { Id = _keyId, OwnerId = "bench", Scopes = ["events:write"] };
        _plaintext = Enumerable.Range(0, 1000).ToDictionary(i => ApiKeyFormat.Create("ak", false, ApiKeyFormat.NewKeyId()), _ => record);
        _plaintext[_key] = record;

        if (!Cached().GetAwaiter().GetResult())
        {
            throw new InvalidOperationException("The key did not verify.");
        }

        // The cold benchmark must start from an empty cache each time, or it would measure a cache hit.
        _verifier.Evict(_keyId);
        if (_verifier.CachedCount != 0)
        {
            throw new InvalidOperationException("Evicting the key left it cached: the cold benchmark would measure a cache hit.");
        }

        Cold().GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup() => _services.Dispose();

    [Benchmark(Baseline = true, Description = "plaintext Dictionary lookup")]
    public bool PlainDictionary() => _plaintext.TryGetValue(_key, out var record) && record.RevokedAt is null;

    [Benchmark(Description = "cached path (parse + HMAC + cache + state)")]
    public async Task<bool> Cached() => (await _verifier.VerifyAsync(_key, Address, CancellationToken.None)).Succeeded;

    /// <summary>
    /// The key evicted first, so every invocation reads the store and runs Argon2id; anything but a valid answer (a
    /// refusal by a budget, the concurrency limit) throws rather than report the cost of a refusal as a verification.
    /// </summary>
    [Benchmark(Description = "cold path (lookup + Argon2id m=19456,t=2,p=1)")]
    public async Task<bool> Cold()
    {
        _verifier.Evict(_keyId);
        var verification = await _verifier.VerifyAsync(_key, Address, CancellationToken.None);
        if (!verification.Succeeded)
        {
            throw new InvalidOperationException($"The cold verification answered {verification.Outcome}, not valid.");
        }

        return true;
    }
}
