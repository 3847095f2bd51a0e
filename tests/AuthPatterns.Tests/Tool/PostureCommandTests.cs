using System.CommandLine;
using System.Text.Json;
using AuthPatterns.ApiKeys;
using AuthPatterns.Posture;
using AuthPatterns.Tests.Posture;
using AuthPatterns.Tool;
using Microsoft.AspNetCore.TestHost;

namespace AuthPatterns.Tests.Tool;

/// <summary><c>authpatterns posture</c> against an in-process app: the table, JSON, exit codes and refusals.</summary>
public sealed class PostureCommandTests
{
    private const string Url = "http://localhost:5080";

    // One high finding (AP001 on GET /api/export) and one warning (AP007 on a key without expiry) once a key is added.
    private static Task<PostureTestApp> StartAsync() => PostureTestApp.StartAsync(a =>
    {
        a.MapGet("/api/orders", () => "").RequireScope("orders:read");
        a.MapGet("/api/export", () => "");
        a.MapAuthPosture();
    });

    private static async Task<(int Code, string Output, string Error)> RunAsync(PostureTestApp? app, params string[] args)
    {
        var root = new RootCommand { PostureCommand.Create(app is null ? null : () => app.App.GetTestServer().CreateHandler()) };
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task Posture_prints_the_endpoints_and_findings_as_a_table_and_exits_0()
    {
        await using var app = await StartAsync();
        var key = await app.CreateKeyAsync(AuthPostureEndpointOptions.DefaultScope);

        var (code, output, error) = await RunAsync(app, "posture", "--url", Url, "--api-key", key);

        Assert.Equal(0, code);
        Assert.Empty(error);
        Assert.Contains("Endpoints (3)", output, StringComparison.Ordinal);
        Assert.Matches(@"GET\s+/api/orders\s+ApiKey\s+orders:read", output);
        Assert.Matches(@"GET\s+/api/export\s+unprotected", output);
        Assert.Contains("Findings: 1 high,", output, StringComparison.Ordinal);
        Assert.Matches(@"high\s+AP001\s+GET /api/export", output);
        Assert.DoesNotContain(key[(key.LastIndexOf('_') + 1)..], output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Posture_json_prints_the_report_model()
    {
        await using var app = await StartAsync();
        var key = await app.CreateKeyAsync(AuthPostureEndpointOptions.DefaultScope);

        var (code, output, _) = await RunAsync(app, "posture", "--url", Url, "--api-key", key, "--json");

        Assert.Equal(0, code);
        var report = JsonSerializer.Deserialize<AuthPostureReport>(output, AuthPostureReport.JsonOptions)!;
        Assert.Equal(3, report.Endpoints.Count);
        Assert.Contains(report.Findings, f => f.Id == AuthPostureFindingIds.UnprotectedEndpoint && f.Severity == AuthPostureSeverity.High);
        Assert.Equal("high", JsonDocument.Parse(output).RootElement.GetProperty("findings")[0].GetProperty("severity").GetString());
    }

    [Theory]
    [InlineData("high", 1)]
    [InlineData("warning", 1)]
    [InlineData("info", 1)]
    public async Task Posture_fail_on_exits_1_when_findings_of_that_severity_or_worse_exist(string severity, int expected)
    {
        await using var app = await StartAsync();
        var key = await app.CreateKeyAsync(AuthPostureEndpointOptions.DefaultScope);

        var (code, _, _) = await RunAsync(app, "posture", "--url", Url, "--api-key", key, "--fail-on", severity);

        Assert.Equal(expected, code);
    }

    [Fact]
    public async Task Posture_fail_on_high_exits_0_when_the_worst_finding_is_a_warning()
    {
        await using var app = await PostureTestApp.StartAsync(a =>
        {
            a.MapGet("/api/orders", () => "").RequireScope("orders:read");
            a.MapAuthPosture();
        });
        var key = await app.CreateKeyAsync(AuthPostureEndpointOptions.DefaultScope, "orders:read");
        await app.AddKeyAsync("AAAAAAAAAAA1", scopes: ["orders:read"]);

        var (high, _, _) = await RunAsync(app, "posture", "--url", Url, "--api-key", key, "--fail-on", "high");
        var (warning, _, _) = await RunAsync(app, "posture", "--url", Url, "--api-key", key, "--fail-on", "warning");

        Assert.Equal(0, high);
        Assert.Equal(1, warning);
    }

    [Fact]
    public async Task Posture_without_a_credential_exits_2_with_a_clear_401_error()
    {
        await using var app = await StartAsync();

        var (code, output, error) = await RunAsync(app, "posture", "--url", Url);

        Assert.Equal(2, code);
        Assert.Empty(output);
        Assert.Contains("401 Unauthorized", error, StringComparison.Ordinal);
        Assert.Contains("--api-key or --token", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Posture_with_a_key_lacking_the_scope_exits_2_with_a_clear_403_error_and_no_secret()
    {
        await using var app = await StartAsync();
        var key = await app.CreateKeyAsync("orders:read");

        var (code, output, error) = await RunAsync(app, "posture", "--url", Url, "--api-key", key);

        Assert.Equal(2, code);
        Assert.Empty(output);
        Assert.Contains("403 Forbidden", error, StringComparison.Ordinal);
        Assert.DoesNotContain(key, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Posture_against_an_app_that_is_not_there_exits_2()
    {
        var (code, output, error) = await RunAsync(null, "posture", "--url", "http://127.0.0.1:1");

        Assert.Equal(2, code);
        Assert.Empty(output);
        Assert.StartsWith("Could not reach http://127.0.0.1:1/.well-known/authpatterns/posture", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Posture_against_a_path_that_is_not_the_report_exits_2()
    {
        await using var app = await StartAsync();
        var key = await app.CreateKeyAsync(AuthPostureEndpointOptions.DefaultScope);

        var (code, _, error) = await RunAsync(app, "posture", "--url", Url + "/nothing-here", "--api-key", key);

        Assert.Equal(2, code);
        Assert.Contains("404", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://app.example.com")]
    [InlineData("http://10.0.0.5:8080")]
    public async Task Posture_refuses_to_send_a_credential_over_plain_http_to_another_host(string url)
    {
        var (code, _, error) = await RunAsync(null, "posture", "--url", url, "--api-key", "ak_live_x");

        Assert.Equal(2, code);
        Assert.StartsWith("Refusing to send a credential", error, StringComparison.Ordinal);
        Assert.DoesNotContain("ak_live_x", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("localhost:5080")]
    [InlineData("ftp://localhost/")]
    [InlineData("http://user:pass@localhost/")]
    public async Task Posture_with_a_bad_url_exits_2(string url)
    {
        var (code, _, error) = await RunAsync(null, "posture", "--url", url);

        Assert.Equal(2, code);
        Assert.StartsWith("--url", error, StringComparison.Ordinal);
        Assert.DoesNotContain("pass@", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Posture_with_both_a_key_and_a_token_exits_2()
    {
        var (code, _, error) = await RunAsync(null, "posture", "--url", Url, "--api-key", "k", "--token", "t");

        Assert.Equal(2, code);
        Assert.Contains("exclusive", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Posture_table_escapes_terminal_control_characters_from_the_app()
    {
        await using var app = await StartAsync();
        var key = await app.CreateKeyAsync(AuthPostureEndpointOptions.DefaultScope);
        await app.Store.CreateAsync(new ApiKeyRecord
        {
            Id = "AAAAAAAAAAA9",
            OwnerId = "evil\u001b]52;c;cGF5bG9hZA==\u0007\r\u202e",
            Scopes = ["orders:read"],
            CreatedAt = PostureTestApp.Now,
            Hash = "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
        });

        var (code, output, _) = await RunAsync(app, "posture", "--url", Url, "--api-key", key);

        Assert.Equal(0, code);
        Assert.DoesNotContain('\u001b', output);
        Assert.DoesNotContain('\u0007', output);
        Assert.DoesNotContain('\u202e', output);
        Assert.Contains("evil\\u001b]52", output, StringComparison.Ordinal);
    }
}
