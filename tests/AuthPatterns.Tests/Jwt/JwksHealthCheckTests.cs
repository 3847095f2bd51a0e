using System.Net;
using System.Security.Cryptography;
using AuthPatterns.Jwt;
using AuthPatterns.Tests.Layered;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Time.Testing;
using static AuthPatterns.Tests.Jwt.JwtTestKit;

namespace AuthPatterns.Tests.Jwt;

public sealed class JwksHealthCheckTests : IDisposable
{
    private const string HealthPath = "/healthz/ready";

    private readonly RSA _k1 = RSA.Create(2048);
    private readonly FakeTimeProvider _time = new(Start);

    public void Dispose() => _k1.Dispose();

    private string Token() => SignRs(_k1, Header("k1"), Payload(_time.GetUtcNow()));

    private Task<WebApplication> StartAsync(FakeJwksHandler jwks) =>
        StartHostAsync(
            jwks,
            _time,
            services: s => s.AddHealthChecks().AddJwksCheck(),
            map: app => app.MapHealthChecks(HealthPath).AllowAnonymous());

    private static JwksKeySource Source(WebApplication app) => (JwksKeySource)app.Services.GetRequiredService<JwtSchemeRuntime>().KeySource;

    private static async Task<HealthReportEntry> CheckAsync(WebApplication app) =>
        (await app.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync()).Entries["jwks"];

