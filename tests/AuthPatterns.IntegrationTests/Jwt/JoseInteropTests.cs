using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using AuthPatterns.Jwt;
using Microsoft.AspNetCore.Hosting;

namespace AuthPatterns.IntegrationTests.Jwt;

/// <summary>
/// An independent issuer: the Node <c>jose</c> peer (tests/peers/jose) signs tokens and serves its JWKS on loopback; our
/// scheme, served by Kestrel on loopback, fetches that JWKS over HTTP and validates the tokens.
/// </summary>
public sealed class JoseInteropTests : IAsyncLifetime
{
    private const string Issuer = "https://jose-peer.test";
    private const string Audience = "interop-api";

    private Process? _node;
    private HttpClient _peer = null!;
    private WebApplication? _rs256Only;
    private WebApplication? _withEs256;

    public async Task InitializeAsync()
    {
        var peerDirectory = Path.Combine(RepositoryRoot(), "tests", "peers", "jose");
        if (!Directory.Exists(Path.Combine(peerDirectory, "node_modules", "jose")))
        {
            throw new InvalidOperationException("The jose peer is not installed: run tests/run.sh (it runs npm ci in tests/peers/*).");
        }

        _node = Process.Start(new ProcessStartInfo("node", ["issuer.mjs", Issuer, "0"])
        {
            WorkingDirectory = peerDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        }) ?? throw new InvalidOperationException("node did not start.");

        var line = await _node.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30))
            ?? throw new InvalidOperationException("The jose peer exited: " + await _node.StandardError.ReadToEndAsync());
        var port = JsonDocument.Parse(line).RootElement.GetProperty("port").GetInt32();
        var peer = new Uri($"http://127.0.0.1:{port}");
        _peer = new HttpClient { BaseAddress = peer };

        _rs256Only = await StartVerifierAsync(peer, ["RS256"]);
        _withEs256 = await StartVerifierAsync(peer, ["RS256", "ES256"]);
    }

    public async Task DisposeAsync()
    {
        _peer?.Dispose();
        if (_rs256Only is not null)
        {
            await _rs256Only.DisposeAsync();
        }

        if (_withEs256 is not null)
        {
            await _withEs256.DisposeAsync();
        }

        if (_node is not null)
        {
            if (!_node.HasExited)
            {
                _node.Kill(entireProcessTree: true);
                await _node.WaitForExitAsync();
            }

            _node.Dispose();
        }
    }

    private async Task<string> TokenAsync(string query) => await _peer.GetStringAsync("/token?" + query);

    private static async Task<HttpResponseMessage> CallAsync(WebApplication app, string path, string token)
    {
        using var client = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await client.SendAsync(request);
    }

    [Fact]
    public async Task A_jose_rs256_token_is_accepted_with_its_claims_and_scopes()
    {
        var token = await TokenAsync($"aud={Audience}&scope=reports:read%20orders:read&sub=jose-service");
        var response = await CallAsync(_rs256Only!, "/reports", token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("jose-service", body.GetProperty("sub").GetString());
        Assert.Equal("jose-client", body.GetProperty("clientId").GetString());
        Assert.Equal(["reports:read", "orders:read"], body.GetProperty("scopes").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task A_jose_es256_token_is_refused_unless_es256_is_allowed()
    {
        var token = await TokenAsync($"aud={Audience}&scope=reports:read&alg=ES256");

        var refused = await CallAsync(_rs256Only!, "/reports", token);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal("Bearer error=\"invalid_token\"", refused.Headers.WwwAuthenticate.Single().ToString());

        var accepted = await CallAsync(_withEs256!, "/reports", token);
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
    }

    [Theory]
    [InlineData("aud=interop-api&scope=reports:read&expired=1")]
    [InlineData("aud=another-api&scope=reports:read")]
    public async Task Expired_or_misaddressed_jose_tokens_are_refused(string query)
    {
        var response = await CallAsync(_rs256Only!, "/reports", await TokenAsync(query));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bearer error=\"invalid_token\"", response.Headers.WwwAuthenticate.Single().ToString());
    }

    [Fact]
    public async Task A_jose_token_without_the_scope_is_403_insufficient_scope()
    {
        var response = await CallAsync(_rs256Only!, "/reports", await TokenAsync($"aud={Audience}&scope=orders:read"));
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var challenge = response.Headers.WwwAuthenticate.Single().ToString();
        Assert.StartsWith("Bearer error=\"insufficient_scope\"", challenge, StringComparison.Ordinal);
        Assert.EndsWith("scope=\"reports:read\"", challenge, StringComparison.Ordinal);
    }

    private static async Task<WebApplication> StartVerifierAsync(Uri peer, string[] algorithms)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddLayeredAuth().AddJwt(options =>
        {
            options.JwksUri = new Uri(peer, "/.well-known/jwks.json");
            options.RequireHttpsMetadata = false;
            options.Issuer = Issuer;
            options.Audience = Audience;
            options.RequiredTokenType = JwtAuthenticationDefaults.AccessTokenType;
            options.ValidAlgorithms = algorithms;
        });

        var app = builder.Build();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapGet("/reports", (System.Security.Claims.ClaimsPrincipal user) => Results.Ok(new
        {
            sub = user.FindFirst("sub")?.Value,
            clientId = user.FindFirst("client_id")?.Value,
            scopes = user.FindAll("scope").Select(c => c.Value).ToArray(),
        })).RequireScope("reports:read");
        await app.StartAsync();
        return app;
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "AuthPatterns.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("The repository root (AuthPatterns.sln) was not found above " + AppContext.BaseDirectory);
    }
}
