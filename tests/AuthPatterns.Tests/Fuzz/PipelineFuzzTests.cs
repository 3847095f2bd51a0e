using System.Security.Cryptography;
using AuthPatterns.Tests.ApiKeys;
using AuthPatterns.Tests.ForwardAuth;
using AuthPatterns.Tests.Jwt;
using FsCheck;
using FsCheck.Fluent;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Time.Testing;

namespace AuthPatterns.Tests.Fuzz;

/// <summary>
/// Generated credentials sent through the whole in-process pipeline (raw header values, as a server would hand them
/// over): never a 500, only the documented statuses, and a problem body with every refusal.
/// </summary>
[Collection(ForwardAuthCollection.Name)]
public sealed class PipelineFuzzTests
{
    private static Gen<string[]> Values(Gen<string> value) =>
        Gen.Frequency((4, Gen.Constant(Array.Empty<string>())), (5, value.ArrayOf(1)), (1, Gen.Choose(2, 3).SelectMany(value.ArrayOf)));

    private static async Task<HttpContext> SendAsync(TestServer server, string method, string path, string query, params (string Name, string[] Values)[] headers)
    {
        return await server.SendAsync(context =>
        {
            context.Request.Method = method;
            context.Request.Path = path;
            context.Request.QueryString = new QueryString(query);
            foreach (var (name, values) in headers)
            {
                if (values.Length > 0)
                {
                    context.Request.Headers[name] = values;
                }
            }
        });
    }

    private static async Task AssertDocumentedAnswerAsync(HttpContext context, string input, params int[] allowed)
    {
        var status = context.Response.StatusCode;
        Assert.True(allowed.Contains(status), $"{status} for {input}");
        if (status is 400 or 401 or 403)
        {
            Assert.StartsWith("application/problem+json", context.Response.ContentType ?? string.Empty, StringComparison.Ordinal);
            var body = await new StreamReader(context.Response.Body).ReadToEndAsync();
            Assert.Contains("\"status\":" + status, body, StringComparison.Ordinal);
        }
    }

    private static string Describe((string Name, string[] Values)[] headers) =>
        string.Join(" | ", headers.Where(h => h.Values.Length > 0).Select(h => $"{h.Name}: [{string.Join("][", h.Values.Select(v => v.Length > 80 ? v[..80] + "…" : v))}]"));

    [Fact]
    public async Task Api_key_pipeline_answers_only_documented_statuses_with_problem_bodies()
    {
        await using var app = await ApiKeyTestApp.StartAsync();
        var created = await app.CreateKeyAsync();
        var key = FuzzGen.Mix(Gen.Constant(created.Key), validWeight: 3, mutatedWeight: 6, randomWeight: 1);
        var authorization = FuzzGen.Mix(Gen.Elements("ApiKey " + created.Key, "Bearer alice|profile:read", "Basic eDp5"), validWeight: 3, mutatedWeight: 6, randomWeight: 1);
        var query = Gen.Frequency(
            (6, Gen.Constant(string.Empty)),
            (2, key.Select(k => "?api_key=" + Uri.EscapeDataString(k))),
            (2, key.Select(k => "?utm=" + Uri.EscapeDataString(k))));
        var endpoint = Gen.Elements(("GET", "/api/ping"), ("GET", "/me"), ("POST", "/webhooks/events"), ("GET", "/ping"), ("GET", "/internal/reports"));
        var input = from e in endpoint from k in Values(key) from a in Values(authorization) from q in query select (e, k, a, q);

        foreach (var (e, k, a, q) in FuzzRun.Sample(input))
        {
            (string, string[])[] headers = [("X-API-Key", k), ("Authorization", a)];
            var context = await SendAsync(app.App.GetTestServer(), e.Item1, e.Item2, q, headers);
            await AssertDocumentedAnswerAsync(context, $"{e.Item1} {e.Item2}{q} {Describe(headers)}", 200, 202, 400, 401, 403);
        }
    }

