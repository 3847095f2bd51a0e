using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace AuthPatterns.Tests.OpenApi;

/// <summary>The sample in Development, with all three schemes on: its OpenAPI document and its Scalar reference.</summary>
public sealed class SampleOpenApiTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("ap-openapi-sample-").FullName;
    private readonly WebApplicationFactory<Program> _factory;

    public SampleOpenApiTests()
    {
        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(builder => builder
            .UseEnvironment("Development")
            .UseSetting("LayeredAuth:Jwt:DevelopmentKeyDirectory", _directory)
            .UseSetting("LayeredAuth:ApiKeys:ConnectionString", $"Data Source={Path.Combine(_directory, "keys.db")}")
            .UseSetting("LayeredAuth:ForwardAuth:Preset", "OAuth2Proxy")
            .UseSetting("LayeredAuth:ForwardAuth:VerifyUrl", "https://portal.example.com/oauth2/auth")
            .UseSetting("LayeredAuth:ForwardAuth:PortalUrl", "https://portal.example.com/oauth2/start")
            .UseSetting("LayeredAuth:ForwardAuth:AllowedHosts:0", "api.example.com"));
    }

    public void Dispose()
    {
        _factory.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    private static List<string> Requirements(JsonElement operation) =>
        operation.GetProperty("security").EnumerateArray()
            .SelectMany(r => r.EnumerateObject())
            .Select(p => p.Name + ": " + string.Join(' ', p.Value.EnumerateArray().Select(s => s.GetString())))
            .ToList();

    [Fact]
    public async Task The_sample_document_shows_the_three_schemes_and_each_operations_requirements()
    {
        var client = _factory.CreateClient();
        var document = JsonDocument.Parse(await client.GetStringAsync("/openapi/v1.json")).RootElement;

        var schemes = document.GetProperty("components").GetProperty("securitySchemes");
        Assert.Equal(["ApiKey", "Bearer", "ForwardAuth"], schemes.EnumerateObject().Select(p => p.Name).Order());
        Assert.Equal("X-API-Key", schemes.GetProperty("ApiKey").GetProperty("name").GetString());
        Assert.Equal("_oauth2_proxy", schemes.GetProperty("ForwardAuth").GetProperty("name").GetString());

        var paths = document.GetProperty("paths");
        Assert.Equal(
            ["ApiKey: profile:read", "Bearer: profile:read", "ForwardAuth: profile:read"],
            Requirements(paths.GetProperty("/api/profile").GetProperty("get")));
        Assert.Equal(["ApiKey: events:write"], Requirements(paths.GetProperty("/webhooks/events").GetProperty("post")));
        Assert.Equal(["Bearer: reports:read"], Requirements(paths.GetProperty("/internal/reports").GetProperty("get")));
        Assert.Contains("403", paths.GetProperty("/api/profile").GetProperty("get").GetProperty("responses").EnumerateObject().Select(p => p.Name));
        Assert.False(paths.GetProperty("/ping").GetProperty("get").TryGetProperty("security", out _));
    }

    [Fact]
    public async Task The_sample_serves_Scalar_in_Development()
    {
        var response = await _factory.CreateClient().GetAsync("/scalar/");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("text/html", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
    }
}

/// <summary>Outside Development the sample publishes neither the document nor Scalar.</summary>
public sealed class SampleOpenApiOutsideDevelopmentTests : IClassFixture<WebApplicationFactory<Program>>
{
    private readonly WebApplicationFactory<Program> _factory;

    public SampleOpenApiOutsideDevelopmentTests(WebApplicationFactory<Program> factory) =>
        _factory = factory.WithWebHostBuilder(b => b.UseEnvironment("Testing"));

    [Theory]
    [InlineData("/openapi/v1.json")]
    [InlineData("/scalar/")]
    public async Task The_document_and_Scalar_are_not_served(string path)
    {
        var response = await _factory.CreateClient().GetAsync(path);
        Assert.NotEqual(HttpStatusCode.OK, response.StatusCode);
    }
}
