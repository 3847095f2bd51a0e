using System.Net;
using System.Net.Sockets;
using Microsoft.Playwright;

namespace AuthPatterns.EndToEndTests.OAuth2;

/// <summary>
/// The forward-auth cookie on one machine: samples/AuthServer answers Authelia's forward-auth contract from its own
/// sign-in session; nginx (<c>auth_request</c>) and Caddy (<c>forward_auth</c>) ask it and pass <c>Remote-*</c> on to
/// samples/LayeredApi in trusted-headers mode; another instance of the API asks it itself (verify mode).
/// </summary>
[Collection(OAuth2Collection.Name)]
public sealed class ForwardAuthProxyTests(OAuth2Stack stack)
{
    public static TheoryData<string> Proxies => ["nginx", "caddy"];

    [Theory]
    [MemberData(nameof(Proxies))]
    public async Task A_signed_in_browser_session_reaches_the_dashboard_through_the_proxy(string proxy)
    {
        var through = stack.Proxy(proxy).Address;
        await using var context = await stack.NewContextAsync();
        var page = await context.NewPageAsync();

        // Not signed in: the proxy sends the browser to the sign-in page, which comes back through the proxy.
        await page.GotoAsync(new Uri(through, "/app/dashboard").AbsoluteUri);
        Assert.True(page.Url.StartsWith(new Uri(stack.Issuer, "/account/signin?rd=").AbsoluteUri, StringComparison.Ordinal), $"{page.Url}\n{stack.Logs()}");
        await OAuth2Stack.SignInAsync(page);
        Assert.True(page.Url == new Uri(through, "/app/dashboard").AbsoluteUri, $"{page.Url}\n{stack.Logs()}");
        Assert.Contains($"\"welcome\":\"{OAuth2Stack.DemoName}\"", await page.ContentAsync(), StringComparison.Ordinal);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(EndToEndEnvironment.OutputDirectory, $"dashboard-{proxy}.png") });
    }

    [Theory]
    [MemberData(nameof(Proxies))]
    public async Task A_Remote_User_header_sent_through_the_proxy_does_not_become_that_user(string proxy)
    {
        var through = stack.Proxy(proxy).Address;
        var forged = new Dictionary<string, string>
        {
            ["Remote-User"] = "admin",
            ["Remote-Groups"] = "staff,admins",
            ["Remote-Name"] = "Administrator",
            ["X-Forward-Auth-Proof"] = "guessed",
            ["Accept"] = "application/json",
        };

        // Signed in as demo: still demo.
        await using var signedIn = await stack.SignedInContextAsync();
        var asDemo = await signedIn.APIRequest.GetAsync(new Uri(through, "/app/dashboard").AbsoluteUri, new() { Headers = forged, MaxRedirects = 0 });
        Assert.Equal(200, asDemo.Status);
        Assert.Contains($"\"welcome\":\"{OAuth2Stack.DemoName}\"", await asDemo.TextAsync(), StringComparison.Ordinal);

        // Not signed in: the forged headers open nothing, on the forward-auth route or on the others.
        await using var anonymous = await stack.NewContextAsync();
        var dashboard = await anonymous.APIRequest.GetAsync(new Uri(through, "/app/dashboard").AbsoluteUri, new() { Headers = forged, MaxRedirects = 0 });
        Assert.Equal(401, dashboard.Status);
        var profile = await anonymous.APIRequest.GetAsync(new Uri(through, "/api/profile").AbsoluteUri, new() { Headers = forged, MaxRedirects = 0 });
        Assert.Equal(401, profile.Status);
        var ping = await anonymous.APIRequest.GetAsync(new Uri(through, "/api/ping").AbsoluteUri, new() { Headers = forged, MaxRedirects = 0 });
        Assert.Equal(401, ping.Status);
    }

    [Fact]
    public async Task A_direct_request_with_Remote_User_from_an_untrusted_address_is_ignored()
    {
        // The proxies reach the API from 127.0.0.1, the only trusted address; this client comes from 127.0.0.2.
        using var client = new HttpClient(new SocketsHttpHandler
        {
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                socket.Bind(new IPEndPoint(IPAddress.Parse("127.0.0.2"), 0));
                await socket.ConnectAsync(IPAddress.Loopback, context.DnsEndPoint.Port, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            },
        });
        foreach (var path in (string[])["/app/dashboard", "/api/profile"])
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(stack.HeadersApi.Address, path));
            request.Headers.Add("Remote-User", OAuth2Stack.DemoUser);
            request.Headers.Add("Remote-Groups", "staff");
            request.Headers.Add("X-Forward-Auth-Proof", OAuth2Stack.ProofSecret);
            using var response = await client.SendAsync(request);
            Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{path}: {response.StatusCode}\n{stack.Logs()}");
        }
    }

    [Fact]
    public async Task The_API_in_verify_mode_asks_the_authorization_server_about_the_session_cookie()
    {
        var dashboard = new Uri(stack.VerifyApi.Address, "/app/dashboard").AbsoluteUri;
        await using var signedIn = await stack.SignedInContextAsync();
        var page = await signedIn.NewPageAsync();
        await page.GotoAsync(dashboard);
        Assert.Contains($"\"welcome\":\"{OAuth2Stack.DemoName}\"", await page.ContentAsync(), StringComparison.Ordinal);
        var profile = await signedIn.APIRequest.GetAsync(new Uri(stack.VerifyApi.Address, "/api/profile").AbsoluteUri);
        Assert.Equal(200, profile.Status);

        await using var anonymous = await stack.NewContextAsync();
        var script = await anonymous.APIRequest.GetAsync(dashboard, new() { MaxRedirects = 0, Headers = new Dictionary<string, string> { ["Accept"] = "application/json", ["Remote-User"] = "admin" } });
        Assert.Equal(401, script.Status);
        var browser = await anonymous.APIRequest.GetAsync(dashboard, new() { MaxRedirects = 0, Headers = new Dictionary<string, string> { ["Accept"] = "text/html" } });
        Assert.Equal(302, browser.Status);
        Assert.StartsWith(new Uri(stack.Issuer, "/account/signin?rd=").AbsoluteUri, browser.Headers["location"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_forward_auth_endpoint_answers_Authelias_contract()
    {
        var endpoint = new Uri(stack.Issuer, "/api/authz/forward-auth");
        await using var signedIn = await stack.SignedInContextAsync();
        var ok = await signedIn.APIRequest.GetAsync(endpoint.AbsoluteUri, new() { MaxRedirects = 0 });
        Assert.Equal(200, ok.Status);
        Assert.Equal(OAuth2Stack.DemoUser, ok.Headers["remote-user"]);
        Assert.Equal("staff", ok.Headers["remote-groups"]);
        Assert.Equal(OAuth2Stack.DemoName, ok.Headers["remote-name"]);
        Assert.Equal("demo@example.com", ok.Headers["remote-email"]);

        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false });
        using var script = await client.GetAsync(endpoint);
        Assert.Equal(HttpStatusCode.Unauthorized, script.StatusCode);

        // A browser is sent to sign in and back, but only to an allowed host: the forwarded host is the proxy's to set.
        foreach (var (host, expected) in new[] { ("localhost:8443", HttpStatusCode.Redirect), ("evil.example", HttpStatusCode.Unauthorized) })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, endpoint);
            request.Headers.Add("Accept", "text/html");
            request.Headers.Add("X-Forwarded-Method", "GET");
            request.Headers.Add("X-Forwarded-Proto", "https");
            request.Headers.Add("X-Forwarded-Host", host);
            request.Headers.Add("X-Forwarded-Uri", "/app/dashboard?tab=1");
            using var response = await client.SendAsync(request);
            Assert.Equal(expected, response.StatusCode);
            if (expected == HttpStatusCode.Redirect)
            {
                Assert.Equal(
                    new Uri(stack.Issuer, "/account/signin?rd=" + Uri.EscapeDataString($"https://{host}/app/dashboard?tab=1")).AbsoluteUri,
                    response.Headers.Location!.AbsoluteUri);
            }
        }
    }
}
