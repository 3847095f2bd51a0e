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

    private const string Issuer = "https://issuer.bench";
    private const string Audience = "bench-api";
    private const string Cookie = "authelia_session=bench-0123456789abcdef0123456789abcdef";

    private readonly List<WebApplication> _apps = [];
    private HttpClient _anonymous = null!;
    private HttpClient _noop = null!;
    private HttpClient _apiKey = null!;
    private HttpClient _jwt = null!;
    private HttpClient _forwardAuth = null!;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _anonymous = await StartAsync(_ => { }, app => app.MapGet("/api/ping", () => "pong"));
        _noop = await StartAsync(
            services => services.AddAuthentication(NoopAuthenticationHandler.SchemeName).AddScheme<AuthenticationSchemeOptions, NoopAuthenticationHandler>(NoopAuthenticationHandler.SchemeName, null),
            app => app.MapGet("/api/ping", () => "pong").RequireAuthorization(p => p.RequireClaim(LayeredClaimTypes.Scope, "orders:read")));

        var apiKeyApp = await StartLayeredAsync(layered => layered.AddApiKeys(o => o.RecordLastUse = false));
        var created = await apiKeyApp.Services.GetRequiredService<ApiKeyManager>()
            .CreateAsync(new ApiKeyCreateRequest { OwnerId = "bench", Scopes = ["orders:read"] });
        _apiKey = Client(apiKeyApp, "X-API-Key", created.Key);

        var (token, jwks) = Token();
        var jwtApp = await StartLayeredAsync(
            layered => layered.AddJwt(o =>
            {
                o.JwksUri = new Uri("https://issuer.bench/jwks");
                o.Issuer = Issuer;
                o.Audience = Audience;
            }),
            services => services.AddHttpClient(JwtAuthenticationDefaults.JwksHttpClientName).ConfigurePrimaryHttpMessageHandler(() => new StaticAnswer(jwks)));
        _jwt = Client(jwtApp, "Authorization", "Bearer " + token);

        var forwardAuthApp = await StartLayeredAsync(
            layered => layered.AddForwardAuth(o =>
            {
                o.UseAuthelia(new Uri("https://portal.bench/"));
                o.AllowedHosts.Add("localhost");
                o.MapGroup("admins", "orders:read");
                o.CacheDuration = TimeSpan.FromMinutes(10);
            }),
            services => services.AddHttpClient(ForwardAuthAuthenticationDefaults.HttpClientName).ConfigurePrimaryHttpMessageHandler(() => new StaticAnswer(null)));
        _forwardAuth = Client(forwardAuthApp, "Cookie", Cookie);

        foreach (var client in new[] { _anonymous, _noop, _apiKey, _jwt, _forwardAuth })
        {
            var status = await SendAsync(client);
            if (status != HttpStatusCode.OK)
            {
                throw new InvalidOperationException($"The warm-up request answered {(int)status}.");
            }
        }
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        foreach (var app in _apps)
        {
            await app.DisposeAsync();
        }
    }

    [Benchmark(Baseline = true, Description = "anonymous")]
    public Task<HttpStatusCode> Anonymous() => SendAsync(_anonymous);

    [Benchmark(Description = "no-op scheme + scope policy (floor)")]
    public Task<HttpStatusCode> Noop() => SendAsync(_noop);

    [Benchmark(Description = "API key, cached")]
    public Task<HttpStatusCode> ApiKey() => SendAsync(_apiKey);

    [Benchmark(Description = "JWT, cached")]
    public Task<HttpStatusCode> Jwt() => SendAsync(_jwt);

    [Benchmark(Description = "forward-auth cookie, cached")]
    public Task<HttpStatusCode> ForwardAuth() => SendAsync(_forwardAuth);

    private static async Task<HttpStatusCode> SendAsync(HttpClient client)
    {
        using var response = await client.GetAsync("/api/ping");
        return response.StatusCode;
    }

    private static HttpClient Client(WebApplication app, string header, string value)
    {
        var client = app.GetTestClient();
        client.BaseAddress = new Uri("https://localhost/");
        client.DefaultRequestHeaders.TryAddWithoutValidation(header, value);
        return client;
    }

    private Task<WebApplication> StartLayeredAsync(Action<LayeredAuthBuilder> scheme, Action<IServiceCollection>? more = null) =>
        StartAppAsync(
            services =>
            {
                scheme(services.AddLayeredAuth());
                more?.Invoke(services);
            },
            app => app.MapGet("/api/ping", () => "pong").RequireScope("orders:read"));

    private async Task<HttpClient> StartAsync(Action<IServiceCollection> configure, Action<WebApplication> map)
    {
        var app = await StartAppAsync(configure, map);
        return Client(app, "X-Bench", "1");
    }

    private async Task<WebApplication> StartAppAsync(Action<IServiceCollection> configure, Action<WebApplication> map)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddAuthentication();
        builder.Services.AddAuthorization();
        configure(builder.Services);
        var app = builder.Build();
        app.UseAuthentication();
        app.UseAuthorization();
        map(app);
        await app.StartAsync();
        _apps.Add(app);
        return app;
    }

    private static (string Token, string Jwks) Token()
    {
        using var rsa = RSA.Create(2048);
        var now = DateTime.UtcNow;
        var token = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = Audience,
            IssuedAt = now,
            NotBefore = now,
            Expires = now.AddHours(1),
            TokenType = "at+jwt",
            Claims = new Dictionary<string, object> { ["sub"] = "svc", ["scope"] = "orders:read", ["jti"] = "j1" },
            SigningCredentials = new SigningCredentials(new RsaSecurityKey(rsa) { KeyId = "k1" }, SecurityAlgorithms.RsaSha256),
        });
        var p = rsa.ExportParameters(false);
        var jwks = $"{{\"keys\":[{{\"kty\":\"RSA\",\"kid\":\"k1\",\"use\":\"sig\",\"alg\":\"RS256\",\"n\":\"{Base64UrlEncoder.Encode(p.Modulus)}\",\"e\":\"{Base64UrlEncoder.Encode(p.Exponent)}\"}}]}}";
        return (token, jwks);
    }

    /// <summary>The JWKS (when given a body) or the portal's positive verify answer for a member of <c>admins</c>.</summary>
    private sealed class StaticAnswer(string? json) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (json is not null)
            {
                return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(json, Encoding.UTF8, "application/json") });
            }

            var answer = new HttpResponseMessage(HttpStatusCode.OK);
            answer.Headers.Add("Remote-User", "alice");
            answer.Headers.Add("Remote-Groups", "admins");
            answer.Headers.Add("Remote-Email", "alice@example.com");
            answer.Headers.Add("Remote-Name", "Alice");
            return Task.FromResult(answer);
        }
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
