using System.Collections.Concurrent;
using System.Net;
using AuthPatterns.ForwardAuth;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace AuthPatterns.IntegrationTests.Redis;

/// <summary>
/// Two in-process instances in front of one portal, sharing the real Redis: a sign-out through one drops the session's
/// cached answer on the other. Each test uses a channel and keys of its own.
/// </summary>
public sealed class RedisForwardAuthSignOutTests : IAsyncLifetime
{
    private const string SessionValue = "alice-session-0123456789abcdef0123456789";
    private const string Cookie = "authelia_session=" + SessionValue;
    private readonly string _prefix = $"authpatterns-test-{Guid.NewGuid():N}";
    private readonly ConcurrentDictionary<string, string> _sessions = new(StringComparer.Ordinal);
    private readonly List<WebApplication> _apps = [];
    private WebApplication _portal = null!;
    private Uri _portalUrl = null!;
    private int _portalCalls;

    public async Task InitializeAsync()
    {
        // A portal in the shape of Authelia's verify endpoint: 200 with Remote-* headers for a known session, else 401.
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        _portal = builder.Build();
        _portal.MapGet("/api/authz/forward-auth", (HttpContext context) =>
        {
            Interlocked.Increment(ref _portalCalls);
            if (!context.Request.Cookies.TryGetValue("authelia_session", out var cookie) || !_sessions.TryGetValue(cookie, out var user))
            {
                return Results.StatusCode(StatusCodes.Status401Unauthorized);
            }

            context.Response.Headers["Remote-User"] = user;
            context.Response.Headers["Remote-Groups"] = "admins";
            context.Response.Headers["Remote-Name"] = user;
            context.Response.Headers["Remote-Email"] = user + "@example.com";
            return Results.Ok();
        });
        await _portal.StartAsync();
        var address = _portal.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        _portalUrl = new Uri(address + "/");
    }

    public async Task DisposeAsync()
    {
        foreach (var app in _apps)
        {
            await app.DisposeAsync();
        }

        await _portal.DisposeAsync();
    }

    [Fact]
    public async Task A_sign_out_on_one_instance_drops_the_cached_answer_on_the_other_and_the_channel_never_carries_the_cookie()
    {
        using var observer = await ConnectionMultiplexer.ConnectAsync(TestEnvironment.RedisConfiguration);
        var messages = new ConcurrentQueue<string>();
        await observer.GetSubscriber().SubscribeAsync(RedisChannel.Literal(_prefix + ":revocations"), (_, message) => messages.Enqueue(message!));
        var a = await StartAsync();
        var b = await StartAsync();
        using var clientA = ClientOf(a);
        using var clientB = ClientOf(b);
        _sessions[SessionValue] = "alice";

        Assert.Equal(HttpStatusCode.OK, await StatusAsync(clientB, "/app/dashboard"));

        // The portal ends the session; instance B keeps its cached answer, as it should until told.
        _sessions.TryRemove(SessionValue, out _);
        var calls = Volatile.Read(ref _portalCalls);
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(clientB, "/app/dashboard"));
        Assert.Equal(calls, Volatile.Read(ref _portalCalls));

