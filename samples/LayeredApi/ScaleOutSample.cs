using AuthPatterns;

namespace LayeredApi;

/// <summary>
/// The sample on several instances. With <c>LayeredAuth:Redis:Configuration</c> set (the environment variable
/// <c>LayeredAuth__Redis__Configuration</c>, a StackExchange.Redis configuration string such as
/// <c>127.0.0.1:6379</c>), key revocations and changes and denied token ids reach every instance through Redis; run the
/// instances on one PostgreSQL key store (<c>LayeredAuth:ApiKeys:Provider</c> <c>postgres</c>). Unset, each instance
/// learns of a change made elsewhere when its cache entry expires. <c>/healthz/ready</c> runs the health checks: the
/// key store, and Redis when it is on (<c>Degraded</c> while it is unreachable: requests are still answered).
/// </summary>
public static class ScaleOutSample
{
    /// <summary>The configuration key that turns Redis on.</summary>
    public const string RedisConfigurationKey = "LayeredAuth:Redis:Configuration";

    /// <summary>Adds the health checks, and Redis when <see cref="RedisConfigurationKey"/> is set.</summary>
    /// <param name="layered">The layered authentication builder.</param>
    /// <param name="configuration">The application's configuration.</param>
    /// <returns>The builder.</returns>
    public static LayeredAuthBuilder AddScaleOutSample(this LayeredAuthBuilder layered, IConfiguration configuration)
    {
        var health = layered.Services.AddHealthChecks().AddApiKeyStoreCheck();

        // Set but empty is a startup error naming the setting (AddRedis checks it), never a silent single instance.
        if (configuration[RedisConfigurationKey] is null)
        {
            return layered;
        }

        health.AddRedisCheck();
        return layered.AddRedis();
    }

    /// <summary>Maps <c>/healthz/ready</c>, the readiness a load balancer asks.</summary>
    /// <param name="app">The application.</param>
    /// <returns>The application.</returns>
    public static WebApplication MapScaleOutSample(this WebApplication app)
    {
        app.MapHealthChecks("/healthz/ready").AllowAnonymous();
        return app;
    }
}
