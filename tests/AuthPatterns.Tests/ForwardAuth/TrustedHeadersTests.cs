using System.Net;
using System.Text.Json;
using AuthPatterns.ForwardAuth;
using Microsoft.Extensions.Options;

namespace AuthPatterns.Tests.ForwardAuth;

[Collection(ForwardAuthCollection.Name)]
public sealed class TrustedHeadersTests
{
    private static Task<ForwardAuthTestApp> Start(Action<ForwardAuthAuthenticationOptions>? more = null) =>
        ForwardAuthTestApp.StartAsync(o =>
        {
            o.Mode = ForwardAuthMode.TrustedHeaders;
            o.TrustedProxies.Add("10.0.0.0/8");
            o.TrustedProxies.Add("fd00::/8");
            o.TrustedHeadersSecret = Secret;
            o.MapGroup("admins", "orders:write");
            more?.Invoke(o);
        });

    internal const string Secret = "proxy-proof-5f0c1e7a9b2d4c6e8f1a3b5c7d9e0f2a";

    private static (string, string)[] Identity(string remote, string user = "alice") =>
    [
        ("X-Test-Remote-IP", remote),
        (ForwardAuthAuthenticationDefaults.ProofHeaderName, Secret),
        ("Remote-User", user),
        ("Remote-Groups", "admins, dev"),
        ("Remote-Email", "alice@example.com"),
        ("Remote-Name", "Alice Liddell"),
    ];

    [Theory]
    [InlineData("10.1.2.3")]
    [InlineData("::ffff:10.1.2.3")]
    [InlineData("fd00::17")]
    public async Task Identity_headers_from_a_trusted_proxy_sign_the_user_in(string remote)
    {
        await using var app = await Start();

        var response = await app.GetAsync("/app/dashboard", headers: Identity(remote));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("alice", body.GetProperty("sub").GetString());
        Assert.Equal("Alice Liddell", body.GetProperty("name").GetString());
        Assert.Equal(["admins", "dev"], body.GetProperty("groups").EnumerateArray().Select(e => e.GetString()!).ToArray());
        Assert.Equal(["orders:write"], body.GetProperty("scopes").EnumerateArray().Select(e => e.GetString()!).ToArray());
    }

    [Theory]
    [InlineData("203.0.113.9")]
    [InlineData("11.0.0.1")]
    [InlineData("::ffff:203.0.113.9")]
    [InlineData("127.0.0.1")]
    public async Task Spoofed_Remote_User_from_an_untrusted_address_is_ignored_stripped_and_logged(string remote)
    {
        await using var app = await Start();

        var protectedResponse = await app.GetAsync("/app/dashboard", headers: Identity(remote, "admin"));
        Assert.Equal(HttpStatusCode.Unauthorized, protectedResponse.StatusCode);

        // Not even an anonymous endpoint sees the forged header.
        var echo = await app.GetAsync("/public/echo", headers: Identity(remote, "admin"));
        var body = JsonDocument.Parse(await echo.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(string.Empty, body.GetProperty("remoteUser").GetString());
        Assert.False(body.GetProperty("authenticated").GetBoolean());

        Assert.Contains(app.Logs.Entries, e => e.EventId == 4007 && e.Message.Contains(remote.Replace("::ffff:", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal));
    }

    [Fact]
    public async Task Two_user_headers_are_no_identity()
    {
        await using var app = await Start();

        var response = await app.GetAsync("/app/dashboard", headers: [.. Identity("10.0.0.2"), ("Remote-User", "admin")]);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Unsafe_request_from_a_trusted_proxy_still_needs_the_CSRF_defence()
    {
        await using var app = await Start();

        var refused = await app.SendAsync(HttpMethod.Post, "/app/orders", headers: Identity("10.0.0.2"));
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);

        var accepted = await app.SendAsync(HttpMethod.Post, "/app/orders", headers: [.. Identity("10.0.0.2"), ("X-CSRF", "1")]);
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
    }

    [Theory]
    [InlineData(null, "TrustedProxies")]
    [InlineData("0.0.0.0/0", "trusts every address")]
    [InlineData("::/0", "trusts every address")]
    [InlineData("10.0.0.0/33", "not networks in CIDR notation")]
    [InlineData("proxy.internal", "not networks in CIDR notation")]
    public async Task Trusted_headers_without_a_proper_trusted_network_fail_at_startup(string? network, string expected)
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => ForwardAuthTestApp.StartAsync(o =>
        {
            o.Mode = ForwardAuthMode.TrustedHeaders;
            o.TrustedHeadersSecret = Secret;
            if (network is not null)
            {
                o.TrustedProxies.Add(network);
            }
        }));

        var message = string.Join(" ", error.Failures);
        Assert.Contains("LayeredAuth:ForwardAuth:TrustedProxies", message, StringComparison.Ordinal);
        Assert.Contains(expected, message, StringComparison.Ordinal);
    }
}
