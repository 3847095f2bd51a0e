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

/// <summary>Looks up an id no key has; any answer is healthy, an exception is not.</summary>
internal sealed class ApiKeyStoreHealthCheck(IApiKeyStore store) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await store.FindByIdAsync("000000000000", cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // The exception goes to the health-check log, not into the response description.
            return new HealthCheckResult(context.Registration.FailureStatus, "The API-key store did not answer.", exception);
        }
    }
}
