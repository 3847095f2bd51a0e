using System.Net;
using AuthPatterns.ApiKeys;
using AuthPatterns.EntityFrameworkCore;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Time.Testing;

namespace AuthPatterns.IntegrationTests.ApiKeys;

/// <summary>
/// Usage recording on the PostgreSQL that tests/run.sh starts, whose columns refuse what does not fit: hostile requests
/// are stored bounded, and an event the database refuses never holds back the others. A database of its own, dropped
/// afterwards.
/// </summary>
public sealed class ApiKeyUsageOnPostgresTests : IAsyncLifetime
{
    private readonly string _connectionString = new Npgsql.NpgsqlConnectionStringBuilder(TestEnvironment.PostgresConnectionString)
    {
        Database = $"apikeys_usage_{Guid.NewGuid():N}",
    }.ConnectionString;

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));
    private WebApplication _app = null!;

    private ApiKeyManager Manager => _app.Services.GetRequiredService<ApiKeyManager>();

    private IApiKeyStore Store => _app.Services.GetRequiredService<IApiKeyStore>();

    private ApiKeyUsageRecorder Recorder => _app.Services.GetRequiredService<ApiKeyUsageRecorder>();

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Development" });
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<TimeProvider>(_time);
        builder.Services.AddDbContext<ApiKeyDbContext>(options => options.UseNpgsql(_connectionString));
        builder.Services.AddLayeredAuth().AddApiKeys(options =>
        {
            options.HashMemorySize = 64;
            options.HashIterations = 1;
            options.RecordUsageEvents = true;
            options.UsageFlushInterval = TimeSpan.FromHours(1);
            options.UseEntityFrameworkCore<ApiKeyDbContext>();
        });
        _app = builder.Build();
        _app.UseAuthentication();
        _app.UseAuthorization();
        _app.MapPost("/webhooks/events", () => Results.Accepted()).RequireScope("events:write");
        await using (var scope = _app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<ApiKeyDbContext>();
            await db.Database.EnsureDeletedAsync();
            await db.Database.EnsureCreatedAsync();
        }

        await _app.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _app.StopAsync();
        await using (var scope = _app.Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<ApiKeyDbContext>().Database.EnsureDeletedAsync();
        }

        await _app.DisposeAsync();
    }

    [Fact]
    public async Task Usage_recording_blocked_by_one_hostile_request_a_long_method_and_a_split_surrogate_path_do_not_stop_other_keys_events()
    {
        var hostile = await CreateAsync("hostile");
        var partner = await CreateAsync("partner");
        var other = await CreateAsync("other");

        Assert.Contains(await SendAsync(hostile, new string('X', 40), "/webhooks/events"), new[] { HttpStatusCode.NotFound, HttpStatusCode.MethodNotAllowed });
        Assert.Equal(HttpStatusCode.NotFound, await SendAsync(hostile, "GET", "/" + new string('a', 510) + "%F0%9F%98%80"));
        await Recorder.FlushAsync();
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.Accepted, await SendAsync(partner, "POST", "/webhooks/events"));
        Assert.Equal(HttpStatusCode.NotFound, await SendAsync(other, "GET", "/nothing/here"));
        await Recorder.FlushAsync();

        var hostileEvents = await Store.ListUsageEventsAsync(hostile.Info.Id, DateTimeOffset.MinValue);
        Assert.Contains(hostileEvents, e => e.Method == "OTHER");
        Assert.Contains(hostileEvents, e => e.Route == "/" + new string('a', 510));
        Assert.Equal(("POST", "/webhooks/events", 202), Single(await Store.ListUsageEventsAsync(partner.Info.Id, DateTimeOffset.MinValue)));
        Assert.Equal(("GET", "/nothing/here", 404), Single(await Store.ListUsageEventsAsync(other.Info.Id, DateTimeOffset.MinValue)));
    }

    [Fact]
    public async Task Usage_recording_blocked_by_one_hostile_request_an_event_the_database_refuses_is_dropped_alone_and_pending_ones_are_written_at_shutdown()
    {
        var partner = await CreateAsync("partner");
        var other = await CreateAsync("other");
        var old = new ApiKeyUsageEvent { KeyId = other.Info.Id, OccurredAt = _time.GetUtcNow() - TimeSpan.FromDays(90), Method = "GET", Route = "/old" };
        await Store.AddUsageEventsAsync([old]);

        // A key id longer than its column: PostgreSQL refuses the row, and with it any batch that holds it.
        Recorder.Record(new ApiKeyUsageEvent { KeyId = partner.Info.Id, OccurredAt = _time.GetUtcNow(), Method = "GET", Route = "/first" });
        Recorder.Record(new ApiKeyUsageEvent { KeyId = new string('k', 40), OccurredAt = _time.GetUtcNow(), Method = "GET", Route = "/refused" });
        Recorder.Record(new ApiKeyUsageEvent { KeyId = other.Info.Id, OccurredAt = _time.GetUtcNow(), Method = "GET", Route = "/second" });
        await Recorder.FlushAsync();

        Assert.Equal(["/first"], (await Store.ListUsageEventsAsync(partner.Info.Id, DateTimeOffset.MinValue)).Select(e => e.Route));
        Assert.Equal(["/second"], (await Store.ListUsageEventsAsync(other.Info.Id, DateTimeOffset.MinValue)).Select(e => e.Route));

        // Retention pruning was not held back either, and what is recorded later is written when the application stops.
        Assert.Equal(HttpStatusCode.Accepted, await SendAsync(partner, "POST", "/webhooks/events"));
        await _app.StopAsync();
        var events = await Store.ListUsageEventsAsync(partner.Info.Id, DateTimeOffset.MinValue);
        Assert.Equal(["/first", "/webhooks/events"], events.Select(e => e.Route));
        Assert.DoesNotContain(await Store.ListUsageEventsAsync(other.Info.Id, DateTimeOffset.MinValue), e => e.Route == "/old");
    }

    private static (string, string, int) Single(IReadOnlyList<ApiKeyUsageEvent> events)
    {
        var usage = Assert.Single(events);
        return (usage.Method, usage.Route, usage.StatusCode);
    }

    private Task<CreatedApiKey> CreateAsync(string owner) =>
        Manager.CreateAsync(new ApiKeyCreateRequest { OwnerId = owner, Scopes = ["events:write"] });

    private async Task<HttpStatusCode> SendAsync(CreatedApiKey key, string method, string path)
    {
        var context = await _app.GetTestServer().SendAsync(context =>
        {
            context.Request.Method = method;
            context.Request.Path = PathString.FromUriComponent(path);
            context.Request.Headers["X-API-Key"] = key.Key;
        });
        return (HttpStatusCode)context.Response.StatusCode;
    }
}
