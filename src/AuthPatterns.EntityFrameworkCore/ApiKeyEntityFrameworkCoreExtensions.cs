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
    /// <typeparam name="TContext">The application's context.</typeparam>
    /// <param name="options">The API-key options.</param>
    /// <returns>The options.</returns>
    public static ApiKeyAuthenticationOptions UseEntityFrameworkCore<TContext>(this ApiKeyAuthenticationOptions options)
        where TContext : DbContext
    {
        ArgumentNullException.ThrowIfNull(options);
        options.StoreFactory = services => new EntityFrameworkCoreApiKeyStore<TContext>(services.GetRequiredService<IServiceScopeFactory>());
        return options;
    }
}
