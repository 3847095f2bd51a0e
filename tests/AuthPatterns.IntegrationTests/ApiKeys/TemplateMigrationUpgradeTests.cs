using System.Reflection;
using AuthPatterns.ApiKeys;
using LayeredApp;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.Time.Testing;

namespace AuthPatterns.IntegrationTests.ApiKeys;

/// <summary>
/// The project template's migrations (compiled here from templates/content/LayeredApp), against a real database: a database
/// made by the migrations of the earlier version, holding keys in PascalCase tick columns, is upgraded by
/// SnakeCaseColumnsAndTimestamps without losing a key, a time or a usage row, and the keys then verify through the store.
/// </summary>
public abstract class TemplateMigrationUpgradeTests : IAsyncLifetime
{
    private const string LastEarlierMigration = "UsageCounts";

    // Times with sub-microsecond ticks, one before 1970 (kept to the microsecond, as PostgreSQL keeps it) and one that never comes.
    private static readonly DateTimeOffset Created = new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero).AddTicks(1234567);
    private static readonly DateTimeOffset Expires = Created.AddDays(90).AddTicks(3);
    private static readonly DateTimeOffset LastUsed = Created.AddMinutes(5).AddTicks(7654321);
    private static readonly DateTimeOffset Revoked = Created.AddHours(1).AddTicks(10);
    private static readonly DateTimeOffset LongAgo = new DateTimeOffset(1969, 7, 20, 20, 17, 40, TimeSpan.Zero).AddTicks(1234560);
    private static readonly DateTimeOffset Hour = ApiKeyUsageCount.PeriodOf(Created);

    private ServiceProvider _services = null!;

    /// <summary>How finely the provider keeps a time.</summary>
    protected abstract long PrecisionTicks { get; }

    protected abstract void UseDatabase(DbContextOptionsBuilder options);

    /// <summary>A key's scope list as the earlier version stored it.</summary>
    protected abstract object EarlierList(params string[] values);

    public async Task InitializeAsync()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<TimeProvider>(new FakeTimeProvider(Revoked.AddHours(1)));
        services.AddDbContext<KeysDbContext>(o =>
        {
            UseDatabase(o);
            o.ReplaceService<IMigrationsAssembly, TemplateMigrationsAssembly>();
        });
        services.AddLayeredAuth().AddApiKeys(o =>
        {
            o.HashMemorySize = 64;
            o.HashIterations = 1;
            o.UseEntityFrameworkCore<KeysDbContext>();
        });
        _services = services.BuildServiceProvider();
        await using var scope = _services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<KeysDbContext>().Database.EnsureDeletedAsync();
    }

    public async Task DisposeAsync()
    {
        await using (var scope = _services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<KeysDbContext>().Database.EnsureDeletedAsync();
        }

        await _services.DisposeAsync();
    }

    [Fact]
    public async Task Upgrading_a_database_of_the_earlier_version_keeps_every_key_time_and_usage_row()
    {
        var (live, liveRecord) = await CreateKeyAsync("live");
        var (revoked, revokedRecord) = await CreateKeyAsync("revoked");
        var (expired, expiredRecord) = await CreateKeyAsync("expired");
        var (forever, foreverRecord) = await CreateKeyAsync("forever");
        liveRecord.ExpiresAt = Expires;
        liveRecord.LastUsedAt = LastUsed;
        liveRecord.LastUsedAddress = "10.0.0.7";
        revokedRecord.RevokedAt = Revoked;
        revokedRecord.RevocationReason = "leaked";
        expiredRecord.ExpiresAt = LongAgo;
        foreverRecord.ExpiresAt = DateTimeOffset.MaxValue;

        await using (var scope = _services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<KeysDbContext>();
            var missing = await Assert.ThrowsAsync<InvalidOperationException>(() => db.Database.VerifyApiKeyTablesAsync());
            Assert.StartsWith("The database has no table authpatterns_api_keys with the columns this version reads (id, ", missing.Message, StringComparison.Ordinal);
            await db.GetService<IMigrator>().MigrateAsync(LastEarlierMigration);
            var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => db.Database.VerifyApiKeyTablesAsync());
            Assert.Contains("holds API keys in the shape of an earlier AuthPatterns version", refused.Message, StringComparison.Ordinal);
            foreach (var record in new[] { liveRecord, revokedRecord, expiredRecord, foreverRecord })
            {
                await InsertEarlierKeyAsync(db, record);
            }

            await db.Database.ExecuteSqlAsync($"""
                INSERT INTO authpatterns_api_key_usage ("KeyId", "OccurredAt", "Method", "Route", "StatusCode", "Address")
                VALUES ({liveRecord.Id}, {LastUsed.UtcTicks}, 'POST', '/webhooks/events', 202, '10.0.0.7'),
                       ({liveRecord.Id}, {Created.AddDays(-40).UtcTicks}, 'GET', '/api/me', 200, NULL)
                """);
            await db.Database.ExecuteSqlAsync($"""
                INSERT INTO authpatterns_api_key_usage_counts ("KeyId", "PeriodStart", "Outcome", "Count")
                VALUES ({liveRecord.Id}, {Hour.UtcTicks}, 'valid', 41)
                """);

            await db.Database.MigrateAsync();
            Assert.Empty(await db.Database.GetPendingMigrationsAsync());
            await db.Database.VerifyApiKeyTablesAsync();
        }

        var store = _services.GetRequiredService<IApiKeyStore>();
        var keys = (await store.ListAsync()).ToDictionary(r => r.Id);
        Assert.Equal(4, keys.Count);
        AssertSameKey(liveRecord, keys[liveRecord.Id]);
        AssertSameKey(revokedRecord, keys[revokedRecord.Id]);
        AssertSameKey(expiredRecord, keys[expiredRecord.Id]);
        AssertSameKey(foreverRecord, keys[foreverRecord.Id]);

        // The converted times compare in SQL with the ones written now: "since" listings, pruning, last uses, counts.
        var events = await store.ListUsageEventsAsync(liveRecord.Id, Created.AddDays(-1));
        var recent = Assert.Single(events);
        Assert.Equal(("POST", "/webhooks/events", 202, "10.0.0.7", Kept(LastUsed)), (recent.Method, recent.Route, recent.StatusCode, recent.Address, recent.OccurredAt));
        Assert.Equal(2, (await store.ListUsageEventsAsync(liveRecord.Id, Created.AddDays(-41))).Count);
        Assert.Equal(1, await store.DeleteUsageEventsAsync(Created.AddDays(-30)));
        await store.RecordLastUsesAsync([new ApiKeyLastUse(liveRecord.Id, LastUsed.AddTicks(-10), "10.0.0.8")]);
        Assert.Equal("10.0.0.7", (await store.FindByIdAsync(liveRecord.Id))!.LastUsedAddress);
        await store.AddUsageCountsAsync([new ApiKeyUsageCount { KeyId = liveRecord.Id, PeriodStart = Hour, Outcome = "valid", Count = 1 }]);
        var count = Assert.Single(await store.ListUsageCountsAsync(liveRecord.Id, Hour));
        Assert.Equal((Hour, 42L), (count.PeriodStart, count.Count));

        var verifier = _services.GetRequiredService<ApiKeyVerifier>();
        Assert.True((await verifier.VerifyAsync(live, System.Net.IPAddress.Parse("10.0.0.7"), default)).Succeeded);
        Assert.False((await verifier.VerifyAsync(live, System.Net.IPAddress.Parse("192.0.2.1"), default)).Succeeded);
        Assert.True((await verifier.VerifyAsync(forever, null, default)).Succeeded);
        Assert.False((await verifier.VerifyAsync(revoked, null, default)).Succeeded);
        Assert.False((await verifier.VerifyAsync(expired, null, default)).Succeeded);
    }

    [Fact]
    public async Task Template_migrations_describe_the_current_model()
    {
        await using var scope = _services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<KeysDbContext>();
        Assert.False(db.Database.HasPendingModelChanges(), "The model changed without a migration in templates/content/LayeredApp/Migrations.");
        Assert.Equal(["InitialKeyStore", "UsageCounts", "SnakeCaseColumnsAndTimestamps"], db.Database.GetMigrations().Select(id => id[15..]));
    }

    private DateTimeOffset Kept(DateTimeOffset time) =>
        time == DateTimeOffset.MaxValue ? time : new DateTimeOffset(time.UtcTicks - (time.UtcTicks % PrecisionTicks), TimeSpan.Zero);

    private DateTimeOffset? Kept(DateTimeOffset? time) => time is { } value ? Kept(value) : null;

    private void AssertSameKey(ApiKeyRecord expected, ApiKeyRecord actual)
    {
        Assert.Equal(
            (expected.OwnerId, expected.Tenant, expected.Name, expected.IsTest, expected.Hash, expected.Version, expected.RevocationReason, expected.LastUsedAddress),
            (actual.OwnerId, actual.Tenant, actual.Name, actual.IsTest, actual.Hash, actual.Version, actual.RevocationReason, actual.LastUsedAddress));
        Assert.Equal(expected.Scopes, actual.Scopes);
        Assert.Equal(expected.AllowedNetworks, actual.AllowedNetworks);
        Assert.Equal(Kept(expected.CreatedAt), actual.CreatedAt);
        Assert.Equal(Kept(expected.ExpiresAt), actual.ExpiresAt);
        Assert.Equal(Kept(expected.RevokedAt), actual.RevokedAt);
        Assert.Equal(Kept(expected.LastUsedAt), actual.LastUsedAt);
    }

    // A key made by the manager (a real Argon2id hash), kept in memory, to be written in the earlier shape.
    private static async Task<(string Key, ApiKeyRecord Record)> CreateKeyAsync(string name)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<TimeProvider>(new FakeTimeProvider(Created));
        services.AddLayeredAuth().AddApiKeys(o =>
        {
            o.HashMemorySize = 64;
            o.HashIterations = 1;
        });
        await using var provider = services.BuildServiceProvider();
        var created = await provider.GetRequiredService<ApiKeyManager>().CreateAsync(new ApiKeyCreateRequest
        {
            OwnerId = "partner-" + name,
            Tenant = "acme",
            Name = name,
            Scopes = ["events:write", "profile:read"],
            AllowedNetworks = name == "live" ? ["10.0.0.0/8", "::1/128"] : [],
        });
        return (created.Key, (await provider.GetRequiredService<IApiKeyStore>().FindByIdAsync(created.Info.Id))!);
    }

    // The row the earlier version wrote: PascalCase columns, times as UTC ticks.
    private Task InsertEarlierKeyAsync(KeysDbContext db, ApiKeyRecord r) => db.Database.ExecuteSqlAsync($"""
        INSERT INTO authpatterns_api_keys ("Id", "IsTest", "OwnerId", "Tenant", "Name", "Scopes", "CreatedAt", "ExpiresAt", "RevokedAt",
            "RevocationReason", "LastUsedAt", "LastUsedAddress", "AllowedNetworks", "RolledFromId", "Hash", "Version")
        VALUES ({r.Id}, {r.IsTest}, {r.OwnerId}, {r.Tenant}, {r.Name}, {EarlierList([.. r.Scopes])}, {r.CreatedAt.UtcTicks},
            {r.ExpiresAt?.UtcTicks}, {r.RevokedAt?.UtcTicks}, {r.RevocationReason}, {r.LastUsedAt?.UtcTicks}, {r.LastUsedAddress},
            {EarlierList([.. r.AllowedNetworks])}, {r.RolledFromId}, {r.Hash}, {r.Version})
        """);

    /// <summary>The migrations of one provider's folder of the template (both are compiled into this assembly).</summary>
    private sealed class TemplateMigrationsAssembly(ICurrentDbContext current) : IMigrationsAssembly
    {
        private readonly string _namespace = "LayeredApp.Migrations." + (current.Context.Database.IsNpgsql() ? "Postgres" : "Sqlite");

        public Assembly Assembly => typeof(KeysDbContext).Assembly;

        public IReadOnlyDictionary<string, TypeInfo> Migrations => Assembly.GetTypes()
            .Where(t => t.Namespace == _namespace && t.IsSubclassOf(typeof(Migration)))
            .Select(t => (Id: t.GetCustomAttribute<MigrationAttribute>()!.Id, Type: t.GetTypeInfo()))
            .OrderBy(m => m.Id, StringComparer.Ordinal)
            .ToDictionary(m => m.Id, m => m.Type);

        public ModelSnapshot? ModelSnapshot => Assembly.GetTypes()
            .Where(t => t.Namespace == _namespace && t.IsSubclassOf(typeof(ModelSnapshot)))
            .Select(t => (ModelSnapshot)Activator.CreateInstance(t)!)
            .Single();

        public string? FindMigrationId(string nameOrId) =>
            Migrations.Keys.FirstOrDefault(id => id == nameOrId || id.EndsWith("_" + nameOrId, StringComparison.Ordinal));

        public Migration CreateMigration(TypeInfo migrationClass, string activeProvider)
        {
            var migration = (Migration)Activator.CreateInstance(migrationClass.AsType())!;
            migration.ActiveProvider = activeProvider;
            return migration;
        }
    }
}

