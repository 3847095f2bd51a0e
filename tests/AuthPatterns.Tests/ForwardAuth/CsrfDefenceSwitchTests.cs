using System.Net;

namespace AuthPatterns.Tests.ForwardAuth;

/// <summary><c>RequireCsrfDefence</c>: on by default; off, a cookie-authenticated unsafe request needs no proof.</summary>
[Collection(ForwardAuthCollection.Name)]
public sealed class CsrfDefenceSwitchTests
{
    private const string Cookie = "authelia_session=alice-0123456789abcdef";

    private static async Task<HttpStatusCode> PostWithoutProofAsync(bool? requireCsrfDefence)
    {
        await using var portal = await FakePortal.StartAsync();
        portal.Add("alice-0123456789abcdef", new PortalUser("alice", "Alice", "alice@example.com", ["admins"]));
        await using var app = await ForwardAuthTestApp.StartAsync(o =>
        {
            o.UseAuthelia(portal.BaseUrl);
            o.AllowedHosts.Add("app.example.com");
            o.MapGroup("admins", "orders:write");
            if (requireCsrfDefence is { } value)
            {
                o.RequireCsrfDefence = value;
            }
        });

        return (await app.SendAsync(HttpMethod.Post, "/app/orders", Cookie)).StatusCode;
    }

    [Fact]
    public async Task RequireCsrfDefence_is_on_by_default_and_refuses_an_unproven_cookie_post()
    {
        Assert.Equal(HttpStatusCode.Forbidden, await PostWithoutProofAsync(requireCsrfDefence: null));
    }

    [Fact]
    public async Task RequireCsrfDefence_off_accepts_an_unproven_cookie_post()
    {
        Assert.Equal(HttpStatusCode.OK, await PostWithoutProofAsync(requireCsrfDefence: false));
    }
}
