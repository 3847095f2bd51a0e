using AuthPatterns;
using AuthPatterns.ApiKeys;
using AuthPatterns.EntityFrameworkCore;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.EntityFrameworkCore;

namespace LayeredApi;

/// <summary>
/// The sample's API-key setup: keys in a database chosen by <c>LayeredAuth:ApiKeys:Provider</c> (<c>sqlite</c>, the
/// default, or <c>postgres</c>) and <c>LayeredAuth:ApiKeys:ConnectionString</c> (the same values the
/// <c>authpatterns keys</c> tool takes). The schema is created when missing; in Development a demo key is created on
/// first start and printed once.
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
        var connectionString = section["ConnectionString"] is { Length: > 0 } configured ? configured : DefaultConnectionString;

        layered.Services.AddDbContext<ApiKeyDbContext>(options => UseProvider(options, provider, connectionString));
        layered.Services.AddHostedService<ApiKeysSampleInitializer>();
        return layered.AddApiKeys(keys => keys.UseEntityFrameworkCore<ApiKeyDbContext>());
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
    private sealed class ApiKeysSampleInitializer(IServiceProvider services, IHostEnvironment environment) : IHostedLifecycleService
    {
        private string? _demoKey;

        public async Task StartingAsync(CancellationToken cancellationToken)
        {
            await using var scope = services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<ApiKeyDbContext>();
            await db.Database.EnsureCreatedAsync(cancellationToken);

            if (environment.IsDevelopment() && !await db.Set<ApiKeyRecord>().AnyAsync(cancellationToken))
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
                _demoKey = created.Key;
            }
        }

        public Task StartedAsync(CancellationToken cancellationToken)
        {
            if (_demoKey is not null)
            {
                var address = services.GetService<IServer>()?.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault() ?? "http://localhost:5080";

                // Printed once, to the console only (never to a log sink); it is not stored and cannot be shown again.
                Console.WriteLine();
                Console.WriteLine("Demo API key (shown once, not stored; scopes events:write profile:read invoices:read, tenant acme):");
                Console.WriteLine($"  {_demoKey}");
                Console.WriteLine($"  curl -i -X POST {address.TrimEnd('/')}/webhooks/events -H \"X-API-Key: {_demoKey}\"");
                Console.WriteLine();
                _demoKey = null;
            }

            return Task.CompletedTask;
        }

        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
