using System.Net;
using AuthPatterns.Tests.Layered;
using Microsoft.AspNetCore.Authorization;

namespace AuthPatterns.Tests.Authorization;

/// <summary>
/// The scope policy provider lets the authorization middleware combine an endpoint's policies once and reuse them, as
/// the default provider does; a custom provider that does not say so has them combined again on every request. Reuse
/// must not change an answer: the combined policy keeps every requirement of the endpoint.
/// </summary>
public sealed class ScopePolicyCachingTests
{
    private static async Task<HttpStatusCode> Get(WebApplication app, string path, string scopes)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("X-Alpha", "alice|" + scopes);
        return (await app.Client().SendAsync(request)).StatusCode;
    }

    [Fact]
    public async Task Combined_scope_policies_are_cached_per_endpoint_and_keep_every_requirement_on_reuse()
    {
        await using var app = await LayeredTestHost.StartAsync(a =>
        {
            a.MapGet("/orders", () => "ok").RequireScope("orders:read").RequireAnyScope("orders:write", "orders:admin");
            a.MapGet("/reports", () => "ok").RequireScope("reports:read");
        });

        Assert.True(app.Services.GetRequiredService<IAuthorizationPolicyProvider>().AllowsCachingPolicies);

        for (var round = 0; round < 3; round++)
        {
            Assert.Equal(HttpStatusCode.OK, await Get(app, "/orders", "orders:read orders:write"));
            Assert.Equal(HttpStatusCode.Forbidden, await Get(app, "/orders", "orders:read"));
            Assert.Equal(HttpStatusCode.Forbidden, await Get(app, "/orders", "orders:write"));
            Assert.Equal(HttpStatusCode.Forbidden, await Get(app, "/reports", "orders:read orders:write"));
            Assert.Equal(HttpStatusCode.OK, await Get(app, "/reports", "reports:read"));
        }
    }
}
