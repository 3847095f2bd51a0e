using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using AuthPatterns.Issuing;
using LayeredApi;

namespace AuthPatterns.IntegrationTests.Jwt;

/// <summary>
/// The sample's development issuer on a real loopback socket, and a second service that trusts it only through its
/// published JWKS, fetched over HTTP.
/// </summary>
public sealed class SampleIssuerOverLoopbackTests : IAsyncLifetime
{
    private readonly string _keys = Directory.CreateTempSubdirectory("ap-jwt-it-").FullName;
    private WebApplication? _sample;
    private WebApplication? _consumer;
    private Uri _sampleAddress = null!;

    public async Task InitializeAsync()
    {
        var port = FreePort();
        _sampleAddress = new Uri($"http://127.0.0.1:{port}");
        _sample = SampleHost.Build(["--urls", _sampleAddress.ToString(), "--environment", "Development", "--LayeredAuth:Jwt:DevelopmentKeyDirectory", _keys]);
        await _sample.StartAsync();

        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddLayeredAuth().AddJwt(o =>
        {
            o.JwksUri = new Uri(_sampleAddress, "/.well-known/jwks.json");
            o.RequireHttpsMetadata = false;
            o.Issuer = DevelopmentSigningKeys.Issuer;
            o.Audience = "consumer-api";
            o.RequiredTokenType = "at+jwt";
        });
        _consumer = builder.Build();
        _consumer.UseAuthentication();
        _consumer.UseAuthorization();
        _consumer.MapGet("/orders", () => "orders").RequireScope("orders:read");
        await _consumer.StartAsync();
    }

    public async Task DisposeAsync()
    {
        if (_consumer is not null)
        {
            await _consumer.DisposeAsync();
        }

        if (_sample is not null)
        {
            await _sample.DisposeAsync();
        }

        Directory.Delete(_keys, recursive: true);
    }

    private async Task<string> TokenAsync(string audience, params string[] scopes) =>
        (await _sample!.Services.GetRequiredService<IServiceTokenIssuer>().IssueAsync(new ServiceTokenRequest
        {
            Audience = audience,
            Subject = "it-caller",
            Scopes = scopes,
        })).AccessToken;

    private static async Task<HttpStatusCode> GetAsync(Uri address, string token)
    {
        using var client = new HttpClient { BaseAddress = address };
        using var request = new HttpRequestMessage(HttpMethod.Get, address);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }

    [Fact]
    public async Task The_sample_accepts_its_development_tokens_over_http()
    {
        var token = await TokenAsync(JwtSample.DefaultAudience, "reports:read");
        Assert.Equal(HttpStatusCode.OK, await GetAsync(new Uri(_sampleAddress, "/internal/reports"), token));
        Assert.Equal(HttpStatusCode.Forbidden, await GetAsync(new Uri(_sampleAddress, "/api/profile"), token));
    }

    [Fact]
    public async Task Another_service_validates_the_samples_tokens_through_its_jwks_over_http()
    {
        var consumer = new Uri(_consumer!.Urls.First());
        Assert.Equal(HttpStatusCode.OK, await GetAsync(new Uri(consumer, "/orders"), await TokenAsync("consumer-api", "orders:read")));
        Assert.Equal(HttpStatusCode.Unauthorized, await GetAsync(new Uri(consumer, "/orders"), await TokenAsync(JwtSample.DefaultAudience, "orders:read")));
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
