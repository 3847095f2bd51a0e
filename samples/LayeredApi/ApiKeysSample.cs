using AuthPatterns;
using AuthPatterns.ApiKeys;
using AuthPatterns.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;

namespace LayeredApi;

/// <summary>
/// The sample's API-key setup: keys in a database chosen by <c>LayeredAuth:ApiKeys:Provider</c> (<c>sqlite</c>, the
/// default, or <c>postgres</c>) and <c>LayeredAuth:ApiKeys:ConnectionString</c> (the same values the
/// <c>authpatterns keys</c> tool takes). The schema is created when missing; in Development a demo key is created on
/// first start and printed once (see <see cref="SampleGuide"/>).
/// </summary>
public static class ApiKeysSample
{
    /// <summary>The connection string used when none is configured: a SQLite file beside the app.</summary>
    public const string DefaultConnectionString = "Data Source=authpatterns-keys.db";

    /// <summary>Adds the API-key scheme with the configured store.</summary>
    /// <param name="layered">The layered builder.</param>
    /// <param name="configuration">The application's configuration.</param>
    /// <returns>The builder.</returns>
    public static LayeredAuthBuilder AddApiKeysSample(this LayeredAuthBuilder layered, IConfiguration configuration)
    {
        var section = configuration.GetSection("LayeredAuth:ApiKeys");
        var provider = section["Provider"] ?? "sqlite";
        var connectionString = ConnectionString(section, provider);

        layered.Services.AddDbContext<ApiKeyDbContext>(options => UseProvider(options, provider, connectionString));
        layered.Services.AddSingleton(new KeyStoreArguments(ToolArguments(provider, connectionString)));
        layered.Services.AddHostedService<ApiKeysSampleInitializer>();
        return layered.AddApiKeys(keys => keys.UseEntityFrameworkCore<ApiKeyDbContext>());
    }

    // Missing: the embedded SQLite default. Set but empty, or missing on PostgreSQL (which has no default): a startup error
    // naming the setting, rather than a store every key request then fails against.
    private static string ConnectionString(IConfigurationSection section, string provider)
    {
        var configured = section["ConnectionString"];
        if (configured is null && provider.Equals("sqlite", StringComparison.OrdinalIgnoreCase))
        {
            return DefaultConnectionString;
        }

        return string.IsNullOrWhiteSpace(configured)
            ? throw new InvalidOperationException($"LayeredAuth:ApiKeys:ConnectionString is {(configured is null ? "missing" : "empty")}: the '{provider}' key store needs one (the environment variable LayeredAuth__ApiKeys__ConnectionString).")
            : configured;
    }

    // What the tool needs to reach the same store. A SQLite file is named by its full path (the tool runs elsewhere); a
    // server's connection string may hold a password, so it is referred to by its environment variable, never printed.
    private static string ToolArguments(string provider, string connectionString)
    {
        if (!provider.Equals("sqlite", StringComparison.OrdinalIgnoreCase))
        {
            return $"--provider {provider} --connection \"$LayeredAuth__ApiKeys__ConnectionString\"";
        }

        var file = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(connectionString) { };
        file.DataSource = Path.GetFullPath(file.DataSource);
        return $"--connection \"{file.ConnectionString}\"";
    }

    /// <summary>The route prefix of the key management endpoints.</summary>
    public const string ManagementPrefix = "/admin/api-keys";

    /// <summary>
    /// Maps the key management endpoints under <see cref="ManagementPrefix"/>: a caller needs <c>apikeys:manage</c>, and
    /// <c>apikeys:admin</c> to manage other owners' keys; it grants only scopes it holds. A change made there reaches
    /// the other instances through Redis when it is on.
    /// </summary>
    /// <param name="app">The application.</param>
    /// <returns>The application.</returns>
    public static WebApplication MapApiKeysSample(this WebApplication app)
    {
        app.MapApiKeyManagement(ManagementPrefix);
        return app;
    }

    /// <summary>Points a context at SQLite or PostgreSQL.</summary>
    /// <param name="options">The context options.</param>
    /// <param name="provider"><c>sqlite</c> or <c>postgres</c>.</param>
    /// <param name="connectionString">The connection string.</param>
    /// <returns>The options.</returns>
    public static DbContextOptionsBuilder UseProvider(DbContextOptionsBuilder options, string provider, string connectionString) =>
        provider.ToLowerInvariant() switch
        {
            "sqlite" => options.UseSqlite(connectionString),
            "postgres" or "postgresql" or "npgsql" => options.UseNpgsql(connectionString),
            _ => throw new InvalidOperationException($"LayeredAuth:ApiKeys:Provider must be 'sqlite' or 'postgres'; '{provider}' is not supported."),
        };

    /// <summary>Creates the schema before the app serves, and a demo key on the first start in Development.</summary>
    private sealed record KeyStoreArguments(string Value);

    private sealed class ApiKeysSampleInitializer(IServiceProvider services, IHostEnvironment environment, SampleGuide guide, KeyStoreArguments arguments) : IHostedLifecycleService
    {

        public async Task StartingAsync(CancellationToken cancellationToken)
        {
            await using var scope = services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<ApiKeyDbContext>();
            await db.Database.EnsureApiKeyTablesCreatedAsync(cancellationToken);
            guide.KeyStoreArguments = arguments.Value;
            if (!environment.IsDevelopment())
            {
                return;
            }

            guide.DemoKeyExists = await db.Set<ApiKeyRecord>().AnyAsync(r => r.OwnerId == "demo-partner", cancellationToken);
            if (!guide.DemoKeyExists)
            {
                var created = await services.GetRequiredService<ApiKeyManager>().CreateAsync(
                    new ApiKeyCreateRequest
                    {
                        OwnerId = "demo-partner",
                        Tenant = "acme",
                        Name = "demo key",
                        Scopes = ["events:write", "profile:read", "invoices:read"],
                        IsTest = true,
                    },
                    cancellationToken);
                guide.NewDemoKey = created.Key;
            }
        }

        public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
