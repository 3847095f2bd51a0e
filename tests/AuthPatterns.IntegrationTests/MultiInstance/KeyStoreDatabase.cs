using AuthPatterns.ApiKeys;
using AuthPatterns.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;

namespace AuthPatterns.IntegrationTests.MultiInstance;

/// <summary>
/// A PostgreSQL database of its own holding the key tables, and the test's own door to it (what the
/// <c>authpatterns</c> tool does: an <see cref="ApiKeyManager"/> on the same store, outside the app instances). Dropped
/// on dispose.
/// </summary>
internal sealed class KeyStoreDatabase : IAsyncDisposable
{
    /// <summary>The Argon2id cost the test and its instances share: cheap, so a hundred keys take no time.</summary>
    public const int HashMemorySize = 1024;

    private readonly ServiceProvider _services;

    private KeyStoreDatabase(string connectionString, ServiceProvider services)
    {
        ConnectionString = connectionString;
        _services = services;
    }

    public string ConnectionString { get; }

    public ApiKeyManager Manager => _services.GetRequiredService<ApiKeyManager>();

    public IApiKeyStore Store => _services.GetRequiredService<IApiKeyStore>();

    /// <summary>Creates a uniquely named database on the server <paramref name="serverConnectionString"/> points at.</summary>
    public static async Task<KeyStoreDatabase> CreateAsync(string serverConnectionString)
    {
        var connectionString = new Npgsql.NpgsqlConnectionStringBuilder(serverConnectionString)
        {
            Database = $"apikeys_instances_{Guid.NewGuid():N}",
        }.ConnectionString;
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddDbContext<ApiKeyDbContext>(options => options.UseNpgsql(connectionString));
        services.AddLayeredAuth().AddApiKeys(options =>
        {
            options.UseEntityFrameworkCore<ApiKeyDbContext>();
            options.HashMemorySize = HashMemorySize;
            options.HashIterations = 1;
        });
        var provider = services.BuildServiceProvider();
        await using (var scope = provider.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<ApiKeyDbContext>().Database.EnsureCreatedAsync();
        }

        return new KeyStoreDatabase(connectionString, provider);
    }

    /// <summary>Creates a key through the store directly, as the tool does.</summary>
    public async Task<CreatedApiKey> CreateKeyAsync(string owner, params string[] scopes) =>
        await Manager.CreateAsync(new ApiKeyCreateRequest { OwnerId = owner, Scopes = scopes.Length > 0 ? scopes : ["profile:read"] });

    public async ValueTask DisposeAsync()
    {
        try
        {
            await using var scope = _services.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<ApiKeyDbContext>().Database.EnsureDeletedAsync();
        }
        catch (Exception exception) when (exception is Npgsql.NpgsqlException or InvalidOperationException)
        {
            // The server is down (a cluster of the test's own, removed with its directory).
        }

        await _services.DisposeAsync();
    }
}
