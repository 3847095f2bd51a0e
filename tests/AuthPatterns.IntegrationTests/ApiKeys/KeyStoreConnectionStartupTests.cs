using AuthPatterns.EntityFrameworkCore;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;

namespace AuthPatterns.IntegrationTests.ApiKeys;

/// <summary>A key store whose context has no connection string fails at startup, naming the context, not with 503s later.</summary>
public sealed class KeyStoreConnectionStartupTests
{
    public static TheoryData<string, Action<DbContextOptionsBuilder>> MissingConnections => new()
    {
        { "a missing ConnectionStrings entry", db => db.UseSqlite(new ConfigurationBuilder().Build().GetConnectionString("Keys")) },
        { "no connection string at all", db => db.UseSqlite() },
        { "a missing PostgreSQL connection string", db => db.UseNpgsql() },
    };

    [Theory]
    [MemberData(nameof(MissingConnections))]
    public async Task Missing_key_store_connection_string_fails_startup_naming_the_context(string _, Action<DbContextOptionsBuilder> configure)
    {
        await using var app = Build(configure);
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => app.StartAsync());
        Assert.Contains("The DbContext ApiKeyDbContext has no connection string", error.Message, StringComparison.Ordinal);
        Assert.Contains("ConnectionStrings:", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Key_store_with_a_connection_string_starts()
    {
        await using var app = Build(db => db.UseSqlite("Data Source=:memory:"));
        await app.StartAsync();
        await app.StopAsync();
    }

    private static WebApplication Build(Action<DbContextOptionsBuilder> configure)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        builder.Services.AddDbContext<ApiKeyDbContext>(configure);
        builder.Services.AddLayeredAuth().AddApiKeys(keys => keys.UseEntityFrameworkCore<ApiKeyDbContext>());
        return builder.Build();
    }
}
