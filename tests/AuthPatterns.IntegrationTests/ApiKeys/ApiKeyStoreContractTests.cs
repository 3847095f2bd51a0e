using System.Net;
using AuthPatterns.ApiKeys;
using AuthPatterns.EntityFrameworkCore;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Time.Testing;

namespace AuthPatterns.IntegrationTests.ApiKeys;

/// <summary>
/// The API-key store on Entity Framework Core, through the manager and real HTTP requests, against a real database.
/// Each derived class gets a database of its own.
/// </summary>
public abstract class ApiKeyStoreContractTests : IAsyncLifetime
{
    private WebApplication _app = null!;

    protected FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero).AddTicks(1234567));

    private ApiKeyManager Manager => _app.Services.GetRequiredService<ApiKeyManager>();

    private IApiKeyStore Store => _app.Services.GetRequiredService<IApiKeyStore>();

    /// <summary>How finely the database keeps a time: PostgreSQL's timestamptz to the microsecond, SQLite's text to the tick.</summary>
    protected virtual long PrecisionTicks => 1;

    protected abstract void UseDatabase(DbContextOptionsBuilder options);

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Development" });
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<TimeProvider>(Time);
        builder.Services.AddDbContext<ApiKeyDbContext>(UseDatabase);
        builder.Services.AddLayeredAuth().AddApiKeys(options =>
        {
            options.HashMemorySize = 64;
            options.HashIterations = 1;
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
    public async Task A_created_key_round_trips_without_its_secret_and_authenticates()
    {
        var created = await Manager.CreateAsync(new ApiKeyCreateRequest
        {
            OwnerId = "partner-1",
            Tenant = "acme",
            Name = "billing webhook",
            Scopes = ["events:write", "profile:read"],
            Lifetime = TimeSpan.FromDays(90),
            AllowedNetworks = ["10.0.0.0/8"],
        });

        var info = await Manager.GetAsync(created.Info.Id);
        Assert.NotNull(info);
        Assert.Equal(
            created.Info with { CreatedAt = Kept(created.Info.CreatedAt), ExpiresAt = Kept(created.Info.ExpiresAt!.Value) },
            info with { Scopes = created.Info.Scopes, AllowedNetworks = created.Info.AllowedNetworks });
        Assert.Equal(["events:write", "profile:read"], info.Scopes);
        Assert.Equal(["10.0.0.0/8"], info.AllowedNetworks);
        Assert.Equal(Kept(Time.GetUtcNow() + TimeSpan.FromDays(90)), info.ExpiresAt);

        await using (var scope = _app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<ApiKeyDbContext>();
            var row = await db.Set<ApiKeyRecord>().AsNoTracking().SingleAsync();
            Assert.StartsWith("$argon2id$v=19$m=64,t=1,p=1$", row.Hash, StringComparison.Ordinal);
            var secret = created.Key[(created.Key.LastIndexOf('_') + 1)..];
            Assert.DoesNotContain(secret, System.Text.Json.JsonSerializer.Serialize(row), StringComparison.Ordinal);
        }

        var allowed = await SendAsync(created.Key, "10.1.1.1");
        var refused = await SendAsync(created.Key, "192.168.0.1");
        Assert.Equal(HttpStatusCode.Accepted, allowed);
        Assert.Equal(HttpStatusCode.Unauthorized, refused);
    }

    [Fact]
    public async Task Revocation_roll_and_changes_are_stored_and_take_effect_at_once()
    {
        var created = await Manager.CreateAsync(new ApiKeyCreateRequest { OwnerId = "o", Scopes = ["events:write"], Lifetime = TimeSpan.FromDays(30) });
        Assert.Equal(HttpStatusCode.Accepted, await SendAsync(created.Key));

        Time.Advance(TimeSpan.FromMinutes(1));
        var rolled = await Manager.RollAsync(created.Info.Id, TimeSpan.FromHours(1));
        Assert.Equal(created.Info.Id, rolled!.Info.RolledFromId);
        Assert.Equal(Kept(Time.GetUtcNow() + TimeSpan.FromHours(1)), (await Manager.GetAsync(created.Info.Id))!.ExpiresAt);

        await Manager.SetScopesAsync(rolled.Info.Id, ["profile:read"]);
        Assert.Equal(HttpStatusCode.Forbidden, await SendAsync(rolled.Key));

        Assert.True(await Manager.RevokeAsync(created.Info.Id, "rolled and retired"));
        Assert.Equal(HttpStatusCode.Unauthorized, await SendAsync(created.Key));

        var listed = await Manager.ListAsync(ownerId: "o");
        Assert.Equal([rolled.Info.Id, created.Info.Id], listed.Select(k => k.Id));
        Assert.Equal("rolled and retired", listed[1].RevocationReason);

        await Manager.SetExpiryAsync(rolled.Info.Id, null);
        Assert.Null((await Manager.GetAsync(rolled.Info.Id))!.ExpiresAt);
    }

    [Fact]
    public async Task Last_uses_and_usage_events_are_written_in_batches_and_pruned()
    {
        var created = await Manager.CreateAsync(new ApiKeyCreateRequest { OwnerId = "o", Scopes = ["events:write"] });
        var t0 = Time.GetUtcNow();
        await Store.RecordLastUsesAsync([new ApiKeyLastUse(created.Info.Id, t0, "10.0.0.1")]);
        await Store.RecordLastUsesAsync([new ApiKeyLastUse(created.Info.Id, t0 - TimeSpan.FromMinutes(1), "10.0.0.2")]);
        var info = await Manager.GetAsync(created.Info.Id);
        Assert.Equal(Kept(t0), info!.LastUsedAt);
        Assert.Equal("10.0.0.1", info.LastUsedAddress);

        await Store.AddUsageEventsAsync(
        [
            new ApiKeyUsageEvent { KeyId = created.Info.Id, OccurredAt = t0 - TimeSpan.FromDays(40), Method = "POST", Route = "/webhooks/events", StatusCode = 202 },
            new ApiKeyUsageEvent { KeyId = created.Info.Id, OccurredAt = t0, Method = "GET", Route = "/api/profile", StatusCode = 200, Address = "10.0.0.1" },
        ]);
        Assert.Equal(2, (await Store.ListUsageEventsAsync(created.Info.Id, DateTimeOffset.MinValue.AddYears(2000))).Count);
        Assert.Equal(1, await Store.DeleteUsageEventsAsync(t0 - TimeSpan.FromDays(30)));
        var left = Assert.Single(await Store.ListUsageEventsAsync(created.Info.Id, t0));
        Assert.Equal(("GET", "/api/profile", 200, "10.0.0.1", Kept(t0)), (left.Method, left.Route, left.StatusCode, left.Address, left.OccurredAt));

        await Store.UpdateHashAsync(created.Info.Id, "$argon2id$v=19$m=128,t=1,p=1$x$y");
        Assert.Equal("$argon2id$v=19$m=128,t=1,p=1$x$y", (await Store.FindByIdAsync(created.Info.Id))!.Hash);
    }

    [Fact]
    public async Task Usage_counts_add_up_per_key_hour_and_outcome_ignore_unknown_keys_and_are_pruned()
    {
        var created = await Manager.CreateAsync(new ApiKeyCreateRequest { OwnerId = "o", Scopes = ["events:write"] });
        var other = await Manager.CreateAsync(new ApiKeyCreateRequest { OwnerId = "o", Scopes = ["events:write"] });
        var hour = ApiKeyUsageCount.PeriodOf(Time.GetUtcNow());
        ApiKeyUsageCount Count(string keyId, DateTimeOffset at, string outcome, long n) => new() { KeyId = keyId, PeriodStart = at, Outcome = outcome, Count = n };

        await Store.AddUsageCountsAsync(
        [
            Count(created.Info.Id, hour, ApiKeyOutcomes.Valid, 5),
            Count(created.Info.Id, hour, ApiKeyOutcomes.InvalidSecret, 2),
            Count(created.Info.Id, hour - TimeSpan.FromDays(100), ApiKeyOutcomes.Valid, 7),
            Count("AAAAAAAAAAAA", hour, ApiKeyOutcomes.Exposed, 9),
            Count(other.Info.Id, hour, "made_up", 4),
        ]);
        await Store.AddUsageCountsAsync([Count(created.Info.Id, hour, ApiKeyOutcomes.Valid, 3), Count(other.Info.Id, hour + TimeSpan.FromMinutes(30), ApiKeyOutcomes.Revoked, 1)]);

        var counts = (await Store.ListUsageCountsAsync(null, hour)).Select(c => (c.KeyId, c.PeriodStart, c.Outcome, c.Count)).OrderBy(c => c.ToString(), StringComparer.Ordinal).ToArray();
        var expected = new[]
        {
            (created.Info.Id, hour, ApiKeyOutcomes.Valid, 8L),
            (created.Info.Id, hour, ApiKeyOutcomes.InvalidSecret, 2L),
            (other.Info.Id, hour, ApiKeyOutcomes.Revoked, 1L),
        }.OrderBy(c => c.ToString(), StringComparer.Ordinal).ToArray();
        Assert.Equal(expected, counts);
        Assert.Equal(3, (await Store.ListUsageCountsAsync(created.Info.Id, DateTimeOffset.UnixEpoch)).Count);

        Assert.Equal(1, await Store.DeleteUsageCountsAsync(hour - TimeSpan.FromDays(90)));
        Assert.Equal(2, (await Store.ListUsageCountsAsync(created.Info.Id, DateTimeOffset.UnixEpoch)).Count);
    }

    [Fact]
    public async Task Usage_counts_written_by_several_instances_at_once_add_up()
    {
        var created = await Manager.CreateAsync(new ApiKeyCreateRequest { OwnerId = "o", Scopes = ["events:write"] });
        var hour = ApiKeyUsageCount.PeriodOf(Time.GetUtcNow());

        // Eight writers each add 1 to rows none of them finds at first: the losers of the insert race add by UPDATE.
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => Store.AddUsageCountsAsync(
        [
            new ApiKeyUsageCount { KeyId = created.Info.Id, PeriodStart = hour, Outcome = ApiKeyOutcomes.Valid, Count = 1 },
            new ApiKeyUsageCount { KeyId = created.Info.Id, PeriodStart = hour, Outcome = ApiKeyOutcomes.RateLimited, Count = 2 },
        ]))));

        var counts = await Store.ListUsageCountsAsync(created.Info.Id, hour);
        Assert.Equal(8, counts.Single(c => c.Outcome == ApiKeyOutcomes.Valid).Count);
        Assert.Equal(16, counts.Single(c => c.Outcome == ApiKeyOutcomes.RateLimited).Count);
    }

    [Fact]
    public async Task Requests_served_and_refused_are_counted_in_the_database()
    {
        var created = await Manager.CreateAsync(new ApiKeyCreateRequest { OwnerId = "o", Scopes = ["events:write"] });
        Assert.Equal(HttpStatusCode.Accepted, await SendAsync(created.Key));
        Assert.Equal(HttpStatusCode.Accepted, await SendAsync(created.Key));
        Assert.True(await Manager.RevokeAsync(created.Info.Id, "leaked"));
        Assert.Equal(HttpStatusCode.Unauthorized, await SendAsync(created.Key));

        await _app.Services.GetRequiredService<ApiKeyUsageRecorder>().FlushAsync();

        var counts = await Store.ListUsageCountsAsync(created.Info.Id, DateTimeOffset.UnixEpoch);
        Assert.Equal(2, counts.Single(c => c.Outcome == ApiKeyOutcomes.Valid).Count);
        Assert.Equal(1, counts.Single(c => c.Outcome == ApiKeyOutcomes.Revoked).Count);
        Assert.All(counts, c => Assert.Equal(ApiKeyUsageCount.PeriodOf(Time.GetUtcNow()), c.PeriodStart));
    }

    [Fact]
    public async Task The_last_use_of_real_requests_is_flushed_to_the_database()
    {
        var created = await Manager.CreateAsync(new ApiKeyCreateRequest { OwnerId = "o", Scopes = ["events:write"] });
        Assert.Equal(HttpStatusCode.Accepted, await SendAsync(created.Key, "10.2.3.4"));

        await _app.Services.GetRequiredService<ApiKeyUsageRecorder>().FlushAsync();

        var info = await Manager.GetAsync(created.Info.Id);
        Assert.Equal(Kept(Time.GetUtcNow()), info!.LastUsedAt);
        Assert.Equal("10.2.3.4", info.LastUsedAddress);
    }

    [Fact]
    public async Task Finding_8_3_roll_revoke_and_scope_changes_racing_200_times_lose_no_revocation()
    {
        var (won, refused) = await AuthPatterns.Tests.ApiKeys.LifecycleRace.RunAsync(
            Manager,
            async id => (await Store.FindByIdAsync(id))!,
            () => Store.ListAsync(ownerId: "racer").GetAwaiter().GetResult(),
            iterations: 200);
        Assert.Equal(200, won + refused);
    }

    [Fact]
    public async Task Finding_8_3_a_stale_write_is_refused_and_no_write_clears_a_revocation()
    {
        var created = await Manager.CreateAsync(new ApiKeyCreateRequest { OwnerId = "o", Scopes = ["events:write"] });
        var stale = (await Store.FindByIdAsync(created.Info.Id))!;
        Assert.True(await Manager.RevokeAsync(created.Info.Id, "leaked"));

        stale.Scopes = ["events:write", "billing:admin"];
        Assert.False(await Store.UpdateAsync(stale));
        var successor = new ApiKeyRecord { Id = "AAAAAAAAAAAA", OwnerId = "o", Hash = "h", Scopes = ["events:write"], CreatedAt = Time.GetUtcNow() };
        Assert.False(await Store.RollAsync(successor, stale));
        Assert.Null(await Store.FindByIdAsync(successor.Id));

        var current = (await Store.FindByIdAsync(created.Info.Id))!;
        Assert.Equal(["events:write"], current.Scopes);
        current.RevokedAt = null;
        current.RevocationReason = null;
        Assert.True(await Store.UpdateAsync(current));
        var stored = (await Store.FindByIdAsync(created.Info.Id))!;
        Assert.Equal("leaked", stored.RevocationReason);
        Assert.NotNull(stored.RevokedAt);
        Assert.Equal(HttpStatusCode.Unauthorized, await SendAsync(created.Key));
    }

    [Fact]
    public async Task Finding_15_2_revocation_texts_at_the_limits_are_stored_and_invalid_ones_refused_before_any_write()
    {
        var created = await Manager.CreateAsync(new ApiKeyCreateRequest { OwnerId = new string('o', 256), Tenant = new string('t', 256), Name = new string('n', 256), Scopes = ["events:write"] });
        Assert.Equal(HttpStatusCode.Accepted, await SendAsync(created.Key));

        await Assert.ThrowsAsync<ArgumentException>(() => Manager.RevokeAsync(created.Info.Id, new string('r', 1025)));
        await Assert.ThrowsAsync<ArgumentException>(() => Manager.RevokeAsync(created.Info.Id, "leaked\0"));
        await Assert.ThrowsAsync<ArgumentException>(() => Manager.CreateAsync(new ApiKeyCreateRequest { OwnerId = "o\0", Scopes = ["events:write"] }));
        await Assert.ThrowsAsync<ArgumentException>(() => Manager.CreateAsync(new ApiKeyCreateRequest { OwnerId = new string('o', 257), Scopes = ["events:write"] }));
        Assert.Single(await Store.ListAsync());
        Assert.Null((await Store.FindByIdAsync(created.Info.Id))!.RevokedAt);
        Assert.Equal(HttpStatusCode.Accepted, await SendAsync(created.Key));

        var reason = string.Concat(Enumerable.Repeat("\ud83d\ude00", 512));
        Assert.True(await Manager.RevokeAsync(created.Info.Id, reason));
        Assert.Equal(reason, (await Store.FindByIdAsync(created.Info.Id))!.RevocationReason);
        Assert.Equal(HttpStatusCode.Unauthorized, await SendAsync(created.Key));
    }

    [Fact]
    public async Task Finding_15_8_roll_with_a_huge_grace_period_stores_no_successor()
    {
        var created = await Manager.CreateAsync(new ApiKeyCreateRequest { OwnerId = "o", Scopes = ["events:write"] });

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Manager.RollAsync(created.Info.Id, TimeSpan.MaxValue));
        Assert.Single(await Store.ListAsync());
        Assert.Null((await Store.FindByIdAsync(created.Info.Id))!.ExpiresAt);

        await Manager.SetExpiryAsync(created.Info.Id, DateTimeOffset.MaxValue);
        var rolled = await Manager.RollAsync(created.Info.Id, ApiKeyManager.MaxGracePeriod);
        Assert.Equal(DateTimeOffset.MaxValue, (await Store.FindByIdAsync(rolled!.Info.Id))!.ExpiresAt);
    }

    private DateTimeOffset Kept(DateTimeOffset time) => new(time.UtcTicks - (time.UtcTicks % PrecisionTicks), TimeSpan.Zero);

    private async Task<HttpStatusCode> SendAsync(string key, string? address = null)
    {
        var context = await _app.GetTestServer().SendAsync(context =>
        {
            context.Request.Method = "POST";
            context.Request.Path = "/webhooks/events";
            context.Request.Headers["X-API-Key"] = key;
            if (address is not null)
            {
                context.Connection.RemoteIpAddress = IPAddress.Parse(address);
            }
        });
        return (HttpStatusCode)context.Response.StatusCode;
    }
}

