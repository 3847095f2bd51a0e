using AuthPatterns.ApiKeys;
using AuthPatterns.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Stores API keys with Entity Framework Core.</summary>
public static class ApiKeyEntityFrameworkCoreExtensions
{
    /// <summary>
    /// Stores keys through <typeparamref name="TContext"/>, which the application registers (<c>AddDbContext</c>) and whose
    /// model includes <see cref="ApiKeyModelBuilderExtensions.AddAuthPatternsApiKeys"/> (or which is an
    /// <see cref="ApiKeyDbContext"/>).
    /// </summary>
    /// <remarks>
    /// The store is created when the host starts; a relational <typeparamref name="TContext"/> without a connection string
    /// (a missing or empty <c>ConnectionStrings:...</c> entry) fails startup then, naming the context, instead of
    /// answering every key with 503 <c>store_unavailable</c>.
    /// </remarks>
    /// <typeparam name="TContext">The application's context.</typeparam>
    /// <param name="options">The API-key options.</param>
    /// <returns>The options.</returns>
    public static ApiKeyAuthenticationOptions UseEntityFrameworkCore<TContext>(this ApiKeyAuthenticationOptions options)
        where TContext : DbContext
    {
        ArgumentNullException.ThrowIfNull(options);
        options.StoreFactory = services =>
        {
            EnsureConnectionString<TContext>(services);
            return new EntityFrameworkCoreApiKeyStore<TContext>(services.GetRequiredService<IServiceScopeFactory>());
        };
        return options;
    }

    private static void EnsureConnectionString<TContext>(IServiceProvider services)
        where TContext : DbContext
    {
        using var scope = services.CreateScope();
        var database = scope.ServiceProvider.GetRequiredService<TContext>().Database;
        if (database.IsRelational() && string.IsNullOrWhiteSpace(database.GetConnectionString()))
        {
            throw new InvalidOperationException(
                $"The DbContext {typeof(TContext).Name} has no connection string, so the API-key store "
                + $"(UseEntityFrameworkCore<{typeof(TContext).Name}>()) cannot reach its database: set the connection string the "
                + "application passes to AddDbContext (for example ConnectionStrings:Keys), and make sure it is not empty.");
        }
    }
}
