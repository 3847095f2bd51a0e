using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc.Testing;

namespace AuthPatterns.Tests.Layered;

/// <summary>The sample's endpoint contract, which load comparisons and the docs rely on.</summary>
public sealed class SampleContractTests : IClassFixture<WebApplicationFactory<Program>>
{
    private readonly WebApplicationFactory<Program> _factory;

    public SampleContractTests(WebApplicationFactory<Program> factory) =>
        _factory = factory.WithWebHostBuilder(b => b.UseEnvironment("Testing"));

    [Fact]
    public async Task Ping_answers_pong_anonymously()
    {
        var response = await _factory.CreateClient().GetAsync("/ping");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("pong", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("GET", "/api/ping")]
    [InlineData("GET", "/api/profile")]
    [InlineData("POST", "/webhooks/events")]
    [InlineData("GET", "/internal/reports")]
    [InlineData("GET", "/tenants/acme/invoices")]
    public async Task Protected_endpoints_refuse_anonymous_callers_with_problem_details(string method, string path)
    {
        var response = await _factory.CreateClient().SendAsync(new HttpRequestMessage(new HttpMethod(method), path));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(401, problem.GetProperty("status").GetInt32());
        Assert.DoesNotContain("   at ", problem.ToString(), StringComparison.Ordinal);
    }
}
