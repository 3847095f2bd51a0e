using System.Net;
using AuthPatterns.Issuing;
using LayeredApi;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace AuthPatterns.Tests.Jwt;

/// <summary>The sample in Development with no JWT configuration: its own development issuer.</summary>
public sealed class JwtSampleTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("ap-jwt-sample-").FullName;
    private readonly WebApplicationFactory<Program> _factory;

    public JwtSampleTests()
    {
        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(builder => builder
            .UseEnvironment("Development")
            .UseSetting("LayeredAuth:Jwt:DevelopmentKeyDirectory", _directory));
    }

    public void Dispose()
    {
        _factory.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    private async Task<string> TokenAsync(params string[] scopes) =>
        (await _factory.Services.GetRequiredService<IServiceTokenIssuer>().IssueAsync(new ServiceTokenRequest
        {
            Audience = JwtSample.DefaultAudience,
            Subject = "caller",
            Scopes = scopes,
        })).AccessToken;

    private static HttpRequestMessage Request(HttpMethod method, string path, string token)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new("Bearer", token);
        return request;
    }

    [Theory]
    [InlineData("/internal/reports")]
    [InlineData("/api/ping")]
    [InlineData("/api/profile")]
    public async Task The_development_issuers_tokens_are_accepted_for_internal_and_api_endpoints(string path)
    {
        var client = _factory.CreateClient();
        var response = await client.SendAsync(Request(HttpMethod.Get, path, await TokenAsync("reports:read", "profile:read")));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task A_valid_jwt_on_the_api_key_only_webhook_is_401()
    {
        var client = _factory.CreateClient();
        var response = await client.SendAsync(Request(HttpMethod.Post, "/webhooks/events", await TokenAsync("events:write")));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task The_sample_serves_its_jwks()
    {
        var response = await _factory.CreateClient().GetAsync("/.well-known/jwks.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("\"kty\":\"RSA\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_token_for_another_audience_is_refused()
    {
        var token = (await _factory.Services.GetRequiredService<IServiceTokenIssuer>().IssueAsync(new ServiceTokenRequest
        {
            Audience = "another-api",
            Subject = "caller",
            Scopes = ["reports:read"],
        })).AccessToken;
        var response = await _factory.CreateClient().SendAsync(Request(HttpMethod.Get, "/internal/reports", token));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }
}
