using System.Diagnostics;
using System.Net;
using System.Text.Json;
using AuthPatterns.ApiKeys;
using AuthPatterns.EntityFrameworkCore;
using AuthPatterns.Jwt;
using AuthPatterns.Tests.Tool;
using AuthPatterns.Tool;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace AuthPatterns.IntegrationTests.Redis;

/// <summary>
/// <c>authpatterns keys revoke|roll --redis</c> and <c>authpatterns token revoke --redis</c> against a running instance
/// that shares the tool's SQLite key store and the real Redis.
/// </summary>
public sealed class RedisToolBroadcastTests : IAsyncLifetime
{
    private readonly string _prefix = $"authpatterns-test-{Guid.NewGuid():N}";
    private readonly string _database = Path.Combine(Path.GetTempPath(), $"authpatterns-tool-redis-{Guid.NewGuid():N}.db");
    private WebApplication? _app;

    private string Connection => $"Data Source={_database};Pooling=False";

    public Task InitializeAsync()
    {
        KeysCommand.ConfigureOptions = Cheap;
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }

        File.Delete(_database);
    }

    [Fact]
    public async Task A_key_revoked_with_the_tool_and_redis_is_refused_by_a_running_instance_that_had_it_cached()
    {
        var (code, output, _) = await ToolInvocation.RunAsync("keys", "create", "--connection", Connection, "--owner", "partner", "--scope", "orders:read", "--json");
        Assert.Equal(0, code);
        var created = JsonDocument.Parse(output).RootElement;
        var (id, key) = (created.GetProperty("id").GetString()!, created.GetProperty("key").GetString()!);
        using var client = (await StartAsync()).GetTestClient();
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(client, key));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(client, key));

        string error;
        (code, _, error) = await ToolInvocation.RunAsync("keys", "revoke", id, "--connection", Connection, "--redis", TestEnvironment.RedisConfiguration, "--redis-prefix", _prefix);
        Assert.Equal(0, code);
        Assert.Contains("Broadcast on Redis", error, StringComparison.Ordinal);

        var clock = Stopwatch.StartNew();
        while (await StatusAsync(client, key) == HttpStatusCode.OK)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), "the instance still accepts a key revoked with the tool after 1 s");
            await Task.Delay(5);
        }
    }

    [Fact]
    public async Task A_key_rolled_with_the_tool_and_redis_with_no_grace_is_refused_by_a_running_instance_and_the_new_key_works()
    {
        var (code, output, _) = await ToolInvocation.RunAsync("keys", "create", "--connection", Connection, "--owner", "partner", "--scope", "orders:read", "--json");
        Assert.Equal(0, code);
        var created = JsonDocument.Parse(output).RootElement;
        var (id, key) = (created.GetProperty("id").GetString()!, created.GetProperty("key").GetString()!);
        using var client = (await StartAsync()).GetTestClient();
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(client, key));

        (code, output, _) = await ToolInvocation.RunAsync("keys", "roll", id, "--grace", "0m", "--connection", Connection, "--redis", TestEnvironment.RedisConfiguration, "--redis-prefix", _prefix, "--json");
        Assert.Equal(0, code);
        var successor = JsonDocument.Parse(output).RootElement.GetProperty("key").GetString()!;

        var clock = Stopwatch.StartNew();
        while (await StatusAsync(client, key) == HttpStatusCode.OK)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), "the instance still accepts a key rolled away with the tool after 1 s");
            await Task.Delay(5);
        }

        Assert.Equal(HttpStatusCode.OK, await StatusAsync(client, successor));
    }

    [Fact]
    public async Task A_token_id_revoked_with_the_tool_is_denied_by_a_running_instance_and_kept_in_redis_until_it_expires()
    {
        var app = await StartAsync();
        var expires = DateTimeOffset.UtcNow.AddMinutes(10);
        var jti = $"token-{Guid.NewGuid():N}";

        var (code, output, _) = await ToolInvocation.RunAsync("token", "revoke", "--jti", jti, "--expires", expires.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture), "--redis", TestEnvironment.RedisConfiguration, "--redis-prefix", _prefix);
        Assert.Equal(0, code);
        Assert.Contains("Denied token id", output, StringComparison.Ordinal);

        var list = app.Services.GetRequiredService<IJwtRevocationList>();
        var clock = Stopwatch.StartNew();
        while (!await list.IsRevokedAsync(jti))
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), "the instance does not deny a token id revoked with the tool after 1 s");
            await Task.Delay(5);
        }

        await using var redis = await ConnectionMultiplexer.ConnectAsync(TestEnvironment.RedisConfiguration);
        var score = await redis.GetDatabase().SortedSetScoreAsync(_prefix + ":jwt-deny", jti);
        Assert.NotNull(score);
        Assert.InRange(DateTimeOffset.FromUnixTimeMilliseconds((long)score.Value), expires.AddMinutes(59), expires.AddMinutes(61));
    }

    private static void Cheap(ApiKeyAuthenticationOptions options)
    {
        options.HashMemorySize = 64;
        options.HashIterations = 1;
        options.HashParallelism = 1;
    }

    private async Task<WebApplication> StartAsync()
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        builder.Services.AddDbContext<ApiKeyDbContext>(o => o.UseSqlite(Connection));
        builder.Services.AddLayeredAuth()
            .AddApiKeys(o =>
            {
                o.UseEntityFrameworkCore<ApiKeyDbContext>();
                Cheap(o);
            })
            .AddRedis(o =>
            {
                o.Configuration = TestEnvironment.RedisConfiguration;
                o.KeyPrefix = _prefix;
            });
        _app = builder.Build();
        _app.UseAuthentication();
        _app.UseAuthorization();
        _app.MapGet("/whoami", () => "ok").RequireAuthorization();
        await _app.StartAsync();
        return _app;
    }

    private static async Task<HttpStatusCode> StatusAsync(HttpClient client, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/whoami");
        request.Headers.Add("X-API-Key", key);
        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }
}