        Assert.Equal(HttpStatusCode.Redirect, await StatusAsync(clientA, "/signout"));

        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (await StatusAsync(clientB, "/app/dashboard") == HttpStatusCode.OK)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), "instance B still serves a session signed out on A after 5 s");
            await Task.Delay(5);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(clientB, "/app/dashboard"));
        var signOut = Assert.Single(messages, m => m.StartsWith("f:", StringComparison.Ordinal));
        Assert.DoesNotContain(SessionValue, signOut, StringComparison.Ordinal);
        Assert.Matches("^f:ForwardAuth:[0-9a-f]{64}$", signOut);
    }

    [Fact]
    public async Task A_sign_out_while_Redis_is_unreachable_still_signs_out_on_this_instance()
    {
        var app = await StartAsync("127.0.0.1:1,connectTimeout=500");
        using var client = ClientOf(app);
        _sessions[SessionValue] = "alice";
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(client, "/app/dashboard"));
        _sessions.TryRemove(SessionValue, out _);

        Assert.Equal(HttpStatusCode.Redirect, await StatusAsync(client, "/signout"));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(client, "/app/dashboard"));
    }

    [Fact]
    public async Task Instances_name_a_session_alike_and_a_forged_message_for_another_session_drops_nothing()
    {
        var a = await StartAsync();
        var b = await StartAsync();
        Assert.NotNull(a.Services.GetRequiredService<StackExchangeRedis.RedisForwardAuthSignOutNotifier>().SharedSecret);
        Assert.Equal(
            a.Services.GetRequiredService<StackExchangeRedis.RedisForwardAuthSignOutNotifier>().SharedSecret,
            b.Services.GetRequiredService<StackExchangeRedis.RedisForwardAuthSignOutNotifier>().SharedSecret);
        using var clientB = ClientOf(b);
        _sessions[SessionValue] = "alice";
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(clientB, "/app/dashboard"));
        _sessions.TryRemove(SessionValue, out _);

        using var publisher = await ConnectionMultiplexer.ConnectAsync(TestEnvironment.RedisConfiguration);
        var channel = RedisChannel.Literal(_prefix + ":revocations");
        await publisher.GetSubscriber().PublishAsync(channel, "f:ForwardAuth:" + new string('0', 64));
        await publisher.GetSubscriber().PublishAsync(channel, "f:ForwardAuth:" + SessionValue);
        await publisher.GetSubscriber().PublishAsync(channel, "f:" + new string('a', 64));
        await Task.Delay(200);

        Assert.Equal(HttpStatusCode.OK, await StatusAsync(clientB, "/app/dashboard"));
    }

    [Fact]
    public async Task A_shared_secret_too_short_in_Redis_is_not_used_and_is_logged_as_rejected_not_as_Redis_unreachable()
    {
        using var writer = await ConnectionMultiplexer.ConnectAsync(TestEnvironment.RedisConfiguration);
        await writer.GetDatabase().StringSetAsync(_prefix + ":forward-auth-secret", new byte[] { 1, 2, 3 });
        var logs = new AuthPatterns.Tests.LogCapture();

        var app = await StartAsync(logs: logs);

        Assert.Null(app.Services.GetRequiredService<StackExchangeRedis.RedisForwardAuthSignOutNotifier>().SharedSecret);
        Assert.True(logs.Any(5015), "the rejected secret is not logged as 5015");
        Assert.False(logs.Any(5011), "a rejected secret is logged as a Redis failure");
    }

    private async Task<WebApplication> StartAsync(string? redis = null, ILoggerProvider? logs = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Development" });
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        if (logs is not null)
        {
            builder.Logging.AddProvider(logs);
        }

        builder.Services.AddLayeredAuth()
            .AddForwardAuth(o =>
            {
                o.UseAuthelia(_portalUrl);
                o.AllowedHosts.Add("app.example.com");
                o.MapGroup("admins", "orders:read");

                // Long enough that only the broadcast can explain a refusal within the test.
                o.CacheDuration = TimeSpan.FromMinutes(1);
            })
            .AddRedis(o =>
            {
                o.Configuration = redis ?? TestEnvironment.RedisConfiguration;
                o.KeyPrefix = _prefix;
            });
        var app = builder.Build();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapGet("/app/dashboard", () => "ok").RequireAuthorization().AllowSchemes(LayeredAuthSchemes.ForwardAuth);
        app.MapForwardAuthSignOut("/signout");
        _apps.Add(app);
        await app.StartAsync();
        return app;
    }

    private static HttpClient ClientOf(WebApplication app)
    {
        var client = app.GetTestClient();
        client.BaseAddress = new Uri("https://app.example.com/");
        return client;
    }

    private static async Task<HttpStatusCode> StatusAsync(HttpClient client, string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("Cookie", Cookie);
        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }
}
