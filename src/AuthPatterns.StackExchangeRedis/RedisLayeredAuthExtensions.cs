using AuthPatterns;
using AuthPatterns.ApiKeys;
using AuthPatterns.ForwardAuth;
using AuthPatterns.Infrastructure;
using AuthPatterns.Issuing;
using AuthPatterns.Jwt;
using AuthPatterns.StackExchangeRedis;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Runs the layered authentication on several instances that share one Redis.</summary>
public static class RedisLayeredAuthExtensions
{
    /// <summary>
    /// Broadcasts API-key revocations and changes and shares the JWT deny list through Redis, configured from
    /// <c>LayeredAuth:Redis</c> (<c>Configuration</c> is required). The application starts and answers requests while
    /// Redis is down; see <see cref="AddRedis(LayeredAuthBuilder, Action{LayeredAuthRedisOptions})"/>.
    /// </summary>
    /// <param name="builder">The layered authentication builder.</param>
    /// <returns>The builder.</returns>
    public static LayeredAuthBuilder AddRedis(this LayeredAuthBuilder builder) => builder.AddRedis(configure: null);

    /// <summary>Same as <see cref="AddRedis(LayeredAuthBuilder)"/> with the StackExchange.Redis configuration string given here.</summary>
    /// <param name="builder">The layered authentication builder.</param>
    /// <param name="configuration">A StackExchange.Redis configuration string, for example <c>redis.internal:6379</c>.</param>
    /// <returns>The builder.</returns>
    public static LayeredAuthBuilder AddRedis(this LayeredAuthBuilder builder, string configuration)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(configuration);
        return builder.AddRedis(o => o.Configuration = configuration);
    }

    /// <summary>
    /// Broadcasts API-key revocations and changes and shares the JWT deny list through Redis: registers one
    /// <see cref="IConnectionMultiplexer"/> (unless the application registered its own), an
    /// <see cref="IApiKeyRevocationNotifier"/> on Redis pub/sub and an <see cref="IJwtRevocationList"/> in Redis with a
    /// local copy on each instance. Also shares the API-key failed-attempt budgets, broadcasts forward-auth sign-outs,
    /// and takes a lock in Redis before a signing key ring creates a key. Binds <c>LayeredAuth:Redis</c> first, then
    /// applies <paramref name="configure"/>.
    /// </summary>
    /// <param name="builder">The layered authentication builder.</param>
    /// <param name="configure">Changes the options after configuration was bound.</param>
    /// <returns>The builder.</returns>
    public static LayeredAuthBuilder AddRedis(this LayeredAuthBuilder builder, Action<LayeredAuthRedisOptions>? configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        var section = builder.GetSection(LayeredAuthRedisOptions.ConfigurationSection);
        if (section is not null)
        {
            services.Configure<LayeredAuthRedisOptions>(section);
        }

        if (configure is not null)
        {
            services.Configure(configure);
        }

        if (!RegistrationGuard.TryMark<RedisRevocationBus>(services))
        {
            return builder;
        }

        OptionsValidation.ValidateOnStart<LayeredAuthRedisOptions>(services, Microsoft.Extensions.Options.Options.DefaultName, static (options, _) => options.Validate());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IConnectionMultiplexer>(sp =>
        {
            var options = ConfigurationOptions.Parse(sp.GetRequiredService<IOptions<LayeredAuthRedisOptions>>().Value.Configuration!);
            options.AbortOnConnectFail = false;
            return ConnectionMultiplexer.Connect(options);
        });
        services.AddSingleton<RedisJwtRevocationList>();
        services.AddSingleton<RedisForwardAuthSignOutNotifier>();
        services.AddSingleton<IForwardAuthSignOutNotifier>(sp => sp.GetRequiredService<RedisForwardAuthSignOutNotifier>());
        services.AddSingleton<RedisRevocationBus>();
        services.RemoveAll<ISigningKeyRotationLock>();
        services.AddSingleton<ISigningKeyRotationLock, RedisSigningKeyRotationLock>();
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<RedisRevocationBus>());
        services.RemoveAll<IApiKeyRevocationNotifier>();
        services.AddSingleton<IApiKeyRevocationNotifier, RedisApiKeyRevocationNotifier>();
        services.RemoveAll<IApiKeyAttemptBudgets>();
        services.AddSingleton<RedisApiKeyAttemptBudgets>();
        services.AddSingleton<IApiKeyAttemptBudgets>(sp => sp.GetRequiredService<RedisApiKeyAttemptBudgets>());
        services.RemoveAll<IJwtRevocationList>();
        services.AddSingleton<IJwtRevocationList>(sp => sp.GetRequiredService<RedisJwtRevocationList>());
        return builder;
    }
}
