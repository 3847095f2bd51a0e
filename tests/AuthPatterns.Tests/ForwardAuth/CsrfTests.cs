using System.Net;
using System.Text.Json;

namespace AuthPatterns.Tests.ForwardAuth;

[Collection(ForwardAuthCollection.Name)]
public sealed class CsrfTests : IAsyncLifetime
{
    private const string Cookie = "authelia_session=alice-0123456789abcdef";
    private FakePortal _portal = null!;
    private ForwardAuthTestApp _app = null!;

    public async Task InitializeAsync()
    {
        _portal = await FakePortal.StartAsync();
        _portal.Add("alice-0123456789abcdef", new PortalUser("alice", "Alice", "alice@example.com", ["admins"]));
        _app = await ForwardAuthTestApp.StartAsync(o =>
        {
            o.UseAuthelia(_portal.BaseUrl);
            o.AllowedHosts.Add("app.example.com");
            o.AllowedOrigins.Add("https://admin.example.com");
            o.MapGroup("admins", "orders:write");
        });
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _portal.DisposeAsync();
    }

    public static TheoryData<string, string, string> Refused => new()
    {
        { "POST", "/app/orders", "" },
        { "DELETE", "/app/orders/7", "" },
        { "PUT", "/app/orders/7", "" },
        { "PATCH", "/app/orders/7", "" },
        { "POST", "/app/orders", "X-CSRF: 0" },
        { "POST", "/app/orders", "Origin: https://evil.com" },
        { "POST", "/app/orders", "Origin: null" },
        { "POST", "/app/orders", "Origin: https://app.example.com.evil.com" },
        { "POST", "/app/orders", "Origin: https://app.example.com:8443" },
        { "POST", "/app/orders", "Sec-Fetch-Site: same-site" },
        { "POST", "/app/orders", "Sec-Fetch-Site: cross-site" },
    };

    [Fact]
    public async Task Log_forging_a_newline_in_the_path_of_a_refused_request_is_escaped_in_the_log_line()
    {
        var response = await _app.SendAsync(HttpMethod.Delete, "/app/orders/7%0AINFO-forged-line", Cookie);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var lines = _app.Logs.Entries.Select(e => e.Message).ToArray();
        Assert.Contains(lines, line => line.Contains("/app/orders/7\\u000AINFO-forged-line", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, line => line.Contains('\n', StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task Unsafe_cookie_request_without_a_CSRF_defence_is_refused_with_403_before_the_portal_is_asked(string method, string path, string header)
    {
        var response = await _app.SendAsync(new HttpMethod(method), path, Cookie, headers: Header(header));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("csrf_required", problem.GetProperty("error").GetString());
        Assert.Contains("X-CSRF: 1", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, _portal.Calls);
    }

    [Theory]
    [InlineData("X-CSRF: 1")]
    [InlineData("Origin: https://app.example.com")]
    [InlineData("Origin: https://APP.example.com")]
    [InlineData("Origin: https://admin.example.com")]
    [InlineData("Sec-Fetch-Site: same-origin")]
    public async Task Unsafe_cookie_request_with_a_CSRF_defence_is_served(string header)
    {
        var response = await _app.SendAsync(HttpMethod.Post, "/app/orders", Cookie, headers: Header(header));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Safe_methods_need_no_CSRF_defence()
    {
        Assert.Equal(HttpStatusCode.OK, (await _app.GetAsync("/app/dashboard", Cookie)).StatusCode);
    }

    [Fact]
    public async Task Anonymous_endpoint_runs_but_the_forged_request_is_not_authenticated()
    {
        var response = await _app.SendAsync(HttpMethod.Post, "/public/comments", Cookie, headers: Header("Origin: https://evil.com"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("authenticated").GetBoolean());
        Assert.True(_app.Logs.Any(4008));
    }

    private static (string, string)[] Header(string header)
    {
        if (header.Length == 0)
        {
            return [];
        }

        var colon = header.IndexOf(':', StringComparison.Ordinal);
        return [(header[..colon], header[(colon + 1)..].Trim())];
    }
}
