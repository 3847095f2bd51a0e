using System.Diagnostics.CodeAnalysis;
using AuthPatterns;
using AuthPatterns.Authorization;
using AuthPatterns.Infrastructure;
using AuthPatterns.Posture;
using AuthPatterns.Selection;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Registers layered authentication: the selecting default scheme, the scope policy provider and its handlers.
/// </summary>
public static class LayeredAuthServiceCollectionExtensions
{
    /// <summary>Adds layered authentication with options set in code only.</summary>
    /// <param name="services">The application's services.</param>
    /// <returns>A builder to add the schemes with.</returns>
    public static LayeredAuthBuilder AddLayeredAuth(this IServiceCollection services)
        => services.AddLayeredAuth(configuration: null, configureOptions: null);

    /// <summary>Adds layered authentication bound from a configuration section (usually <c>LayeredAuth</c>).</summary>
    /// <param name="services">The application's services.</param>
    /// <param name="configuration">The <c>LayeredAuth</c> section.</param>
    /// <returns>A builder to add the schemes with.</returns>
    public static LayeredAuthBuilder AddLayeredAuth(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return services.AddLayeredAuth(configuration, configureOptions: null);
    }

    /// <summary>Adds layered authentication with options set in code.</summary>
    /// <param name="services">The application's services.</param>
    /// <param name="configureOptions">Configures the layered scheme.</param>
    /// <returns>A builder to add the schemes with.</returns>
    public static LayeredAuthBuilder AddLayeredAuth(this IServiceCollection services, Action<LayeredAuthOptions> configureOptions)
    {
        ArgumentNullException.ThrowIfNull(configureOptions);
        return services.AddLayeredAuth(configuration: null, configureOptions);
    }

    /// <summary>Adds layered authentication bound from a configuration section, then adjusted in code.</summary>
    /// <param name="services">The application's services.</param>
    /// <param name="configuration">The <c>LayeredAuth</c> section, or <see langword="null"/>.</param>
    /// <param name="configureOptions">Configures the layered scheme, or <see langword="null"/>.</param>
    /// <returns>A builder to add the schemes with.</returns>
    public static LayeredAuthBuilder AddLayeredAuth(
        this IServiceCollection services,
        IConfiguration? configuration,
        Action<LayeredAuthOptions>? configureOptions)
    {
        ArgumentNullException.ThrowIfNull(services);

        var authentication = services.AddAuthentication(LayeredAuthSchemes.Layered);
        services.AddAuthorization();

        if (RegistrationGuard.TryMark<LayeredAuthenticationHandler>(services))
        {
            OptionsValidation.ValidateOnStart<LayeredAuthOptions>(services, LayeredAuthSchemes.Layered, static (o, _) => o.Validate());
            authentication.AddScheme<LayeredAuthOptions, LayeredAuthenticationHandler>(LayeredAuthSchemes.Layered, displayName: "Layered", configureOptions: null);
        }

        if (configuration is not null)
        {
            services.Configure<LayeredAuthOptions>(LayeredAuthSchemes.Layered, configuration);
        }

        if (configureOptions is not null)
        {
            services.Configure(LayeredAuthSchemes.Layered, configureOptions);
        }

        services.TryAddSingleton(TimeProvider.System);
        services.AddMetrics();
        services.TryAddSingleton<LayeredAuthMetrics>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IAuthorizationHandler, ScopeAuthorizationHandler>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IAuthorizationHandler, TenantAuthorizationHandler>());
        services.TryAddEnumerable(ServiceDescriptor.Transient<IStartupFilter, LayeredAuthStartupValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<JsonOptions>, LayeredAuthJsonOptionsSetup>());
        services.TryAddSingleton<IAuthPostureReporter, AuthPostureReporter>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IAuthorizationHandler, AuthPostureLoopbackHandler>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<Microsoft.Extensions.Hosting.IHostedService, AuthPostureStartupLog>());
        ReplaceDefault<IAuthorizationPolicyProvider, DefaultAuthorizationPolicyProvider, ScopePolicyProvider>(services);
        ReplaceDefault<IAuthorizationMiddlewareResultHandler, AuthorizationMiddlewareResultHandler, LayeredAuthorizationResultHandler>(services);

        // Transient, as the stock evaluator: it holds the request's authorization service, whose handlers may be scoped.
        ReplaceDefault<IPolicyEvaluator, PolicyEvaluator, LayeredPolicyEvaluator>(services, ServiceLifetime.Transient);

        return new LayeredAuthBuilder(services, authentication, configuration);
    }

    // Takes the place of the framework's default implementation, but never of one the application registered itself.
    private static void ReplaceDefault<TService, TDefault, [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TReplacement>(
        IServiceCollection services,
        ServiceLifetime lifetime = ServiceLifetime.Singleton)
        where TService : class
        where TReplacement : class, TService
    {
        var existing = services.LastOrDefault(d => d.ServiceType == typeof(TService));
        if (existing is null || existing.ImplementationType == typeof(TDefault))
        {
            services.RemoveAll<TService>();
            services.Add(new ServiceDescriptor(typeof(TService), typeof(TReplacement), lifetime));
        }
    }
}
