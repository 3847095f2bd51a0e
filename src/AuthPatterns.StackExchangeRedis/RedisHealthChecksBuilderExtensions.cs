using AuthPatterns.StackExchangeRedis;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using StackExchange.Redis;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the health check of the Redis the instances share.</summary>
public static class RedisHealthChecksBuilderExtensions
{
    /// <summary>
    /// Reports <see cref="HealthStatus.Degraded"/> while Redis is unreachable (requests are still answered;
    /// revocations reach other instances only when their caches expire), <see cref="HealthStatus.Healthy"/> otherwise.
    /// Requires <c>AddRedis()</c>.
    /// </summary>
    /// <param name="builder">The health checks builder.</param>
    /// <param name="name">The check's name.</param>
    /// <returns>The builder.</returns>
    public static IHealthChecksBuilder AddRedisCheck(this IHealthChecksBuilder builder, string name = "redis")
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Add(new HealthCheckRegistration(
            name,
            sp => new RedisHealthCheck(sp.GetRequiredService<IConnectionMultiplexer>()),
            failureStatus: HealthStatus.Degraded,
            tags: ["authpatterns", "redis"]));
    }
}
