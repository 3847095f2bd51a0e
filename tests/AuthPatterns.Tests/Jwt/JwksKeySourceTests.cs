using System.Net;
using System.Security.Cryptography;
using AuthPatterns.Jwt;
using AuthPatterns.Tests.Layered;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using static AuthPatterns.Tests.Jwt.JwtTestKit;

namespace AuthPatterns.Tests.Jwt;

public sealed class JwksKeySourceTests : IDisposable
{
    private readonly RSA _k1 = RSA.Create(2048);
    private readonly RSA _k2 = RSA.Create(2048);
    private readonly FakeTimeProvider _time = new(Start);

    public void Dispose()
    {
        _k1.Dispose();
        _k2.Dispose();
    }

    private string Token(RSA key, string kid) => SignRs(key, Header(kid), Payload(_time.GetUtcNow()));

    private static async Task<HttpStatusCode> SendAsync(WebApplication app, string token) =>
        (await app.Client().SendAsync(Get("/api/ping", token))).StatusCode;

    private static JwksKeySource Source(WebApplication app) => (JwksKeySource)app.Services.GetRequiredService<JwtSchemeRuntime>().KeySource;

    [Fact]
    public async Task A_newly_published_key_is_accepted_on_its_first_request()
    {
        var jwks = new FakeJwksHandler(JwtTestKit.Jwks(Jwk(_k1, "k1")));
        await using var app = await StartHostAsync(jwks, _time);

        Assert.Equal(HttpStatusCode.OK, await SendAsync(app, Token(_k1, "k1")));
        Assert.Equal(1, jwks.Fetches);

        // The issuer rotates: k2 is published and signs at once (the worst case for verifiers).
        jwks.Serve(JwtTestKit.Jwks(Jwk(_k1, "k1"), Jwk(_k2, "k2")));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.OK, await SendAsync(app, Token(_k2, "k2")));
        Assert.Equal(2, jwks.Fetches);
        Assert.Equal(HttpStatusCode.OK, await SendAsync(app, Token(_k1, "k1")));
        Assert.Equal(2, jwks.Fetches);
    }

    [Fact]
    public async Task Rotation_published_ahead_is_picked_up_by_the_scheduled_refresh()
    {
        var jwks = new FakeJwksHandler(JwtTestKit.Jwks(Jwk(_k1, "k1")));
        jwks.Serve(JwtTestKit.Jwks(Jwk(_k1, "k1")), "public, max-age=600");
        await using var app = await StartHostAsync(jwks, _time);
        Assert.Equal(HttpStatusCode.OK, await SendAsync(app, Token(_k1, "k1")));

        jwks.Serve(JwtTestKit.Jwks(Jwk(_k1, "k1"), Jwk(_k2, "k2")), "public, max-age=600");
        _time.Advance(TimeSpan.FromSeconds(601));
        Assert.Equal(HttpStatusCode.OK, await SendAsync(app, Token(_k1, "k1")));
        await Source(app).PendingRefresh;
        Assert.Equal(2, jwks.Fetches);

        // k1 retires from the set; k2 signs. No request is refused and no extra fetch happens.
        jwks.Serve(JwtTestKit.Jwks(Jwk(_k2, "k2")), "public, max-age=600");
        Assert.Equal(HttpStatusCode.OK, await SendAsync(app, Token(_k2, "k2")));
        Assert.Equal(2, jwks.Fetches);
    }

    [Fact]
    public async Task A_kid_flood_causes_at_most_one_fetch_per_cooldown()
    {
        var jwks = new FakeJwksHandler(JwtTestKit.Jwks(Jwk(_k1, "k1")));
        await using var app = await StartHostAsync(jwks, _time);
        Assert.Equal(HttpStatusCode.OK, await SendAsync(app, Token(_k1, "k1")));
        Assert.Equal(1, jwks.Fetches);

        for (var i = 0; i < 100; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, await SendAsync(app, Token(_k2, Guid.NewGuid().ToString("N"))));
        }

        Assert.Equal(2, jwks.Fetches);

        _time.Advance(TimeSpan.FromSeconds(29));
        for (var i = 0; i < 50; i++)
        {
            await SendAsync(app, Token(_k2, Guid.NewGuid().ToString("N")));
        }

        Assert.Equal(2, jwks.Fetches);

        _time.Advance(TimeSpan.FromSeconds(1));
        for (var i = 0; i < 50; i++)
        {
            await SendAsync(app, Token(_k2, Guid.NewGuid().ToString("N")));
        }

        Assert.Equal(3, jwks.Fetches);
        Assert.Equal(HttpStatusCode.OK, await SendAsync(app, Token(_k1, "k1")));
    }

    [Fact]
    public async Task Concurrent_unknown_kids_share_one_fetch()
    {
        var jwks = new FakeJwksHandler(JwtTestKit.Jwks(Jwk(_k1, "k1")));
        await using var app = await StartHostAsync(jwks, _time);
        Assert.Equal(HttpStatusCode.OK, await SendAsync(app, Token(_k1, "k1")));

        var release = new TaskCompletionSource();
        jwks.Respond = async _ =>
        {
            await release.Task;
            return await FakeJwksHandler.Ok(JwtTestKit.Jwks(Jwk(_k1, "k1"), Jwk(_k2, "k2")));
        };
        _time.Advance(TimeSpan.FromSeconds(31));

        var token = Token(_k2, "k2");
        var requests = Enumerable.Range(0, 20).Select(_ => SendAsync(app, token)).ToArray();
        await Task.Delay(100);
        release.SetResult();
        var statuses = await Task.WhenAll(requests);

        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s));
        Assert.Equal(2, jwks.Fetches);
    }

    [Theory]
    [InlineData("status")]
    [InlineData("not json")]
    [InlineData("no usable key")]
    [InlineData("too large")]
    [InlineData("timeout")]
    public async Task The_last_good_keys_keep_serving_through_an_outage(string failure)
    {
        var jwks = new FakeJwksHandler(JwtTestKit.Jwks(Jwk(_k1, "k1")));
        await using var app = await StartHostAsync(jwks, _time);
        Assert.Equal(HttpStatusCode.OK, await SendAsync(app, Token(_k1, "k1")));

        using var weak = RSA.Create(1024);
        jwks.Respond = failure switch
        {
            "status" => _ => Task.FromResult(new HttpResponseMessage(HttpStatusCode.ServiceUnavailable)),
            "not json" => _ => FakeJwksHandler.Ok("<html>maintenance</html>"),
            "no usable key" => _ => FakeJwksHandler.Ok(JwtTestKit.Jwks(Jwk(weak, "k1"))),
            "too large" => _ => FakeJwksHandler.Ok(JwtTestKit.Jwks(Jwk(_k1, "k1")).TrimEnd('}') + ",\"pad\":\"" + new string('x', 300 * 1024) + "\"}"),
            _ => jwks.Respond,
        };
        jwks.Hang = failure == "timeout";

        _time.Advance(TimeSpan.FromHours(2));
        Assert.Equal(HttpStatusCode.OK, await SendAsync(app, Token(_k1, "k1")));
        if (failure == "timeout")
        {
            // Two requests so far: the first load and the hung refresh.
            await jwks.Arrived.WaitAsync(TimeSpan.FromSeconds(10));
            await jwks.Arrived.WaitAsync(TimeSpan.FromSeconds(10));
            _time.Advance(TimeSpan.FromSeconds(6));
        }

        await Source(app).PendingRefresh.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(2, jwks.Fetches);
        Assert.Equal(HttpStatusCode.OK, await SendAsync(app, Token(_k1, "k1")));
        Assert.True(Source(app).IsPublished("k1"));
    }

    [Theory]
    [InlineData("public, max-age=600", 600)]
    [InlineData("max-age=10", 300)]
    [InlineData("no-store", 300)]
    [InlineData(null, 3600)]
    [InlineData("max-age=999999", 86400)]
    public async Task Scheduled_refresh_honours_max_age_within_bounds(string? cacheControl, int expectedSeconds)
    {
        var jwks = new FakeJwksHandler("");
        jwks.Serve(JwtTestKit.Jwks(Jwk(_k1, "k1")), cacheControl);
        await using var app = await StartHostAsync(jwks, _time);
        Assert.Equal(HttpStatusCode.OK, await SendAsync(app, Token(_k1, "k1")));

        _time.Advance(TimeSpan.FromSeconds(expectedSeconds - 1));
        Assert.Equal(HttpStatusCode.OK, await SendAsync(app, Token(_k1, "k1")));
        await Source(app).PendingRefresh;
        Assert.Equal(1, jwks.Fetches);

        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.OK, await SendAsync(app, Token(_k1, "k1")));
        await Source(app).PendingRefresh;
        Assert.Equal(2, jwks.Fetches);
    }

    [Fact]
    public async Task Keys_come_from_the_discovery_document_when_an_authority_is_set()
    {
        var jwks = new FakeJwksHandler("");
        jwks.Respond = request => FakeJwksHandler.Ok(request.RequestUri!.AbsolutePath switch
        {
            "/tenant/.well-known/openid-configuration" => Json(new { issuer = "https://login.test/tenant", jwks_uri = "https://login.test/tenant/keys" }),
            "/tenant/keys" => JwtTestKit.Jwks(Jwk(_k1, "k1")),
            _ => "{}",
        });
        await using var app = await StartHostAsync(jwks, _time, o =>
        {
            o.JwksUri = null;
            o.Authority = "https://login.test/tenant/";
            o.Issuer = null;
        });

        var token = SignRs(_k1, Header(), Payload(_time.GetUtcNow(), c => c["iss"] = "https://login.test/tenant/"));
        Assert.Equal(HttpStatusCode.OK, await SendAsync(app, token));
        Assert.Equal(["https://login.test/tenant/.well-known/openid-configuration", "https://login.test/tenant/keys"], jwks.Requests.Select(u => u.AbsoluteUri));
    }

    [Fact]
    public async Task Plain_http_is_refused_when_https_is_required()
    {
        var jwks = new FakeJwksHandler(JwtTestKit.Jwks(Jwk(_k1, "k1")));
        var services = new ServiceCollection();
        services.AddHttpClient(JwtAuthenticationDefaults.JwksHttpClientName).ConfigurePrimaryHttpMessageHandler(() => jwks);
        using var provider = services.BuildServiceProvider();
        var options = new JwtAuthenticationOptions { JwksUri = new Uri("http://issuer.test/jwks"), Issuer = Issuer, Audience = Audience };
        var source = new JwksKeySource(options, requireHttps: true, provider.GetRequiredService<IHttpClientFactory>(), _time, NullLogger.Instance, new JwtTelemetry(TestMeterFactory.Create()));

        Assert.False(await source.EnsureKeyAsync("k1", CancellationToken.None));
        Assert.Equal(0, jwks.Fetches);
    }

    [Theory]
    [InlineData("Production", true)]
    [InlineData("Staging", true)]
    [InlineData("Development", false)]
    public void Https_is_required_outside_development_by_default(string environment, bool required)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<IHostEnvironment>(new HostingEnvironment { EnvironmentName = environment });
        services.AddLayeredAuth().AddJwt(o =>
        {
            o.JwksUri = JwksUri;
            o.Issuer = Issuer;
            o.Audience = Audience;
        });
        using var provider = services.BuildServiceProvider();
        Assert.Equal(required, provider.GetRequiredService<JwtSchemeRuntime>().RequireHttps);
    }

    [Fact]
    public void The_jwks_reader_keeps_only_public_signature_keys_that_are_strong_enough()
    {
        using var weak = RSA.Create(1024);
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var withPrivate = Jwk(_k2, "private");
        withPrivate["d"] = "AQAB";
        var encryption = Jwk(_k1, "enc");
        encryption["use"] = "enc";
        var ops = Jwk(_k1, "ops");
        ops["key_ops"] = new[] { "encrypt" };
        var document = JwtTestKit.Jwks(
            Jwk(_k1, "k1"),
            Jwk(weak, "weak"),
            withPrivate,
            encryption,
            ops,
            new Dictionary<string, object> { ["kty"] = "oct", ["kid"] = "hmac", ["k"] = "c2VjcmV0" },
            Jwk(_k1, "hs", alg: "HS256"),
            Jwk(ec, "ec1"),
            new Dictionary<string, object> { ["kty"] = "RSA", ["n"] = "AQAB", ["e"] = "AQAB" });

        var set = JwksDocumentReader.Read(System.Text.Encoding.UTF8.GetBytes(document), 2048, out var skipped);

        Assert.Equal(["k1", "ec1"], set.KeyIds.Order(StringComparer.Ordinal).Reverse());
        Assert.Equal(7, skipped);
        Assert.Single(set.Resolve("k1", "RS256", 2048));
        Assert.Empty(set.Resolve("k1", "ES256", 2048));
        Assert.Empty(set.Resolve("ec1", "RS256", 2048));
        Assert.Single(set.Resolve("ec1", "ES256", 2048));
        Assert.Empty(set.Resolve("ec1", "ES384", 2048));
        Assert.Empty(set.Resolve("K1", "RS256", 2048));
    }

    [Fact]
    public async Task The_first_fetch_starts_with_the_host_and_an_unreachable_jwks_does_not_stop_startup()
    {
        var jwks = new FakeJwksHandler(JwtTestKit.Jwks(Jwk(_k1, "k1")));
        jwks.Respond = _ => Task.FromResult(new HttpResponseMessage(HttpStatusCode.ServiceUnavailable));
        await using var app = await StartHostAsync(jwks, _time);
        await Source(app).PendingRefresh;
        Assert.Equal(1, jwks.Fetches);

        // Down at startup: refused (no 500), and the next fetch waits for the cooldown.
        Assert.Equal(HttpStatusCode.Unauthorized, await SendAsync(app, Token(_k1, "k1")));
        Assert.Equal(1, jwks.Fetches);

        jwks.Serve(JwtTestKit.Jwks(Jwk(_k1, "k1")));
        _time.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(HttpStatusCode.OK, await SendAsync(app, Token(_k1, "k1")));
        Assert.Equal(2, jwks.Fetches);
    }
}
