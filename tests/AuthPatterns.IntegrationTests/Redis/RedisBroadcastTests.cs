using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Headers;
using AuthPatterns.ApiKeys;
using AuthPatterns.Issuing;
using AuthPatterns.Jwt;
using AuthPatterns.StackExchangeRedis;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace AuthPatterns.IntegrationTests.Redis;

/// <summary>
/// Two in-process instances with caches of their own, sharing the key store (as they would share a database) and the
/// real Redis, nothing else. Each test uses a channel and keys of its own, so tests running at once never hear each other.
/// </summary>
public sealed class RedisBroadcastTests : IAsyncLifetime
{
    private const string Issuer = "https://issuer.test";
    private const string Audience = "orders";
    private readonly ITestOutputHelper _output;
    private readonly string _prefix = $"authpatterns-test-{Guid.NewGuid():N}";
    private readonly string _keyDirectory = Path.Combine(Path.GetTempPath(), $"authpatterns-redis-keys-{Guid.NewGuid():N}");
    private readonly InMemoryApiKeyStore _store = new();
    private readonly List<WebApplication> _apps = [];

    public RedisBroadcastTests(ITestOutputHelper output) => _output = output;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var app in _apps)
        {
            await app.DisposeAsync();
        }

        if (Directory.Exists(_keyDirectory))
        {
            Directory.Delete(_keyDirectory, recursive: true);
        }
    }

    [Fact]
    public async Task A_key_revoked_on_one_instance_is_refused_by_the_other_within_a_second()
    {
        var a = await StartAsync(TestEnvironment.RedisConfiguration);
        var b = await StartAsync(TestEnvironment.RedisConfiguration);
        var manager = a.Services.GetRequiredService<ApiKeyManager>();
        using var clientB = b.GetTestClient();
        var latencies = new List<double>();

        for (var i = 0; i < 100; i++)
        {
            var created = await manager.CreateAsync(new ApiKeyCreateRequest { OwnerId = "partner", Scopes = ["orders:read"] });
            Assert.Equal(HttpStatusCode.OK, await StatusAsync(clientB, created.Key));
            Assert.Equal(HttpStatusCode.OK, await StatusAsync(clientB, created.Key));

            var clock = Stopwatch.StartNew();
            Assert.True(await manager.RevokeAsync(created.Info.Id, "leaked"));
            while (await StatusAsync(clientB, created.Key) == HttpStatusCode.OK)
            {
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), "instance B still accepts a key revoked on A after 5 s");
                await Task.Delay(1);
            }

            latencies.Add(clock.Elapsed.TotalMilliseconds);
        }

        latencies.Sort();
        var p50 = latencies[latencies.Count / 2];
        var p99 = latencies[(int)Math.Ceiling(latencies.Count * 0.99) - 1];
        _output.WriteLine($"revocation on A refused by B: p50 {p50:F1} ms, p99 {p99:F1} ms, max {latencies[^1]:F1} ms over {latencies.Count} revocations");
        Assert.True(p99 <= 1000, $"p99 {p99:F1} ms exceeds 1 s");
    }

    [Fact]
    public async Task A_token_id_denied_on_one_instance_is_refused_by_the_other_that_had_it_cached()
    {
        var a = await StartAsync(TestEnvironment.RedisConfiguration);
        var b = await StartAsync(TestEnvironment.RedisConfiguration, issuing: true);
        var token = await b.Services.GetRequiredService<IServiceTokenIssuer>().IssueAsync(new ServiceTokenRequest { Audience = Audience, Subject = "svc" });
        using var clientB = b.GetTestClient();
        Assert.Equal(HttpStatusCode.OK, await BearerStatusAsync(clientB, token.AccessToken));
        Assert.Equal(1, b.Services.GetRequiredService<JwtSchemeRuntime>().Cache!.Count);

        await a.Services.GetRequiredService<IJwtRevocationList>().RevokeAsync(token.TokenId, token.ExpiresAt);

        var clock = Stopwatch.StartNew();
        while (await BearerStatusAsync(clientB, token.AccessToken) == HttpStatusCode.OK)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), "instance B still accepts a token denied on A after 5 s");
            await Task.Delay(1);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, await BearerStatusAsync(clientB, token.AccessToken));

        // A third instance started afterwards loads the shared list from Redis.
        var c = await StartAsync(TestEnvironment.RedisConfiguration);
        Assert.True(await c.Services.GetRequiredService<IJwtRevocationList>().IsRevokedAsync(token.TokenId));
    }

    [Fact]
    public async Task Redis_unreachable_does_not_fail_startup_nor_requests_and_reports_degraded()
    {
        // Port 1 on loopback: nothing listens there, the connection is refused.
        var app = await StartAsync("127.0.0.1:1,connectTimeout=500", fromConfiguration: true);
        var manager = app.Services.GetRequiredService<ApiKeyManager>();
        using var client = app.GetTestClient();
        var created = await manager.CreateAsync(new ApiKeyCreateRequest { OwnerId = "partner", Scopes = ["orders:read"] });

        Assert.Equal(HttpStatusCode.OK, await StatusAsync(client, created.Key));
        await Assert.ThrowsAsync<ApiKeyChangeNotBroadcastException>(() => manager.RevokeAsync(created.Info.Id, "leaked"));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(client, created.Key));
        var health = await app.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        Assert.Equal(HealthStatus.Degraded, health.Entries["redis"].Status);
        var denied = await Assert.ThrowsAsync<InvalidOperationException>(async () =>
            await app.Services.GetRequiredService<IJwtRevocationList>().RevokeAsync("token-1", DateTimeOffset.UtcNow.AddMinutes(5)));
        Assert.Contains("not broadcast", denied.Message, StringComparison.Ordinal);
        Assert.True(await app.Services.GetRequiredService<IJwtRevocationList>().IsRevokedAsync("token-1"));
    }

    [Fact]
    public async Task A_key_budget_of_N_failures_is_shared_N_over_2_wrong_secrets_on_each_instance_exhaust_it()
    {
        var a = await StartAsync(TestEnvironment.RedisConfiguration, keys: o => o.MaxVerificationsPerKey = 4);
        var b = await StartAsync(TestEnvironment.RedisConfiguration, keys: o => o.MaxVerificationsPerKey = 4);
        var created = await a.Services.GetRequiredService<ApiKeyManager>().CreateAsync(new ApiKeyCreateRequest { OwnerId = "partner", Scopes = ["orders:read"] });
        var guess = ApiKeyFormat.Create(ApiKeyFormat.DefaultPrefix, test: false, created.Info.Id);
        using var clientA = a.GetTestClient();
        using var clientB = b.GetTestClient();

        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(clientA, guess));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(clientA, guess));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(clientB, guess));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(clientB, guess));

        // Each instance alone has spent half of its budget; together they have spent all of it.
        Assert.Equal(HttpStatusCode.TooManyRequests, await StatusAsync(clientA, guess));
        Assert.Equal(HttpStatusCode.TooManyRequests, await StatusAsync(clientB, guess));
    }

    [Fact]
    public async Task An_address_budget_of_N_failures_is_shared_across_instances_and_key_ids()
    {
        var a = await StartAsync(TestEnvironment.RedisConfiguration, keys: o => o.MaxVerificationsPerAddress = 4);
        var b = await StartAsync(TestEnvironment.RedisConfiguration, keys: o => o.MaxVerificationsPerAddress = 4);
        var manager = a.Services.GetRequiredService<ApiKeyManager>();
        using var clientA = a.GetTestClient();
        using var clientB = b.GetTestClient();
        var guesses = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            var created = await manager.CreateAsync(new ApiKeyCreateRequest { OwnerId = "partner", Scopes = ["orders:read"] });
            guesses.Add(ApiKeyFormat.Create(ApiKeyFormat.DefaultPrefix, test: false, created.Info.Id));
        }

        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(clientA, guesses[0]));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(clientB, guesses[1]));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(clientA, guesses[2]));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(clientB, guesses[3]));
        Assert.Equal(HttpStatusCode.TooManyRequests, await StatusAsync(clientA, guesses[4]));
        Assert.Equal(HttpStatusCode.TooManyRequests, await StatusAsync(clientB, guesses[4]));
    }

    [Fact]
    public async Task With_Redis_unreachable_budgets_are_kept_per_instance_counted_and_reported_degraded()
    {
        var fallbacks = 0L;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Name == "authpatterns.redis.budget_fallbacks")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref fallbacks, value));
        listener.Start();
        var app = await StartAsync("127.0.0.1:1,connectTimeout=500", keys: o => o.MaxVerificationsPerKey = 2);
        var created = await app.Services.GetRequiredService<ApiKeyManager>().CreateAsync(new ApiKeyCreateRequest { OwnerId = "partner", Scopes = ["orders:read"] });
        var guess = ApiKeyFormat.Create(ApiKeyFormat.DefaultPrefix, test: false, created.Info.Id);
        using var client = app.GetTestClient();

        Assert.Equal(HttpStatusCode.OK, await StatusAsync(client, created.Key));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(client, guess));
        Assert.Equal(HttpStatusCode.TooManyRequests, await StatusAsync(client, guess));
        Assert.True(app.Services.GetRequiredService<RedisApiKeyAttemptBudgets>() is { IsPerInstance: true });
        Assert.True(Interlocked.Read(ref fallbacks) > 0);
        var health = await app.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        Assert.Equal(HealthStatus.Degraded, health.Entries["redis"].Status);
    }

    [Fact]
    public async Task A_key_change_while_Redis_is_down_is_stored_applied_here_and_fails_the_call_saying_it_is_not_yet_broadcast()
    {
        var app = await StartAsync("127.0.0.1:1,connectTimeout=500");
        var manager = app.Services.GetRequiredService<ApiKeyManager>();
        using var client = app.GetTestClient();
        var revoked = await manager.CreateAsync(new ApiKeyCreateRequest { OwnerId = "partner", Scopes = ["orders:read"] });
        var changed = await manager.CreateAsync(new ApiKeyCreateRequest { OwnerId = "partner", Scopes = ["orders:read"] });
        var rolled = await manager.CreateAsync(new ApiKeyCreateRequest { OwnerId = "partner", Scopes = ["orders:read"] });
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(client, revoked.Key));

        var revoke = await Assert.ThrowsAsync<ApiKeyChangeNotBroadcastException>(() => manager.RevokeAsync(revoked.Info.Id, "leaked"));
        Assert.Equal(revoked.Info.Id, revoke.KeyId);
        Assert.Contains("stored but not yet broadcast", revoke.Message, StringComparison.Ordinal);
        Assert.Contains("CacheLifetime", revoke.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(revoked.Key, revoke.ToString(), StringComparison.Ordinal);
        Assert.NotNull((await manager.GetAsync(revoked.Info.Id))!.RevokedAt);
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(client, revoked.Key));

        // Revoking again tries to announce again, and says again that it could not.
        await Assert.ThrowsAsync<ApiKeyChangeNotBroadcastException>(() => manager.RevokeAsync(revoked.Info.Id, "leaked"));

        await Assert.ThrowsAsync<ApiKeyChangeNotBroadcastException>(() => manager.SetScopesAsync(changed.Info.Id, ["orders:write"]));
        Assert.Equal(["orders:write"], (await manager.GetAsync(changed.Info.Id))!.Scopes);
        await Assert.ThrowsAsync<ApiKeyChangeNotBroadcastException>(() => manager.SetExpiryAsync(changed.Info.Id, DateTimeOffset.UtcNow.AddDays(1)));
        await Assert.ThrowsAsync<ApiKeyChangeNotBroadcastException>(() => manager.SetAllowedNetworksAsync(changed.Info.Id, ["10.0.0.0/8"]));

        var roll = await Assert.ThrowsAsync<ApiKeyChangeNotBroadcastException>(() => manager.RollAsync(rolled.Info.Id, TimeSpan.Zero));
        Assert.NotNull(roll.RolledKey);
        Assert.DoesNotContain(roll.RolledKey.Key, roll.Message, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(client, roll.RolledKey.Key));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(client, rolled.Key));
    }

    [Fact]
    public async Task The_management_endpoint_answers_503_stored_but_not_yet_broadcast_while_Redis_is_down()
    {
        var app = await StartAsync("127.0.0.1:1,connectTimeout=500");
        var manager = app.Services.GetRequiredService<ApiKeyManager>();
        using var client = app.GetTestClient();
        var admin = await manager.CreateAsync(new ApiKeyCreateRequest { OwnerId = "admin", Scopes = ["apikeys:manage", "apikeys:admin", "orders:read"] });
        var target = await manager.CreateAsync(new ApiKeyCreateRequest { OwnerId = "partner", Scopes = ["orders:read"] });
        var other = await manager.CreateAsync(new ApiKeyCreateRequest { OwnerId = "partner", Scopes = ["orders:read"] });

        using var revoke = new HttpRequestMessage(HttpMethod.Post, $"/admin/api-keys/{target.Info.Id}/revoke");
        revoke.Headers.Add("X-API-Key", admin.Key);
        using var revoked = await client.SendAsync(revoke);
        var body = await revoked.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, revoked.StatusCode);
        Assert.Equal("application/problem+json", revoked.Content.Headers.ContentType?.MediaType);
        Assert.Contains("stored but not yet broadcast", body, StringComparison.Ordinal);
        Assert.DoesNotContain(target.Key, body, StringComparison.Ordinal);
        Assert.NotNull((await manager.GetAsync(target.Info.Id))!.RevokedAt);

        using var roll = new HttpRequestMessage(HttpMethod.Post, $"/admin/api-keys/{other.Info.Id}/roll");
        roll.Headers.Add("X-API-Key", admin.Key);
        using var rolled = await client.SendAsync(roll);
        var rolledBody = System.Text.Json.JsonDocument.Parse(await rolled.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(HttpStatusCode.ServiceUnavailable, rolled.StatusCode);
        Assert.Equal("no-store", rolled.Headers.CacheControl?.ToString());
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(client, rolledBody.GetProperty("key").GetString()!));
    }

    [Fact]
    public async Task Redis_without_a_configuration_string_fails_startup_naming_the_option()
    {
        var failure = await Assert.ThrowsAnyAsync<Exception>(() => StartAsync(configuration: "", fromConfiguration: true));
        Assert.Contains("LayeredAuth:Redis:Configuration", failure.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("00:00:00")]
    [InlineData("00:00:00.005")]
    [InlineData("00:00:06")]
    [InlineData("-00:00:01")]
    public void An_operation_timeout_out_of_range_fails_validation_naming_the_option(string timeout)
    {
        var options = new LayeredAuthRedisOptions { Configuration = "redis.internal:6379,password=secret", OperationTimeout = TimeSpan.Parse(timeout, System.Globalization.CultureInfo.InvariantCulture) };
        var failure = Assert.Throws<InvalidOperationException>(options.Validate);
        Assert.Contains("LayeredAuth:Redis:OperationTimeout", failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", failure.Message, StringComparison.Ordinal);
    }

    private async Task<WebApplication> StartAsync(string configuration, bool issuing = false, bool fromConfiguration = false, Action<ApiKeyAuthenticationOptions>? keys = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["LayeredAuth:Redis:Configuration"] = fromConfiguration ? configuration : null,
            ["LayeredAuth:Redis:KeyPrefix"] = _prefix,
        });
        builder.Services.AddSingleton<IApiKeyStore>(_store);
        var layered = builder.Services.AddLayeredAuth(builder.Configuration.GetSection("LayeredAuth"))
            .AddApiKeys(o =>
            {
                o.HashMemorySize = 64;
                o.HashIterations = 1;
                o.MaxVerificationsPerAddress = 10_000;
                keys?.Invoke(o);
            });
        if (fromConfiguration)
        {
            layered.AddRedis();
        }
        else
        {
            layered.AddRedis(configuration);
        }

        if (issuing)
        {
            layered.AddJwt(o =>
            {
                o.UseLocalSigningKeys = true;
                o.Issuer = Issuer;
                o.Audience = Audience;
            });
            builder.Services.AddDataProtection()
                .PersistKeysToFileSystem(new DirectoryInfo(Path.Combine(_keyDirectory, "protection")))
                .SetApplicationName("authpatterns-redis-tests");
            builder.Services.AddSigningKeyRing(o => o.KeyDirectory = _keyDirectory);
            builder.Services.AddServiceTokenIssuer(o => o.Issuer = Issuer);
        }

        builder.Services.AddHealthChecks().AddRedisCheck();
        var app = builder.Build();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapGet("/whoami", () => "ok").RequireAuthorization();
        app.MapApiKeyManagement("/admin/api-keys");
        _apps.Add(app);
        await app.StartAsync();
        return app;
    }

    private static async Task<HttpStatusCode> StatusAsync(HttpClient client, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/whoami");
        request.Headers.Add("X-API-Key", key);
        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }

    private static async Task<HttpStatusCode> BearerStatusAsync(HttpClient client, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/whoami");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }
}