/// <summary>The store on SQLite, the embedded default: a database file of its own.</summary>
public sealed class SqliteApiKeyStoreTests : ApiKeyStoreContractTests
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"authpatterns-apikeys-{Guid.NewGuid():N}.db");

    protected override void UseDatabase(DbContextOptionsBuilder options) => options.UseSqlite($"Data Source={_path};Pooling=False");
}

/// <summary>The store on the PostgreSQL that tests/run.sh starts: a database of its own, dropped afterwards.</summary>
public sealed class PostgresApiKeyStoreTests : ApiKeyStoreContractTests
{
    private readonly string _connectionString = new Npgsql.NpgsqlConnectionStringBuilder(TestEnvironment.PostgresConnectionString)
    {
        Database = $"apikeys_{Guid.NewGuid():N}",
    }.ConnectionString;

    protected override long PrecisionTicks => TimeSpan.TicksPerMicrosecond;

    protected override void UseDatabase(DbContextOptionsBuilder options) => options.UseNpgsql(_connectionString);
}

/// <summary>
/// The model contributed to an application's own context, in a schema of its own, beside the application's tables,
/// on the PostgreSQL that tests/run.sh starts.
/// </summary>
public sealed class ApplicationContextApiKeyStoreTests : IAsyncLifetime
{
    private readonly string _schema = $"keys_{Guid.NewGuid():N}";
    private ServiceProvider _services = null!;

