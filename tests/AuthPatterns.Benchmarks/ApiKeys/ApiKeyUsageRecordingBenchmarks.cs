using AuthPatterns;
using AuthPatterns.ApiKeys;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace AuthPatterns.Benchmarks.ApiKeys;

/// <summary>
/// What recording a warm request's use costs (its usage count and its last use, at the default settings), as the number
/// of keys in use grows: the keys are drawn by a Zipf distribution (s = 1), as in tests/load/scale-keys.sh, and each
/// invocation ends with the flush that writes the counts and last uses to the (in-memory) store, as the flush service
/// does every ten seconds.
/// <code>dotnet run -c Release --project tests/AuthPatterns.Benchmarks -- --filter '*ApiKeyUsageRecording*'</code>
/// </summary>
[MemoryDiagnoser]
[Config(typeof(InProcessConfig))]
public class ApiKeyUsageRecordingBenchmarks
{
    private const int Uses = 100_000;

    private sealed class InProcessConfig : ManualConfig
    {
        public InProcessConfig() =>
            AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance).WithLaunchCount(1).WithWarmupCount(3).WithIterationCount(10));
    }

    private ServiceProvider _services = null!;
    private ApiKeyUsageRecorder _recorder = null!;
    private ApiKeyAuthenticationOptions _options = null!;
    private readonly DefaultHttpContext _context = new();
    private string[] _sequence = null!;
    private DateTimeOffset _now;

    [Params(1, 10_000, 100_000)]
    public int Keys { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddLayeredAuth().AddApiKeys();
        _services = services.BuildServiceProvider();
        _recorder = _services.GetRequiredService<ApiKeyUsageRecorder>();
        _options = _services.GetRequiredService<IOptionsMonitor<ApiKeyAuthenticationOptions>>().Get(ApiKeyAuthenticationDefaults.AuthenticationScheme);
        _now = DateTimeOffset.UtcNow;

        // Zipf (s = 1) over the key ids: the cumulative weights, then one draw per use from a fixed seed.
        var ids = Enumerable.Range(0, Keys).Select(_ => ApiKeyFormat.NewKeyId()).ToArray();
        var cumulative = new double[Keys];
        var total = 0.0;
        for (var rank = 0; rank < Keys; rank++)
        {
            total += 1.0 / (rank + 1);
            cumulative[rank] = total;
        }

        var random = new Random(42);
        _sequence = new string[Uses];
        for (var i = 0; i < Uses; i++)
        {
            var at = Array.BinarySearch(cumulative, random.NextDouble() * total);
            _sequence[i] = ids[Math.Min(at < 0 ? ~at : at, Keys - 1)];
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _services.Dispose();

    [Benchmark(OperationsPerInvoke = Uses, Description = "record one warm use (count and last use), flush included")]
    public async Task RecordUse()
    {
        var sequence = _sequence;
        for (var i = 0; i < sequence.Length; i++)
        {
            ApiKeyAuthenticationHandler.RecordUse(_context, _recorder, _options, _now, sequence[i], "127.0.0.1");
        }

        await _recorder.FlushAsync();
    }
}
