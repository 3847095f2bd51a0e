using System.Globalization;
using AuthPatterns;
using AuthPatterns.Issuing;
using AuthPatterns.Jwt;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds a health check of the <see cref="LayeredAuthSchemes.Bearer"/> scheme's key source.</summary>
public static class JwtHealthChecksBuilderExtensions
{
    /// <summary>
    /// Checks the keys the JWT scheme verifies tokens with, without fetching anything. For a JWKS source:
    /// <see cref="HealthStatus.Healthy"/> while the set held comes from the latest fetch (a refresh that is due but not
    /// yet started, on an idle instance, is still healthy: the next request starts it);
    /// <see cref="HealthStatus.Degraded"/> while the last good set still serves but the fetches since have failed (the
    /// description says since when); the registration's failure status (<see cref="HealthStatus.Unhealthy"/>) while no
    /// set has been fetched yet, so no token can be validated. For <c>UseLocalSigningKeys</c>: healthy when the ring has
    /// a current key. The description never holds key material.
    /// </summary>
    /// <param name="builder">The health-checks builder.</param>
    /// <param name="name">The check's name.</param>
    /// <returns>The builder.</returns>
    public static IHealthChecksBuilder AddJwksCheck(this IHealthChecksBuilder builder, string name = "jwks")
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddCheck<JwksHealthCheck>(name, HealthStatus.Unhealthy, ["authpatterns", "jwt"]);
    }
}

/// <summary>Reads the key source's state; starts no fetch and changes nothing.</summary>
internal sealed class JwksHealthCheck(IServiceProvider services, TimeProvider time) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var failure = context.Registration.FailureStatus;
        var runtime = services.GetService<JwtSchemeRuntime>();
        var result = runtime?.KeySource switch
        {
            JwksKeySource jwks => FromJwks(jwks.GetState(), time.GetUtcNow(), failure),
            LocalSigningKeySource local => FromRing(local.Ring, time.GetUtcNow(), failure),
            _ => new HealthCheckResult(failure, "The JWT scheme is not added (AddJwt)."),
        };
        return Task.FromResult(result);
    }

    internal static HealthCheckResult FromJwks(JwksKeySourceState state, DateTimeOffset now, HealthStatus failure)
    {
        var data = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["keys"] = state.KeyCount,
            ["consecutive_failures"] = state.ConsecutiveFailures,
        };
        if (state.LastSuccess is { } fetched)
        {
            data["last_success"] = fetched;
        }

        if (state.FailingSince is { } since)
        {
            data["failing_since"] = since;
        }

        if (state.KeyCount == 0)
        {
            var why = state.FailingSince is { } first
                ? $"every fetch has failed since {Time(first)} ({Failures(state)})"
                : state.Fetching ? "the first fetch is in progress" : "no fetch has been made yet";
            return new HealthCheckResult(failure, $"No JWKS key set: {why}. No token can be validated.", data: data);
        }

        if (state.FailingSince is { } failingSince)
        {
            return new HealthCheckResult(
                HealthStatus.Degraded,
                $"Serving the last good JWKS key set, fetched at {Time(state.LastSuccess!.Value)}; fetches have failed since {Time(failingSince)} ({Failures(state)}).",
                data: data);
        }

        var due = state.FreshUntil is { } freshUntil && now >= freshUntil ? "; its scheduled refresh is due and starts on the next request" : "";
        return HealthCheckResult.Healthy($"{state.KeyCount} JWKS key(s), fetched at {Time(state.LastSuccess!.Value)}{due}.", data);
    }

    private static HealthCheckResult FromRing(SigningKeyRing ring, DateTimeOffset now, HealthStatus failure)
    {
        try
        {
            var current = ring.GetSnapshot().Current;
            return current.ActivatesAt <= now && now < current.RetiresAt
                ? HealthCheckResult.Healthy($"The local signing key ring has a current key, active until {Time(current.RetiresAt)}.")
                : new HealthCheckResult(failure, "The local signing key ring has no current key.");
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // The exception goes to the health-check log, not into the response description.
            return new HealthCheckResult(failure, "The local signing key ring could not be read.", exception);
        }
    }

    private static string Failures(JwksKeySourceState state) =>
        $"{state.ConsecutiveFailures} attempt(s), last at {Time(state.LastFailure!.Value)}: {state.LastFailureReason}";

    private static string Time(DateTimeOffset value) => value.UtcDateTime.ToString("u", CultureInfo.InvariantCulture);
}