    [Fact]
    public async Task Jwt_pipeline_answers_only_documented_statuses_with_problem_bodies()
    {
        using var rsa = RSA.Create(2048);
        var time = new FakeTimeProvider(JwtTestKit.Start);
        await using var app = await JwtTestKit.StartHostAsync(new FakeJwksHandler(JwtTestKit.Jwks(JwtTestKit.Jwk(rsa, "k1"))), time);
        var valid = JwtTestKit.SignRs(rsa, JwtTestKit.Header(), JwtTestKit.Payload(time.GetUtcNow()));
        var token = FuzzGen.Mix(Gen.Constant(valid), validWeight: 2, mutatedWeight: 7, randomWeight: 1);
        var authorization = Gen.Frequency((8, token.Select(t => "Bearer " + t)), (2, FuzzGen.Mix(Gen.Constant("Bearer " + valid))));
        var endpoint = Gen.Elements("/api/ping", "/reports", "/admin");
        var input = from e in endpoint from a in Values(authorization) select (e, a);

        foreach (var (e, a) in FuzzRun.Sample(input))
        {
            (string, string[])[] headers = [("Authorization", a)];
            var context = await SendAsync(app.GetTestServer(), "GET", e, string.Empty, headers);
            await AssertDocumentedAnswerAsync(context, $"{e} {Describe(headers)}", 200, 400, 401, 403);
        }
    }

    [Fact]
    public async Task Forward_auth_pipeline_answers_only_documented_statuses_and_redirects_only_to_its_own_host()
    {
        await using var portal = await FakePortal.StartAsync();
        portal.Add("valid-session", new PortalUser("alice", "Alice", "alice@example.com", ["admins"]));
        portal.Add("denied-session", new PortalUser("mallory", "M", "m@example.com", [], Denied: true));
        await using var app = await ForwardAuthTestApp.StartAsync(o =>
        {
            o.UseAuthelia(portal.BaseUrl);
            o.PortalUrl = new Uri("https://auth.example.com/");
            o.AllowedHosts.Add("app.example.com");
            o.MapGroup("admins", "orders:write");
        });

        var cookie = FuzzGen.Mix(Gen.Elements("authelia_session=valid-session", "authelia_session=denied-session", "authelia_session=x; other=1"), validWeight: 3, mutatedWeight: 6, randomWeight: 1);
        var host = FuzzGen.Mix(Gen.Elements("app.example.com", "evil.com", "app.example.com.evil.com", "xn--a.app.example.com"), validWeight: 4, mutatedWeight: 5, randomWeight: 1);
        var path = Gen.Elements("/app/dashboard", "//evil.com/x", "/\\evil.com", "/@evil.com", "/app/orders");
        var input =
            from method in Gen.Elements("GET", "GET", "POST")
            from p in path
            from c in Values(cookie)
            from h in Gen.Frequency((3, Gen.Constant(new[] { "app.example.com" })), (1, host.ArrayOf(1)))
            from html in ArbMap.Default.GeneratorFor<bool>()
            select (method, p, c, c.Length > 0 ? new[] { "app.example.com" } : h, html);

        foreach (var (method, p, c, h, html) in FuzzRun.Sample(input))
        {
            (string, string[])[] headers = [("Cookie", c), ("Host", h), ("Accept", html ? ["text/html"] : [])];
            var context = await SendAsync(app.App.GetTestServer(), method, p, string.Empty, headers);
            var described = $"{method} {p} {Describe(headers)}";
            await AssertDocumentedAnswerAsync(context, described, 200, 302, 303, 400, 401, 403);
            if (context.Response.StatusCode is 302 or 303)
            {
                var location = new Uri(context.Response.Headers.Location.ToString());
                Assert.Equal("auth.example.com", location.Host);
                var rd = new Uri(Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(location.Query)["rd"].ToString());
                Assert.Equal("app.example.com", rd.IdnHost);
            }
        }
    }
}
