using AuthPatterns.Issuing;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds a health check of the signing key ring (see <c>AddSigningKeyRing</c>).</summary>
public static class SigningKeyRingHealthChecksBuilderExtensions
{
    /// <summary>
    /// Checks the signing key ring: <see cref="HealthStatus.Healthy"/> with a current key and every file of the key
    /// directory usable; <see cref="HealthStatus.Degraded"/> while the good keys serve but files are ignored (unreadable,
    /// malformed, edited, or undecryptable with this application's Data Protection keys: the description names each file
    /// and why) or expired files are kept because the clock disagrees with them; the registration's failure status
    /// (<see cref="HealthStatus.Unhealthy"/>) when the ring cannot produce a key. The description never holds key material.
    /// </summary>
    /// <param name="builder">The health-checks builder.</param>
    /// <param name="name">The check's name.</param>
    /// <returns>The builder.</returns>
    public static IHealthChecksBuilder AddSigningKeyRingCheck(this IHealthChecksBuilder builder, string name = "signing-keys")
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddCheck<SigningKeyRingHealthCheck>(name, HealthStatus.Unhealthy, ["authpatterns", "jwt", "issuing"]);
    }
}

/// <summary>Reads the ring's state (refreshing it when due, as a request would).</summary>
internal sealed class SigningKeyRingHealthCheck(IServiceProvider services) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var failure = context.Registration.FailureStatus;
        var ring = services.GetService<SigningKeyRing>();
        if (ring is null)
        {
            return Task.FromResult(new HealthCheckResult(failure, "The signing key ring is not added (AddSigningKeyRing)."));
        }

        SigningKeyRingSnapshot snapshot;
        try
        {
            snapshot = ring.GetSnapshot();
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // The exception goes to the health-check log, not into the response description.
            return Task.FromResult(new HealthCheckResult(failure, "The signing key ring could not produce a key.", exception));
        }

        var issues = ring.Issues;
        var data = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["current_kid"] = snapshot.Current.KeyId,
            ["published"] = snapshot.Published.Count,
            ["ignored_files"] = issues.Count,
        };
        var problems = issues.Select(i => $"{i.File}: {i.Problem.Describe()}").ToList();
        if (ring.DeletionDeferred)
        {
            problems.Add("expired key files are kept because the clock disagrees with the key files");
        }

        var summary = $"{snapshot.Published.Count} published signing key(s); key {snapshot.Current.KeyId} signs";
        return Task.FromResult(problems.Count == 0
            ? HealthCheckResult.Healthy(summary + ".", data)
            : new HealthCheckResult(HealthStatus.Degraded, $"{summary}; {string.Join("; ", problems)}.", data: data));
    }
}
