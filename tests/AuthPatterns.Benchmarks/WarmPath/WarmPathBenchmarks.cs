using System.Net;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using AuthPatterns.ApiKeys;
using AuthPatterns.ForwardAuth;
using AuthPatterns.Jwt;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace AuthPatterns.Benchmarks.WarmPath;

/// <summary>
/// One warm request (credential already verified and cached) through the whole ASP.NET Core pipeline on an in-memory
/// TestServer, per scheme, each behind the same scope requirement (<c>orders:read</c>): the anonymous endpoint (the
/// baseline), the floor (a no-op authentication handler that returns a fixed principal, plus a scope policy), and the
/// three layered schemes selected by the layered default scheme. The allocated bytes per request, beside the floor's,
/// are what each scheme's warm path costs.
/// <code>dotnet run -c Release --project tests/AuthPatterns.Benchmarks -- --filter '*WarmPath*'</code> (in process, about a minute)
/// </summary>
[MemoryDiagnoser]
[Config(typeof(InProcessShortConfig))]
public class WarmPathBenchmarks
{
    /// <summary>In the benchmark's own process (no generated project to build), two warm-up and three measured iterations.</summary>
    private sealed class InProcessShortConfig : ManualConfig
    {
        public InProcessShortConfig() =>
            AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance).WithLaunchCount(1).WithWarmupCount(2).WithIterationCount(3));
    }

    private readonly WarmPathApps _apps = new();

    [GlobalSetup]
    public Task SetupAsync() => _apps.StartAsync();

    [GlobalCleanup]
    public Task CleanupAsync() => _apps.DisposeAsync().AsTask();

    [Benchmark(Baseline = true, Description = "anonymous")]
    public Task<HttpStatusCode> Anonymous() => SendAsync(_apps.Anonymous);

    [Benchmark(Description = "no-op scheme + scope policy (floor)")]
    public Task<HttpStatusCode> Noop() => SendAsync(_apps.Noop);

    [Benchmark(Description = "API key, cached")]
    public Task<HttpStatusCode> ApiKey() => SendAsync(_apps.ApiKey);

    [Benchmark(Description = "JWT, cached")]
    public Task<HttpStatusCode> Jwt() => SendAsync(_apps.Jwt);

    [Benchmark(Description = "forward-auth cookie, cached")]
    public Task<HttpStatusCode> ForwardAuth() => SendAsync(_apps.ForwardAuth);

    private static async Task<HttpStatusCode> SendAsync(WarmPathApp app)
    {
        using var response = await app.Client.GetAsync("/api/ping");
        return response.StatusCode;
    }
}

/// <summary>The floor: an authentication handler that does no work and returns one fixed principal.</summary>
internal sealed class NoopAuthenticationHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Noop";

    private static readonly ClaimsPrincipal Principal = new(new ClaimsIdentity(
        [new Claim(LayeredClaimTypes.Subject, "bench"), new Claim(LayeredClaimTypes.Scope, "orders:read")],
        SchemeName,
        LayeredClaimTypes.Subject,
        "role"));

    protected override Task<AuthenticateResult> HandleAuthenticateAsync() =>
        Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(Principal, SchemeName)));
}
