using AuthPatterns;
using AuthPatterns.ApiKeys;
using AuthPatterns.Infrastructure;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the API-key scheme to layered authentication.</summary>
public static class ApiKeyAuthenticationExtensions
{
    /// <summary>Adds the API-key scheme, bound from <c>LayeredAuth:ApiKeys</c>.</summary>
    /// <param name="builder">The layered builder.</param>
    /// <returns>The builder.</returns>
    public static LayeredAuthBuilder AddApiKeys(this LayeredAuthBuilder builder) => builder.AddApiKeys(configure: null);

    /// <summary>Adds the API-key scheme, bound from <c>LayeredAuth:ApiKeys</c>, then configured in code.</summary>
    /// <param name="builder">The layered builder.</param>
    /// <param name="configure">Configures the options, or <see langword="null"/>.</param>
    /// <returns>The builder.</returns>
    public static LayeredAuthBuilder AddApiKeys(this LayeredAuthBuilder builder, Action<ApiKeyAuthenticationOptions>? configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        const string Scheme = ApiKeyAuthenticationDefaults.AuthenticationScheme;
        var services = builder.Services;

        if (RegistrationGuard.TryMark<ApiKeyAuthenticationHandler>(services))
        {
            OptionsValidation.ValidateOnStart<ApiKeyAuthenticationOptions>(services, Scheme, static (o, _) => o.Validate());
            builder.Authentication.AddScheme<ApiKeyAuthenticationOptions, ApiKeyAuthenticationHandler>(Scheme, displayName: "API key", configureOptions: null);
            builder.AddCredentialScheme(new LayeredCredentialScheme(
                Scheme,
                context => ApiKeyAuthenticationHandler.CountCredentials(
                    context,
                    context.RequestServices.GetRequiredService<IOptionsMonitor<ApiKeyAuthenticationOptions>>().Get(Scheme)))
            {
                WarmPath = static context => context.RequestServices.GetRequiredService<ApiKeyWarmPath>().TryAuthenticateAsync(context),
                RequestGuard = ApiKeyAuthenticationHandler.GuardRequestAsync,
            });
            services.TryAddSingleton<ApiKeyWarmPath>();

            if (builder.GetSection(ApiKeyAuthenticationDefaults.ConfigurationSection) is { } section)
            {
                services.Configure<ApiKeyAuthenticationOptions>(Scheme, section);
            }
        }

        if (configure is not null)
        {
            services.Configure(Scheme, configure);
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<ApiKeyAuthenticationOptions>, PostConfigureApiKeyAuthenticationOptions>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ApiKeyHasher>();
        services.TryAddSingleton<IApiKeyStore>(sp =>
            sp.GetRequiredService<IOptionsMonitor<ApiKeyAuthenticationOptions>>().Get(Scheme).StoreFactory?.Invoke(sp) ?? new InMemoryApiKeyStore());
        services.TryAddSingleton<IApiKeyRevocationNotifier, NoOpApiKeyRevocationNotifier>();
        services.TryAddSingleton<IApiKeyAttemptBudgets>(sp => new LocalApiKeyAttemptBudgets(sp.GetRequiredService<IOptionsMonitor<ApiKeyAuthenticationOptions>>()));
        services.TryAddSingleton<ApiKeyVerifier>();
        services.TryAddSingleton<ApiKeyTelemetry>();
        services.TryAddSingleton<ApiKeyUsageRecorder>();
        services.TryAddSingleton(sp => new ApiKeyManager(
            sp.GetRequiredService<IApiKeyStore>(),
            sp.GetRequiredService<ApiKeyHasher>(),
            sp.GetRequiredService<ApiKeyVerifier>(),
            sp.GetRequiredService<IApiKeyRevocationNotifier>(),
            sp.GetRequiredService<IOptionsMonitor<ApiKeyAuthenticationOptions>>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<ApiKeyManager>>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, ApiKeyUsageFlushService>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, ApiKeyRevocationSubscriber>());
        return builder;
    }
}
