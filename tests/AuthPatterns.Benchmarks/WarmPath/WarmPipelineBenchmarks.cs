using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace AuthPatterns.Benchmarks.WarmPath;

/// <summary>
/// The warm paths of <see cref="WarmPathBenchmarks"/> without the test server and client around them: each request is
/// the app's own pipeline (routing, authentication, authorization, the endpoint) invoked on a fresh context, as Kestrel
/// invokes it. What remains is the framework's work and ours, so the time beside the floor's is what each scheme's
/// warm path costs a server.
/// <code>dotnet run -c Release --project tests/AuthPatterns.Benchmarks -- --filter '*WarmPipeline*'</code> (in process, about a minute)
/// </summary>
[MemoryDiagnoser]
[Config(typeof(InProcessConfig))]
public class WarmPipelineBenchmarks
{
    /// <summary>In the benchmark's own process (no generated project to build).</summary>
    private sealed class InProcessConfig : ManualConfig
    {
        public InProcessConfig() =>
            AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance).WithLaunchCount(1).WithWarmupCount(3).WithIterationCount(10));
    }

    private readonly WarmPathApps _apps = new();

    [GlobalSetup]
    public Task SetupAsync() => _apps.StartAsync();

    [GlobalCleanup]
    public Task CleanupAsync() => _apps.DisposeAsync().AsTask();

    [Benchmark(Description = "anonymous")]
    public Task<int> Anonymous() => _apps.Anonymous.InvokeAsync();

    [Benchmark(Baseline = true, Description = "no-op scheme + scope policy (floor)")]
    public Task<int> Noop() => _apps.Noop.InvokeAsync();

    [Benchmark(Description = "API key, cached")]
    public Task<int> ApiKey() => _apps.ApiKey.InvokeAsync();

    [Benchmark(Description = "JWT, cached")]
    public Task<int> Jwt() => _apps.Jwt.InvokeAsync();

    [Benchmark(Description = "forward-auth cookie, cached")]
    public Task<int> ForwardAuth() => _apps.ForwardAuth.InvokeAsync();
}
