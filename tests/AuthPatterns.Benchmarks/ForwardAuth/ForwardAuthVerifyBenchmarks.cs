using System.Net;
using AuthPatterns.ForwardAuth;
using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Logging.Abstractions;

namespace AuthPatterns.Benchmarks.ForwardAuth;

/// <summary>
/// What the answer cache saves: a verify call to a portal on loopback (the baseline) against a cache hit for the same
/// cookie. Both build the request's principal, as the handler does.
/// </summary>
[MemoryDiagnoser]
[ShortRunJob]
public class ForwardAuthVerifyBenchmarks
{
    private const string Cookie = "authelia_session=bench-0123456789abcdef0123456789abcdef";
    private static readonly ForwardedRequest Original = new("GET", "https", "app.example.com", "/app/dashboard", "203.0.113.5");

    private WebApplication _portal = null!;
    private ServiceProvider _services = null!;
    private ForwardAuthSessionVerifier _verifier = null!;
    private ForwardAuthAuthenticationOptions _cached = null!;
    private ForwardAuthAuthenticationOptions _uncached = null!;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        _portal = builder.Build();
        _portal.MapGet("/api/authz/forward-auth", (HttpContext context) =>
        {
            context.Response.Headers["Remote-User"] = "alice";
            context.Response.Headers["Remote-Groups"] = "admins,dev";
            context.Response.Headers["Remote-Email"] = "alice@example.com";
            context.Response.Headers["Remote-Name"] = "Alice";
            return Task.CompletedTask;
        });
        await _portal.StartAsync();
        var address = _portal.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

        var services = new ServiceCollection();
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(typeof(ILogger<>), typeof(NullLogger<>));
        services.AddHttpClient(ForwardAuthAuthenticationDefaults.HttpClientName)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false });
        services.AddSingleton<ForwardAuthVerifyClient>();
        services.AddSingleton<ForwardAuthSessionVerifier>();
        _services = services.BuildServiceProvider();
        _verifier = _services.GetRequiredService<ForwardAuthSessionVerifier>();

        _cached = Options(address, TimeSpan.FromMinutes(10));
        _uncached = Options(address, TimeSpan.Zero);
        await CachedAsync();
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await _services.DisposeAsync();
        await _portal.DisposeAsync();
    }

    [Benchmark(Baseline = true)]
    public async Task<object> UncachedAsync()
    {
        var (result, _) = await _verifier.VerifyAsync("uncached", _uncached, Cookie, Original, CancellationToken.None);
        return result.Identity!.ToPrincipal(LayeredAuthSchemes.ForwardAuth, _uncached);
    }

    [Benchmark]
    public async Task<object> CachedAsync()
    {
        var (result, _) = await _verifier.VerifyAsync("cached", _cached, Cookie, Original, CancellationToken.None);
        return result.Identity!.ToPrincipal(LayeredAuthSchemes.ForwardAuth, _cached);
    }

    private static ForwardAuthAuthenticationOptions Options(string address, TimeSpan cacheDuration)
    {
        var options = new ForwardAuthAuthenticationOptions
        {
            VerifyUrl = new Uri($"{address}/api/authz/forward-auth"),
            CacheDuration = cacheDuration,
        };
        options.MapGroup("admins", "orders:read", "orders:write");
        new PostConfigureForwardAuthAuthenticationOptions().PostConfigure(null, options);
        return options;
    }
}
