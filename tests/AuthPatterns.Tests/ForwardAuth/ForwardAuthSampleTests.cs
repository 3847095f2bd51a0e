using System.Net;
using LayeredApi;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace AuthPatterns.Tests.ForwardAuth;

/// <summary>The sample on a loopback socket, configured from the command line against a loopback portal.</summary>
[Collection(ForwardAuthCollection.Name)]
public sealed class ForwardAuthSampleTests : IAsyncLifetime
{
    private const string Cookie = "_oauth2_proxy=bob-session-0123456789";
    private FakePortal _portal = null!;
    private WebApplication _app = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _portal = await FakePortal.StartAsync();
        _portal.Add("bob-session-0123456789", new PortalUser("bob", "Bobby", "bob@example.com", ["staff"]));
        _app = SampleHost.Build(
        [
            "--urls", "http://127.0.0.1:0",
            "--environment", "Testing",
            "--Logging:LogLevel:Default=Warning",
            "--LayeredAuth:ForwardAuth:Preset=OAuth2Proxy",
            $"--LayeredAuth:ForwardAuth:VerifyUrl={_portal.OAuth2ProxyVerifyUrl}",
            $"--LayeredAuth:ForwardAuth:PortalUrl={_portal.BaseUrl}oauth2/start",
            "--LayeredAuth:ForwardAuth:AllowedHosts:0=127.0.0.1",
            "--LayeredAuth:ForwardAuth:GroupScopes:staff=profile:read orders:read",
        ]);
        await _app.StartAsync();
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        _client = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = new Uri(address) };
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _app.DisposeAsync();
        await _portal.DisposeAsync();
    }

    private Task<HttpResponseMessage> Send(HttpMethod method, string path, string? cookie, params (string, string)[] headers)
    {
        var request = new HttpRequestMessage(method, path);
        if (cookie is not null)
        {
            request.Headers.Add("Cookie", cookie);
        }

        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return _client.SendAsync(request);
    }

    [Fact]
    public async Task Dashboard_accepts_the_portal_cookie()
    {
        var response = await Send(HttpMethod.Get, "/app/dashboard", Cookie);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("Bobby", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Group_scopes_from_configuration_reach_scope_protected_endpoints()
    {
        var response = await Send(HttpMethod.Get, "/api/profile", Cookie);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("profile:read", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Valid_portal_cookie_sent_to_the_API_key_only_webhook_is_401(bool withCsrfHeader)
    {
        (string, string)[] headers = withCsrfHeader ? [("X-CSRF", "1")] : [];

        var response = await Send(HttpMethod.Post, "/webhooks/events", Cookie, headers);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(0, _portal.Calls);
    }

    [Fact]
    public async Task Browser_without_a_session_is_sent_to_the_portal()
    {
        var response = await Send(HttpMethod.Get, "/app/dashboard", cookie: null, ("Accept", "text/html"));

        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        Assert.StartsWith($"{_portal.BaseUrl}oauth2/start?rd=http%3A%2F%2F127.0.0.1%3A", response.Headers.Location!.AbsoluteUri, StringComparison.Ordinal);
    }
}
