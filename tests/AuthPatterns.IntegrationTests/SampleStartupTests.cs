using System.Net;
using System.Net.Sockets;
using LayeredApi;
using Microsoft.Extensions.Logging;

namespace AuthPatterns.IntegrationTests;

/// <summary>
/// The sample as <c>dotnet run</c> starts it (Development, embedded defaults: a SQLite file, the development issuer,
/// forward-auth off): no warnings, and on every start a guide to each endpoint and scheme; on later starts, that the demo
/// key exists and the command that makes another.
/// </summary>
public sealed class SampleStartupTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("authpatterns-sample-").FullName;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task Sample_starts_on_its_embedded_defaults_without_warnings_and_prints_how_to_call_each_scheme()
    {
        var (output, warnings) = await StartAndStopAsync();

        Assert.Empty(warnings);
        Assert.Contains("Demo key (made on this first start", output, StringComparison.Ordinal);
        Assert.Contains("-H \"X-API-Key: ak_test_", output, StringComparison.Ordinal);
        Assert.Contains("-H \"Authorization: Bearer ey", output, StringComparison.Ordinal);
        Assert.Contains("Portal cookies: off. Set LayeredAuth:ForwardAuth:VerifyUrl", output, StringComparison.Ordinal);
        var address = output.Split('\n').Select(l => l.Trim()).First(l => l.StartsWith("LayeredApi listens on ", StringComparison.Ordinal))["LayeredApi listens on ".Length..].Split(' ')[0].TrimEnd('.');
        Assert.Contains($"{address}/authpatterns/posture in the dashboard", output, StringComparison.Ordinal);
        Assert.Contains($"{address}/.well-known/authpatterns/posture", output, StringComparison.Ordinal);
        Assert.Contains($"dotnet run --project src/AuthPatterns.Tool -- posture --url {address}", output, StringComparison.Ordinal);
        Assert.Contains($"OpenAPI document: {address}/openapi/v1.json; try the API in Scalar: {address}/scalar", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sample_dashboard_answers_a_browser_that_is_not_signed_in_with_a_page_saying_how_to_sign_in()
    {
        Answer? browser = null, script = null;
        var (_, warnings) = await StartAndStopAsync(async address =>
        {
            using var client = new HttpClient { BaseAddress = new Uri(address) };
            using var html = new HttpRequestMessage(HttpMethod.Get, "/authpatterns/posture");
            html.Headers.TryAddWithoutValidation("Accept", "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8");
            browser = await Answer.ReadAsync(await client.SendAsync(html));
            script = await Answer.ReadAsync(await client.GetAsync(new Uri("/authpatterns/posture", UriKind.Relative)));
        });

        Assert.Empty(warnings);
        Assert.Equal(HttpStatusCode.Unauthorized, browser!.Status);
        Assert.Equal("text/html", browser.MediaType);
        Assert.Contains("<h1 id=\"sign-in-needed\">", browser.Body, StringComparison.Ordinal);
        Assert.Contains("dotnet run --project samples/AuthServer", browser.Body, StringComparison.Ordinal);
        Assert.Contains("Bearer", browser.Challenges);
        Assert.StartsWith("default-src 'none'", browser.ContentSecurityPolicy, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, script!.Status);
        Assert.Equal("application/problem+json", script.MediaType);
        Assert.Contains("Bearer", script.Challenges);
        Assert.DoesNotContain("sign-in-needed", script.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sample_on_a_key_store_of_the_earlier_shape_fails_at_startup_saying_how_to_upgrade_or_delete_it()
    {
        var file = Path.Combine(_directory, "keys.db");
        await AuthPatterns.Tests.ApiKeys.EarlierKeyStoreShape.CreateSqliteAsync($"Data Source={file};Pooling=False");

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => StartAndStopAsync());
        Assert.Contains("holds API keys in the shape of an earlier AuthPatterns version", error.Message, StringComparison.Ordinal);
        Assert.Contains("can be deleted instead", error.Message, StringComparison.Ordinal);
        Assert.Equal("demo-partner", await AuthPatterns.Tests.ApiKeys.EarlierKeyStoreShape.OwnerAsync($"Data Source={file};Pooling=False"));
    }

    [Theory]
    [InlineData("sqlite", "")]
    [InlineData("sqlite", " ")]
    [InlineData("postgres", null)]
    public void Sample_with_a_missing_or_empty_key_store_connection_fails_at_startup_naming_the_setting(string provider, string? connection)
    {
        string[] args = connection is null
            ? ["--environment", "Development", "--LayeredAuth:ApiKeys:Provider", provider]
            : ["--environment", "Development", "--LayeredAuth:ApiKeys:Provider", provider, "--LayeredAuth:ApiKeys:ConnectionString", connection];
        var error = Assert.Throws<InvalidOperationException>(() => SampleHost.Build(args, TextWriter.Null));
        Assert.StartsWith("LayeredAuth:ApiKeys:ConnectionString is", error.Message, StringComparison.Ordinal);
    }

    private async Task<(string Output, IReadOnlyList<string> Warnings)> StartAndStopAsync(Func<string, Task>? whileRunning = null)
    {
        var console = new StringWriter();
        var port = FreePort();
        await using var app = SampleHost.Build(
            [
                "--urls", $"http://127.0.0.1:{port}",
                "--environment", "Development",
                "--LayeredAuth:ApiKeys:ConnectionString", $"Data Source={Path.Combine(_directory, "keys.db")}",
                "--LayeredAuth:Jwt:DevelopmentKeyDirectory", Path.Combine(_directory, "signing-keys"),
            ],
            console);
        var warnings = new WarningCollector();
        app.Services.GetRequiredService<ILoggerFactory>().AddProvider(warnings);
        await app.StartAsync();
        if (whileRunning is not null)
        {
            await whileRunning($"http://127.0.0.1:{port}");
        }

        await app.StopAsync();
        return (console.ToString(), warnings.Messages);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private sealed record Answer(HttpStatusCode Status, string? MediaType, string Body, IReadOnlyList<string> Challenges, string? ContentSecurityPolicy)
    {
        public static async Task<Answer> ReadAsync(HttpResponseMessage response)
        {
            using (response)
            {
                return new Answer(
                    response.StatusCode,
                    response.Content.Headers.ContentType?.MediaType,
                    await response.Content.ReadAsStringAsync(),
                    [.. response.Headers.WwwAuthenticate.Select(h => h.Scheme)],
                    response.Headers.TryGetValues("Content-Security-Policy", out var csp) ? csp.Single() : null);
            }
        }
    }

    private sealed class WarningCollector : ILoggerProvider
    {
        private readonly List<string> _messages = [];

        public IReadOnlyList<string> Messages
        {
            get
            {
                lock (_messages)
                {
                    return [.. _messages];
                }
            }
        }

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

        public void Dispose()
        {
        }

        private sealed class Logger(WarningCollector owner, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (IsEnabled(logLevel))
                {
                    lock (owner._messages)
                    {
                        owner._messages.Add($"{category} {eventId.Id}: {formatter(state, exception)}");
                    }
                }
            }
        }
    }
}
