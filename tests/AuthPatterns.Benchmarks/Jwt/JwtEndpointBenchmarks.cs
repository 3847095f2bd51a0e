using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using AuthPatterns.Jwt;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Jobs;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.TestHost;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace AuthPatterns.Benchmarks.Jwt;

/// <summary>
/// One request through the whole ASP.NET Core pipeline (in-memory TestServer): an anonymous endpoint (the baseline),
/// the same endpoint behind the stock JwtBearer scheme (issuer, audience, key), and behind this library's scheme.
/// The ratio is the cost of authentication per request. Run:
/// <c>dotnet run -c Release --project tests/AuthPatterns.Benchmarks -- --filter '*JwtEndpoint*'</c>.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RuntimeMoniker.Net10_0, launchCount: 1, warmupCount: 3, iterationCount: 5)]
public class JwtEndpointBenchmarks
{
    private const string Issuer = "https://issuer.bench";
    private const string Audience = "bench-api";

    private WebApplication _anonymous = null!;
    private WebApplication _stock = null!;
    private WebApplication _layered = null!;
    private HttpClient _anonymousClient = null!;
    private HttpClient _stockClient = null!;
    private HttpClient _layeredClient = null!;
    private string _token = "";

    [GlobalSetup]
    public async Task Setup()
    {
        var rsa = RSA.Create(2048);
        var publicKey = new RsaSecurityKey(rsa.ExportParameters(false)) { KeyId = "k1" };
        var now = DateTime.UtcNow;
        _token = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
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

        _anonymous = await StartAsync(_ => { }, requireAuthorization: false);
        _stock = await StartAsync(services => services.AddAuthorization().AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer(o =>
        {
            o.TokenValidationParameters = new TokenValidationParameters { ValidIssuer = Issuer, ValidAudience = Audience, IssuerSigningKey = publicKey };
        }), requireAuthorization: true);
        _layered = await StartAsync(services =>
        {
            services.AddLayeredAuth().AddJwt(o =>
            {
                o.JwksUri = new Uri("https://issuer.bench/jwks");
                o.Issuer = Issuer;
                o.Audience = Audience;
            });
            services.AddHttpClient(JwtAuthenticationDefaults.JwksHttpClientName).ConfigurePrimaryHttpMessageHandler(() => new StaticJwks(jwks));
        }, requireAuthorization: true);

        _anonymousClient = Client(_anonymous);
        _stockClient = Client(_stock);
        _layeredClient = Client(_layered);
        foreach (var client in new[] { _anonymousClient, _stockClient, _layeredClient })
        {
            (await client.GetAsync("/ping")).EnsureSuccessStatusCode();
        }
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        await _anonymous.DisposeAsync();
        await _stock.DisposeAsync();
        await _layered.DisposeAsync();
    }

    [Benchmark(Baseline = true)]
    public Task<System.Net.HttpStatusCode> Anonymous() => SendAsync(_anonymousClient);

    [Benchmark]
    public Task<System.Net.HttpStatusCode> StockJwtBearer() => SendAsync(_stockClient);

    [Benchmark]
    public Task<System.Net.HttpStatusCode> LayeredJwt() => SendAsync(_layeredClient);

    private static async Task<System.Net.HttpStatusCode> SendAsync(HttpClient client)
    {
        using var response = await client.GetAsync("/ping");
        return response.StatusCode;
    }

    private HttpClient Client(WebApplication app)
    {
        var client = app.GetTestClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", _token);
        return client;
    }

    private static async Task<WebApplication> StartAsync(Action<IServiceCollection> configure, bool requireAuthorization)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        configure(builder.Services);
        var app = builder.Build();
        if (requireAuthorization)
        {
            app.UseAuthentication();
            app.UseAuthorization();
            app.MapGet("/ping", () => "pong").RequireAuthorization();
        }
        else
        {
            app.MapGet("/ping", () => "pong");
        }

        await app.StartAsync();
        return app;
    }

    private sealed class StaticJwks(string jwks) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(new HttpResponseMessage(System.Net.HttpStatusCode.OK) { Content = new StringContent(jwks, Encoding.UTF8, "application/json") });
    }
}
