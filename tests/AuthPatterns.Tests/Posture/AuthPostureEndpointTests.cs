using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AuthPatterns.Posture;

namespace AuthPatterns.Tests.Posture;

/// <summary><c>MapAuthPosture()</c>: the scope it requires, and the loopback rule only where it was turned on.</summary>
public sealed class AuthPostureEndpointTests
{
    private const string Path = AuthPostureEndpointOptions.DefaultPattern;

    private static Task<PostureTestApp> StartAsync(bool allowLoopback) => PostureTestApp.StartAsync(a =>
    {
        a.MapGet("/api/orders", () => "orders").RequireScope("orders:read");
        a.MapAuthPosture(Path, o => o.AllowLoopback = allowLoopback);
    });

    private static HttpRequestMessage Get(string path, string? remote = null, string? key = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (remote is not null)
        {
            request.Headers.Add("X-Test-Remote-IP", remote);
        }

        if (key is not null)
        {
            request.Headers.Add("X-API-Key", key);
        }

        return request;
    }

    [Fact]
    public async Task Posture_endpoint_without_a_credential_is_401()
    {
        await using var app = await StartAsync(allowLoopback: false);

        var response = await app.Client.SendAsync(Get(Path));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.DoesNotContain("findings", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Posture_endpoint_with_a_key_lacking_the_admin_scope_is_403()
    {
        await using var app = await StartAsync(allowLoopback: false);
        var key = await app.CreateKeyAsync("orders:read");

        var response = await app.Client.SendAsync(Get(Path, key: key));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.DoesNotContain("findings", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Posture_endpoint_with_the_admin_scope_is_200_with_the_report_and_no_secret()
    {
        await using var app = await StartAsync(allowLoopback: false);
        var key = await app.CreateKeyAsync(AuthPostureEndpointOptions.DefaultScope);

        var response = await app.Client.SendAsync(Get(Path, key: key));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        var body = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain(key[(key.LastIndexOf('_') + 1)..], body, StringComparison.Ordinal);
        Assert.DoesNotContain("argon2id", body, StringComparison.Ordinal);
        var json = JsonDocument.Parse(body).RootElement;
        Assert.Contains(json.GetProperty("endpoints").EnumerateArray(), e => e.GetProperty("route").GetString() == "/api/orders");
        var report = JsonSerializer.Deserialize<AuthPostureReport>(body, AuthPostureReport.JsonOptions)!;
        Assert.Contains(report.Findings, f => f.Id == AuthPostureFindingIds.ScopeGrantedNowhere && f.Subject == "scope orders:read");
        Assert.Contains("\"severity\":\"warning\"", body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    public async Task Posture_endpoint_answers_a_loopback_caller_without_credential_when_enabled(string loopback)
    {
        await using var app = await StartAsync(allowLoopback: true);

        var response = await app.Client.SendAsync(Get(Path, remote: loopback));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.NotNull(await response.Content.ReadFromJsonAsync<AuthPostureReport>(AuthPostureReport.JsonOptions));
    }

    [Fact]
    public async Task Posture_endpoint_refuses_a_loopback_caller_without_credential_when_not_enabled()
    {
        await using var app = await StartAsync(allowLoopback: false);

        var response = await app.Client.SendAsync(Get(Path, remote: "127.0.0.1"));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Posture_endpoint_does_not_take_a_spoofed_X_Forwarded_For_as_loopback()
    {
        await using var app = await StartAsync(allowLoopback: true);
        var request = Get(Path, remote: "203.0.113.7");
        request.Headers.Add("X-Forwarded-For", "127.0.0.1");

        var response = await app.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Theory]
    [InlineData("X-Forwarded-For", "203.0.113.7")]
    [InlineData("Forwarded", "for=203.0.113.7")]
    [InlineData("X-Real-IP", "203.0.113.7")]
    [InlineData("X-Forwarded-Proto", "https")]
    [InlineData("X-Original-For", "127.0.0.1:51234")]
    public async Task Posture_endpoint_does_not_take_a_request_through_a_local_reverse_proxy_as_loopback(string header, string value)
    {
        await using var app = await StartAsync(allowLoopback: true);
        var request = Get(Path, remote: "127.0.0.1");
        request.Headers.TryAddWithoutValidation(header, value);

        var response = await app.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.DoesNotContain("findings", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Posture_loopback_rule_opens_no_other_endpoint()
    {
        await using var app = await StartAsync(allowLoopback: true);

        var response = await app.Client.SendAsync(Get("/api/orders", remote: "127.0.0.1"));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Posture_endpoint_requires_the_configured_scope()
    {
        await using var app = await PostureTestApp.StartAsync(a => a.MapAuthPosture("/posture", o => o.Scope = "ops:read"));
        var admin = await app.CreateKeyAsync(AuthPostureEndpointOptions.DefaultScope);
        var ops = await app.CreateKeyAsync("ops:read");

        Assert.Equal(HttpStatusCode.Forbidden, (await app.Client.SendAsync(Get("/posture", key: admin))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await app.Client.SendAsync(Get("/posture", key: ops))).StatusCode);
    }

    [Theory]
    [InlineData("")]
    [InlineData("two scopes")]
    [InlineData("quo\"te")]
    public async Task Posture_endpoint_with_an_invalid_scope_fails_when_mapped_naming_the_option(string scope)
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => PostureTestApp.StartAsync(a => a.MapAuthPosture("/posture", o => o.Scope = scope)));

        Assert.Contains("MapAuthPosture: Scope", error.Message, StringComparison.Ordinal);
    }
}
