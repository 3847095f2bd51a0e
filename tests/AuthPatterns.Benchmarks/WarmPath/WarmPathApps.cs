using System.Net;
using System.Security.Cryptography;
using System.Text;
using AuthPatterns.ApiKeys;
using AuthPatterns.ForwardAuth;
using AuthPatterns.Jwt;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.TestHost;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace AuthPatterns.Benchmarks.WarmPath;

/// <summary>
/// The five apps the warm-path benchmarks compare, each serving <c>GET /api/ping</c>: anonymous, the floor (a no-op
/// scheme behind the same scope requirement, <c>orders:read</c>) and the three layered schemes with their credential
/// verified once and cached. Each app can be called through an in-memory TestServer and an <see cref="HttpClient"/>,
/// or by invoking its request pipeline directly on a fresh <see cref="HttpContext"/>, as a server would.
/// </summary>
internal sealed class WarmPathApps : IAsyncDisposable
{
    private const string Issuer = "https://issuer.bench";
    private const string Audience = "bench-api";
    private const string Cookie = "authelia_session=bench-0123456789abcdef0123456789abcdef";

    private readonly List<WebApplication> _apps = [];

    public WarmPathApp Anonymous { get; private set; } = null!;

    public WarmPathApp Noop { get; private set; } = null!;

    public WarmPathApp ApiKey { get; private set; } = null!;

    public WarmPathApp Jwt { get; private set; } = null!;

    public WarmPathApp ForwardAuth { get; private set; } = null!;

    public async Task StartAsync()
    {
        Anonymous = Bind(await StartAppAsync(_ => { }, app => app.MapGet("/api/ping", () => "pong")), "X-Bench", "1");
        Noop = Bind(
            await StartAppAsync(
                services => services.AddAuthentication(NoopAuthenticationHandler.SchemeName).AddScheme<AuthenticationSchemeOptions, NoopAuthenticationHandler>(NoopAuthenticationHandler.SchemeName, null),
                app => app.MapGet("/api/ping", () => "pong").RequireAuthorization(p => p.RequireClaim(LayeredClaimTypes.Scope, "orders:read"))),
            "X-Bench",
            "1");

        var apiKeyApp = await StartLayeredAsync(layered => layered.AddApiKeys(o => o.RecordLastUse = false));
        var created = await apiKeyApp.Services.GetRequiredService<ApiKeyManager>()
            .CreateAsync(new ApiKeyCreateRequest { OwnerId = "bench", Scopes = ["orders:read"] });
        ApiKey = Bind(apiKeyApp, "X-API-Key", created.Key);

        var (token, jwks) = Token();
        var jwtApp = await StartLayeredAsync(
            layered => layered.AddJwt(o =>
            {
                o.JwksUri = new Uri("https://issuer.bench/jwks");
                o.Issuer = Issuer;
                o.Audience = Audience;
            }),
            services => services.AddHttpClient(JwtAuthenticationDefaults.JwksHttpClientName).ConfigurePrimaryHttpMessageHandler(() => new StaticAnswer(jwks)));
        Jwt = Bind(jwtApp, "Authorization", "Bearer " + token);

        var forwardAuthApp = await StartLayeredAsync(
            layered => layered.AddForwardAuth(o =>
            {
                o.UseAuthelia(new Uri("https://portal.bench/"));
                o.AllowedHosts.Add("localhost");
                o.MapGroup("admins", "orders:read");
                o.CacheDuration = TimeSpan.FromMinutes(10);
            }),
            services => services.AddHttpClient(ForwardAuthAuthenticationDefaults.HttpClientName).ConfigurePrimaryHttpMessageHandler(() => new StaticAnswer(null)));
        ForwardAuth = Bind(forwardAuthApp, "Cookie", Cookie);

        foreach (var app in new[] { Anonymous, Noop, ApiKey, Jwt, ForwardAuth })
        {
            using var response = await app.Client.GetAsync("/api/ping");
            var status = await app.InvokeAsync();
            if (response.StatusCode != HttpStatusCode.OK || status != StatusCodes.Status200OK)
            {
                throw new InvalidOperationException($"The warm-up request answered {(int)response.StatusCode} through the server and {status} through the pipeline.");
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var app in _apps)
        {
            await app.DisposeAsync();
        }
    }

    private static WarmPathApp Bind(WebApplication app, string header, string value)
    {
        var client = app.GetTestClient();
        client.BaseAddress = new Uri("https://localhost/");
        client.DefaultRequestHeaders.TryAddWithoutValidation(header, value);
        return new WarmPathApp(client, ((IApplicationBuilder)app).Build(), app.Services.GetRequiredService<IHttpContextFactory>(), header, value);
    }

    private Task<WebApplication> StartLayeredAsync(Action<LayeredAuthBuilder> scheme, Action<IServiceCollection>? more = null) =>
        StartAppAsync(
            services =>
            {
                scheme(services.AddLayeredAuth());
                more?.Invoke(services);
            },
            app => app.MapGet("/api/ping", () => "pong").RequireScope("orders:read"));

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

        // Routing placed explicitly, so the pipeline built from the app is the whole of what the server runs.
        app.UseRouting();
        app.UseAuthentication();
        app.UseAuthorization();
        map(app);
        app.UseEndpoints(_ => { });
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

/// <summary>One warm-path app: its test client, and its request pipeline with the context factory a server would use.</summary>
internal sealed class WarmPathApp(HttpClient client, RequestDelegate pipeline, IHttpContextFactory contexts, string header, string value)
{
    private static readonly IPAddress Loopback = IPAddress.Loopback;

    public HttpClient Client { get; } = client;

    /// <summary>
    /// Runs <c>GET https://localhost/api/ping</c> with the app's credential header through the pipeline on a fresh
    /// context from loopback, the response body discarded; returns the status.
    /// </summary>
    public async Task<int> InvokeAsync()
    {
        var features = new FeatureCollection();
        features.Set<IHttpRequestFeature>(new HttpRequestFeature
        {
            Protocol = "HTTP/1.1",
            Method = "GET",
            Scheme = "https",
            Path = "/api/ping",
            Headers = new HeaderDictionary { ["Host"] = "localhost", [header] = value },
        });
        features.Set<IHttpResponseFeature>(new HttpResponseFeature());
        features.Set<IHttpResponseBodyFeature>(new StreamResponseBodyFeature(Stream.Null));
        features.Set<IHttpConnectionFeature>(new HttpConnectionFeature { RemoteIpAddress = Loopback, LocalIpAddress = Loopback, RemotePort = 50000, LocalPort = 443 });
        var context = contexts.Create(features);
        try
        {
            await pipeline(context);
            return context.Response.StatusCode;
        }
        finally
        {
            contexts.Dispose(context);
        }
    }
}
