using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace AuthPatterns.ApiKeys;

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