/// <summary>The template's SQLite migrations on a database file, as a new user's app creates it.</summary>
public sealed class SqliteTemplateMigrationUpgradeTests : TemplateMigrationUpgradeTests
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"authpatterns-upgrade-{Guid.NewGuid():N}.db");

    protected override long PrecisionTicks => 1;

    protected override void UseDatabase(DbContextOptionsBuilder options) => options.UseSqlite($"Data Source={_path};Pooling=False");

    protected override object EarlierList(params string[] values) => System.Text.Json.JsonSerializer.Serialize(values);
}

/// <summary>The template's PostgreSQL migrations on the PostgreSQL that tests/run.sh starts, in a database of its own.</summary>
public sealed class PostgresTemplateMigrationUpgradeTests : TemplateMigrationUpgradeTests
{
    private readonly string _connectionString = new Npgsql.NpgsqlConnectionStringBuilder(TestEnvironment.PostgresConnectionString)
    {
        Database = $"upgrade_{Guid.NewGuid():N}",
    }.ConnectionString;

    protected override long PrecisionTicks => TimeSpan.TicksPerMicrosecond;

    protected override void UseDatabase(DbContextOptionsBuilder options) => options.UseNpgsql(_connectionString);

    protected override object EarlierList(params string[] values) => values;
}