    public async Task InitializeAsync()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddDbContext<OrdersContext>(o => o.UseNpgsql(TestEnvironment.PostgresConnectionString));
        services.AddSingleton(new OrdersContext.Schema(_schema));
        services.AddLayeredAuth().AddApiKeys(o =>
        {
            o.HashMemorySize = 64;
            o.HashIterations = 1;
            o.UseEntityFrameworkCore<OrdersContext>();
        });
        _services = services.BuildServiceProvider();
        await using var scope = _services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<OrdersContext>();
        var createSchema = "CREATE SCHEMA \"" + _schema + "\"";
        await db.Database.ExecuteSqlRawAsync(createSchema);
        var script = db.Database.GenerateCreateScript();
        await db.Database.ExecuteSqlRawAsync(script);
    }

    public async Task DisposeAsync()
    {
        await using (var scope = _services.CreateAsyncScope())
        {
            var dropSchema = "DROP SCHEMA \"" + _schema + "\" CASCADE";
            await scope.ServiceProvider.GetRequiredService<OrdersContext>().Database.ExecuteSqlRawAsync(dropSchema);
        }

        await _services.DisposeAsync();
    }

    [Fact]
    public async Task Keys_live_in_the_applications_context_and_schema_beside_its_own_tables()
    {
        var manager = _services.GetRequiredService<ApiKeyManager>();
        var created = await manager.CreateAsync(new ApiKeyCreateRequest { OwnerId = "o", Scopes = ["orders:read"], Tenant = "acme" });

        await using var scope = _services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<OrdersContext>();
        db.Orders.Add(new OrdersContext.Order { Id = 1, Item = "widget" });
        await db.SaveChangesAsync();

        var countKeys = "SELECT count(*)::int AS \"Value\" FROM \"" + _schema + "\".\"authpatterns_api_keys\"";
        var count = await db.Database.SqlQueryRaw<int>(countKeys).SingleAsync();
        Assert.Equal(1, count);
        Assert.Equal(1, await db.Orders.CountAsync());
        var verification = await _services.GetRequiredService<ApiKeyVerifier>().VerifyAsync(created.Key, null, default);
        Assert.True(verification.Succeeded);
    }

    /// <summary>An application's context with a table of its own and the API-key model.</summary>
    public sealed class OrdersContext(DbContextOptions<OrdersContext> options, OrdersContext.Schema schema) : DbContext(options)
    {
        public DbSet<Order> Orders => Set<Order>();

        protected override void OnModelCreating(ModelBuilder modelBuilder)
        {
            modelBuilder.HasDefaultSchema(schema.Name);
            modelBuilder.Entity<Order>().ToTable("orders");
            modelBuilder.AddAuthPatternsApiKeys(schema.Name);
        }

        public sealed record Schema(string Name);

        public sealed class Order
        {
            public int Id { get; set; }

            public string Item { get; set; } = "";
        }
    }
}
