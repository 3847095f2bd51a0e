using System.Net;
using AuthPatterns.ForwardAuth;

namespace AuthPatterns.Tests.ForwardAuth;

[Collection(ForwardAuthCollection.Name)]
public sealed class ReturnUrlTests
{
    private static ForwardAuthAuthenticationOptions Options()
    {
        var options = new ForwardAuthAuthenticationOptions { PortalUrl = new Uri("https://auth.example.com/") };
        options.AllowedHosts.Add("app.example.com");
        options.AllowedHosts.Add("*.apps.example.com");
        return options;
    }

    private static HttpRequest Request(string host, string path, string query = "", string scheme = "https")
    {
        var context = new DefaultHttpContext();
        context.Request.Scheme = scheme;
        context.Request.Host = new HostString(host);
        context.Request.Path = new PathString(path);
        context.Request.QueryString = new QueryString(query);
        return context.Request;
    }

    [Theory]
    [InlineData("app.example.com", "/app/dashboard", "?a=1", "https://app.example.com/app/dashboard?a=1")]
    [InlineData("APP.example.com", "/x", "", "https://app.example.com/x")]
    [InlineData("app.example.com:8443", "/x", "", "https://app.example.com:8443/x")]
    [InlineData("orders.apps.example.com", "/x", "", "https://orders.apps.example.com/x")]
    [InlineData("app.example.com", "//evil.com/x", "", "https://app.example.com//evil.com/x")]
    [InlineData("app.example.com", "/\\evil.com", "", "https://app.example.com/%5Cevil.com")]
    [InlineData("app.example.com", "/@evil.com", "", "https://app.example.com/@evil.com")]
    [InlineData("app.example.com", "/x", "?next=https://evil.com", "https://app.example.com/x?next=https://evil.com")]
    public void Return_url_is_built_from_the_request_and_stays_on_an_allowed_host(string host, string path, string query, string expected)
    {
        Assert.True(ForwardAuthReturnUrl.TryBuildReturnUrl(Request(host, path, query), Options(), out var url, out _));
        Assert.Equal(expected, url);

        // The login redirect built from the same request goes to the portal and hands it exactly this URL in rd.
        Assert.True(ForwardAuthReturnUrl.TryBuildLoginRedirect(Request(host, path, query), Options(), out var location, out _));
        var redirect = new Uri(location);
        Assert.Equal("auth.example.com", redirect.Host);
        Assert.Equal(url, Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(redirect.Query)["rd"].ToString());
    }

    [Theory]
    [InlineData("evil.com")]
    [InlineData("app.example.com.evil.com")]
    [InlineData("evilapp.example.com")]
    [InlineData("apps.example.com")]
    [InlineData("example.com")]
    [InlineData("app.example.com@evil.com")]
    [InlineData("evil.com#app.example.com")]
    [InlineData("evil.com\\app.example.com")]
    [InlineData("")]
    public void Request_on_a_host_not_allowed_is_never_redirected(string host)
    {
        Assert.False(ForwardAuthReturnUrl.TryBuildLoginRedirect(Request(host, "/app"), Options(), out var location, out _));
        Assert.Equal(string.Empty, location);
    }

    [Fact]
    public void Non_http_scheme_is_never_redirected()
    {
        Assert.False(ForwardAuthReturnUrl.TryBuildReturnUrl(Request("app.example.com", "/x", scheme: "javascript"), Options(), out _, out _));
    }

    [Fact]
    public void Portal_url_with_a_query_gets_rd_appended()
    {
        var options = Options();
        options.PortalUrl = new Uri("https://auth.example.com/oauth2/start?prompt=login");
        Assert.True(ForwardAuthReturnUrl.TryBuildLoginRedirect(Request("app.example.com", "/a b"), options, out var location, out _));
        Assert.Equal("https://auth.example.com/oauth2/start?prompt=login&rd=https%3A%2F%2Fapp.example.com%2Fa%2520b", location);
    }

    [Theory]
    [InlineData("evil.com", null, "/app/dashboard")]
    [InlineData(null, "evil.com", "/app/dashboard")]
    [InlineData(null, null, "//evil.com/app/dashboard")]
    [InlineData(null, null, "/%2F%2Fevil.com")]
    public async Task Hostile_requests_never_get_a_redirect_off_the_allowed_hosts(string? host, string? forwardedHost, string path)
    {
        await using var portal = await FakePortal.StartAsync();
        await using var app = await ForwardAuthTestApp.StartAsync(o =>
        {
            o.UseAuthelia(portal.BaseUrl);
            o.AllowedHosts.Add("app.example.com");
        });
        var headers = new List<(string, string)>();
        if (host is not null)
        {
            headers.Add(("X-Test-Host", host));
        }

        if (forwardedHost is not null)
        {
            headers.Add(("X-Forwarded-Host", forwardedHost));
        }

        var response = await app.GetAsync(path, accept: "text/html", headers: [.. headers]);

        if (host is not null)
        {
            // The Host header itself is hostile: no redirect at all, a plain 401.
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Null(response.Headers.Location);
            Assert.True(app.Logs.Any(4011));
            return;
        }

        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        var location = response.Headers.Location!;
        Assert.Equal(portal.BaseUrl.Authority, location.Authority);
        var rd = new Uri(Uri.UnescapeDataString(location.Query[(location.Query.IndexOf("rd=", StringComparison.Ordinal) + 3)..]));
        Assert.Equal("app.example.com", rd.Host);
        Assert.Equal("https", rd.Scheme);
    }
}
