using System.Net;
using AuthPatterns.ApiKeys;
using AuthPatterns.Tests.ApiKeys;
using AuthPatterns.Tests.ForwardAuth;
using FsCheck;
using FsCheck.Fluent;
using Microsoft.AspNetCore.TestHost;

namespace AuthPatterns.Tests.Fuzz;

/// <summary>Properties of the fixed behaviour of ambiguous credentials, exposure events and hostile Host headers.</summary>
[Collection(ForwardAuthCollection.Name)]
public sealed class AmbiguityFuzzTests
{
    private static readonly Gen<string> Garbage = FuzzGen.Mix(Gen.Constant("ak_live_AAAAAAAAAAAA_x"), validWeight: 1, mutatedWeight: 5, randomWeight: 4)
        .Where(v => v.Length > 0 && v.All(c => c is > ' ' and <= '~'));

    [Fact]
    public async Task Two_authorization_headers_of_different_schemes_are_always_400_invalid_request()
    {
        await using var app = await ApiKeyTestApp.StartAsync();
        var created = await app.CreateKeyAsync();
        var first = Gen.Elements("ApiKey " + created.Key, "Bearer alice|profile:read");
        var second = from scheme in Gen.Elements("Bearer ", "Basic ", "ApiKey ") from value in Garbage select scheme + value;

        foreach (var (a, b) in FuzzRun.Sample(first.Zip(second).Where(t => t.Item1.Split(' ')[0] != t.Item2.Split(' ')[0]), 500))
        {
            var context = await app.App.GetTestServer().SendAsync(c =>
            {
                c.Request.Path = "/me";
                c.Request.Headers.Authorization = new[] { a, b };
            });
            Assert.True(context.Response.StatusCode == 400, $"{context.Response.StatusCode} for [{a}] [{b}]");
        }
    }

    [Fact]
    public async Task Valid_api_key_header_plus_any_authorization_api_key_is_always_400_invalid_request()
    {
        await using var app = await ApiKeyTestApp.StartAsync();
        var created = await app.CreateKeyAsync();

        foreach (var garbage in FuzzRun.Sample(Garbage, 500))
        {
            var context = await app.App.GetTestServer().SendAsync(c =>
            {
                c.Request.Path = "/me";
                c.Request.Headers["X-API-Key"] = created.Key;
                c.Request.Headers.Authorization = "ApiKey " + garbage;
            });
            Assert.True(context.Response.StatusCode == 400, $"{context.Response.StatusCode} for ApiKey {garbage}");
        }
    }

    [Fact]
    public async Task Query_value_raises_an_exposure_event_only_when_it_is_a_well_formed_key()
    {
        await using var app = await ApiKeyTestApp.StartAsync();
        var created = await app.CreateKeyAsync();
        var value = FuzzGen.Mix(Gen.Constant(created.Key), validWeight: 1, mutatedWeight: 8, randomWeight: 1);
        var input = from name in Gen.Elements("utm", "api_key", "q") from v in value select (name, v);

        foreach (var (name, v) in FuzzRun.Sample(input, 1_000))
        {
            var before = app.Exposures.Count;
            await app.App.GetTestServer().SendAsync(c =>
            {
                c.Request.Path = "/ping";
                c.Request.QueryString = new Microsoft.AspNetCore.Http.QueryString("?" + name + "=" + Uri.EscapeDataString(v));
            });
            var exposed = app.Exposures.Count > before;
            Assert.True(exposed == ApiKeyFormat.IsWellFormed(v), $"exposure {exposed} for {name}={v}");
        }
    }

    [Fact]
    public async Task Verify_mode_host_that_is_not_a_valid_idn_name_is_never_a_500()
    {
        await using var portal = await FakePortal.StartAsync();
        portal.Add("valid-session", new PortalUser("alice", "Alice", "alice@example.com", ["admins"]));
        await using var app = await ForwardAuthTestApp.StartAsync(o =>
        {
            o.UseAuthelia(portal.BaseUrl);
            o.AllowedHosts.Add("app.example.com");
        });
        var host = FuzzGen.Mix(Gen.Elements("xn--a.app.example.com", "xn--.app.example.com", "xn--bcher-kva.app.example.com"), validWeight: 5, mutatedWeight: 5, randomWeight: 0)
            .Where(h => h.All(c => c is > ' ' and <= '~'));

        foreach (var h in FuzzRun.Sample(host, 200))
        {
            var context = await app.App.GetTestServer().SendAsync(c =>
            {
                c.Request.Path = "/app/dashboard";
                c.Request.Headers.Host = h;
                c.Request.Headers.Cookie = "authelia_session=valid-session";
            });
            Assert.True(context.Response.StatusCode is 400 or 401 or 403, $"{context.Response.StatusCode} for Host: {h}");
        }
    }
}
