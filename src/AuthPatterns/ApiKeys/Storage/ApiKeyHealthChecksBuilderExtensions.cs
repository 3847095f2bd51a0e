using AuthPatterns.ApiKeys;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds a health check of the API-key store.</summary>
public static class ApiKeyHealthChecksBuilderExtensions
{
    /// <summary>
    /// Checks that the API-key store answers a look-up (of an id no key has), so a broken database shows as unhealthy
    /// rather than as every key being refused.
    /// </summary>
    /// <param name="builder">The health-checks builder.</param>
    /// <param name="name">The check's name.</param>
    /// <returns>The builder.</returns>
    public static IHealthChecksBuilder AddApiKeyStoreCheck(this IHealthChecksBuilder builder, string name = "apikey-store")
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddCheck<ApiKeyStoreHealthCheck>(name, HealthStatus.Unhealthy, ["authpatterns", "apikeys"]);
    }
}
