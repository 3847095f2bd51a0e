using System.Net;
using System.Net.Sockets;
using LayeredApi;

namespace AuthPatterns.IntegrationTests;

/// <summary>The sample served by Kestrel on a real loopback socket, as <c>dotnet run</c> serves it.</summary>
public sealed class SampleOverLoopbackTests : IAsyncLifetime
{
    private WebApplication? _app;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        var port = FreePort();
        _app = SampleHost.Build(["--urls", $"http://127.0.0.1:{port}", "--environment", "Testing"]);
        await _app.StartAsync();
        _client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }

    [Theory]
    [InlineData("/ping", "pong")]
    [InlineData("/healthz", "healthy")]
    public async Task Anonymous_endpoints_answer(string path, string expected)
    {
        var response = await _client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains(expected, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/api/ping")]
    [InlineData("/api/profile")]
    [InlineData("/internal/reports")]
    [InlineData("/tenants/acme/invoices")]
    public async Task Protected_endpoints_answer_401_problem_details_without_a_credential(string path)
    {
        var response = await _client.GetAsync(path);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
