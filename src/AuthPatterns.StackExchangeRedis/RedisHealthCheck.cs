using Microsoft.Extensions.Diagnostics.HealthChecks;
using StackExchange.Redis;

namespace AuthPatterns.StackExchangeRedis;

internal sealed class RedisHealthCheck : IHealthCheck
{
    private readonly IConnectionMultiplexer _redis;

    public RedisHealthCheck(IConnectionMultiplexer redis) => _redis = redis;

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(_redis.IsConnected
            ? HealthCheckResult.Healthy("Redis is connected: revocations reach every instance and failed-attempt budgets are shared.")
            : HealthCheckResult.Degraded("Redis is unreachable: revocations reach other instances only when their caches expire, and failed-attempt budgets are counted per instance; each instance drops its cached verifications when Redis is back."));
}
