using AuthPatterns;
using AuthPatterns.ForwardAuth;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds a health check of the forward-auth portal.</summary>
public static class ForwardAuthHealthChecksBuilderExtensions
{
    /// <summary>
    /// Probes the portal's verify endpoint without a cookie. <see cref="HealthStatus.Healthy"/> when the portal gives an
    /// answer its contract defines for a caller without a session (401, 403, a redirect, 2xx) within half the timeout;
    /// <see cref="HealthStatus.Degraded"/> when that answer took longer; the registration's failure status
    /// (<see cref="HealthStatus.Unhealthy"/>) when the portal is unreachable, does not answer within the timeout, or
    /// answers 5xx or another 4xx (every verify call would then fail closed). Healthy, with a note, when the scheme
    /// asks no portal (<c>TrustedHeaders</c> mode).
    /// </summary>
    /// <param name="builder">The health-checks builder.</param>
    /// <param name="name">The check's name.</param>
    /// <param name="timeout">How long the probe may take; <see langword="null"/> (default) is the scheme's <c>VerifyTimeout</c>.</param>
    /// <param name="scheme">The forward-auth scheme whose portal is probed.</param>
    /// <returns>The builder.</returns>
    public static IHealthChecksBuilder AddForwardAuthPortalCheck(
        this IHealthChecksBuilder builder,
        string name = "forward-auth-portal",
        TimeSpan? timeout = null,
        string scheme = LayeredAuthSchemes.ForwardAuth)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(scheme);
        if (timeout is { } limit && (limit <= TimeSpan.Zero || limit > TimeSpan.FromSeconds(30)))
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), "The portal check's timeout must be more than 0 and at most 30 seconds.");
        }

        return builder.Add(new HealthCheckRegistration(
            name,
            services => new ForwardAuthPortalHealthCheck(
                services.GetRequiredService<IHttpClientFactory>(),
                services.GetRequiredService<IOptionsMonitor<ForwardAuthAuthenticationOptions>>(),
                services.GetService<TimeProvider>() ?? TimeProvider.System,
                scheme,
                timeout),
            HealthStatus.Unhealthy,
            ["authpatterns", "forward-auth"]));
    }
}