    private static async Task<(HttpStatusCode Status, string Body)> EndpointAsync(WebApplication app)
    {
        var response = await app.Client().GetAsync(new Uri(HealthPath, UriKind.Relative));
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static async Task<HttpStatusCode> SendAsync(WebApplication app, string token) =>
        (await app.Client().SendAsync(Get("/api/ping", token))).StatusCode;

    [Fact]
    public async Task Healthy_after_a_successful_fetch_and_still_healthy_when_an_idle_instance_is_due_for_refresh()
    {
        var jwks = new FakeJwksHandler(JwtTestKit.Jwks(Jwk(_k1, "k1")));
        await using var app = await StartAsync(jwks);
        await Source(app).PendingRefresh.WaitAsync(TimeSpan.FromSeconds(10));

        var entry = await CheckAsync(app);
        Assert.Equal(HealthStatus.Healthy, entry.Status);
        Assert.Equal("1 JWKS key(s), fetched at 2026-01-01 00:00:00Z.", entry.Description);
        Assert.Equal((HttpStatusCode.OK, "Healthy"), await EndpointAsync(app));
        Assert.Equal(HttpStatusCode.OK, await SendAsync(app, Token()));

        // No traffic for two hours: the refresh is due but nothing failed, and the check itself fetches nothing.
        _time.Advance(TimeSpan.FromHours(2));
        entry = await CheckAsync(app);
        Assert.Equal(HealthStatus.Healthy, entry.Status);
        Assert.Contains("refresh is due", entry.Description, StringComparison.Ordinal);
        Assert.Equal(1, jwks.Fetches);
    }

    [Fact]
    public async Task Degraded_during_an_outage_while_the_old_keys_still_validate_then_healthy_on_recovery()
    {
        var jwks = new FakeJwksHandler(JwtTestKit.Jwks(Jwk(_k1, "k1")));
        await using var app = await StartAsync(jwks);
        Assert.Equal(HttpStatusCode.OK, await SendAsync(app, Token()));

        jwks.Respond = _ => Task.FromResult(new HttpResponseMessage(HttpStatusCode.ServiceUnavailable));
        _time.Advance(TimeSpan.FromHours(2));
        Assert.Equal(HttpStatusCode.OK, await SendAsync(app, Token()));
        await Source(app).PendingRefresh.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(2, jwks.Fetches);

        var entry = await CheckAsync(app);
        Assert.Equal(HealthStatus.Degraded, entry.Status);
        Assert.Equal(
            "Serving the last good JWKS key set, fetched at 2026-01-01 00:00:00Z; fetches have failed since 2026-01-01 02:00:00Z "
            + "(1 attempt(s), last at 2026-01-01 02:00:00Z: status 503).",
            entry.Description);
        Assert.Equal((HttpStatusCode.OK, "Degraded"), await EndpointAsync(app));

        // The outage goes on: the start stays, the count and the last attempt move; still no key material anywhere.
        _time.Advance(TimeSpan.FromSeconds(31));
        Assert.Equal(HttpStatusCode.OK, await SendAsync(app, Token()));
        await Source(app).PendingRefresh.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(3, jwks.Fetches);
        entry = await CheckAsync(app);
        Assert.Equal(HealthStatus.Degraded, entry.Status);
        Assert.Contains("failed since 2026-01-01 02:00:00Z (2 attempt(s), last at 2026-01-01 02:00:31Z", entry.Description, StringComparison.Ordinal);
        var modulus = B64(_k1.ExportParameters(false).Modulus!);
        Assert.DoesNotContain(modulus[..16], entry.Description, StringComparison.Ordinal);
        Assert.DoesNotContain("k1", entry.Description, StringComparison.Ordinal);
        Assert.All(entry.Data.Values, v => Assert.DoesNotContain(modulus[..16], v.ToString(), StringComparison.Ordinal));

        jwks.Serve(JwtTestKit.Jwks(Jwk(_k1, "k1")));
        _time.Advance(TimeSpan.FromSeconds(31));
        Assert.Equal(HttpStatusCode.OK, await SendAsync(app, Token()));
        await Source(app).PendingRefresh.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(HealthStatus.Healthy, (await CheckAsync(app)).Status);
        Assert.Equal((HttpStatusCode.OK, "Healthy"), await EndpointAsync(app));
    }

    [Fact]
    public async Task Unhealthy_when_the_endpoint_has_been_down_from_the_start()
    {
        var jwks = new FakeJwksHandler("");
        jwks.Respond = _ => Task.FromResult(new HttpResponseMessage(HttpStatusCode.InternalServerError));
        await using var app = await StartAsync(jwks);
        await Source(app).PendingRefresh.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(1, jwks.Fetches);

        var entry = await CheckAsync(app);
        Assert.Equal(HealthStatus.Unhealthy, entry.Status);
        Assert.Equal(
            "No JWKS key set: every fetch has failed since 2026-01-01 00:00:00Z (1 attempt(s), last at 2026-01-01 00:00:00Z: status 500). "
            + "No token can be validated.",
            entry.Description);
        Assert.Equal((HttpStatusCode.ServiceUnavailable, "Unhealthy"), await EndpointAsync(app));
        Assert.Equal(HttpStatusCode.Unauthorized, await SendAsync(app, Token()));
    }

    [Fact]
    public async Task Local_signing_keys_are_healthy_when_the_ring_has_a_current_key()
    {
        var directory = Directory.CreateTempSubdirectory("ap-jwt-health-").FullName;
        try
        {
            await using var app = await LayeredTestHost.StartAsync(
                app => app.MapHealthChecks(HealthPath).AllowAnonymous(),
                layered => layered.AddJwt(o =>
                {
                    o.UseLocalSigningKeys = true;
                    o.Issuer = Issuer;
                    o.Audience = Audience;
                }),
                s =>
                {
                    s.AddSingleton<TimeProvider>(_time);
                    s.AddSingleton<IDataProtectionProvider>(new EphemeralDataProtectionProvider());
                    s.AddSigningKeyRing(o => o.KeyDirectory = directory);
                    s.AddHealthChecks().AddJwksCheck();
                });

            var entry = await CheckAsync(app);
            Assert.Equal(HealthStatus.Healthy, entry.Status);
            Assert.StartsWith("The local signing key ring has a current key", entry.Description, StringComparison.Ordinal);
            Assert.Equal((HttpStatusCode.OK, "Healthy"), await EndpointAsync(app));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task Unhealthy_when_the_jwt_scheme_is_not_added()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton(TimeProvider.System);
        services.AddHealthChecks().AddJwksCheck();
        await using var provider = services.BuildServiceProvider();

        var report = await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        Assert.Equal(HealthStatus.Unhealthy, report.Entries["jwks"].Status);
        Assert.Equal("The JWT scheme is not added (AddJwt).", report.Entries["jwks"].Description);
    }
}
