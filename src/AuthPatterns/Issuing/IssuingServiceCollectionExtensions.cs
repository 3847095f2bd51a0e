using AuthPatterns.Infrastructure;
using AuthPatterns.Issuing;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the issuing side: the signing key ring, the service-token issuer and the outgoing token handler.</summary>
public static class IssuingServiceCollectionExtensions
{
    /// <summary>Adds the signing key ring with its default options (see <see cref="SigningKeyRingOptions"/>).</summary>
    /// <param name="services">The application's services.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddSigningKeyRing(this IServiceCollection services) => services.AddSigningKeyRing(configure: null);

    /// <summary>
    /// Adds the signing key ring (rotated RSA keys, persisted and protected with ASP.NET Core Data Protection) and its
    /// <see cref="SigningKeyManager"/>. Startup fails with the development keys outside Development (unless
    /// <see cref="SigningKeyRingOptions.AllowDevelopmentKeysOutsideDevelopment"/>) and with in-memory Data Protection keys
    /// outside Development; it warns when the application's Data Protection keys are not persisted to a chosen location.
    /// </summary>
    /// <param name="services">The application's services.</param>
    /// <param name="configure">Adjusts the ring's options, or <see langword="null"/>.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddSigningKeyRing(this IServiceCollection services, Action<SigningKeyRingOptions>? configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (configure is not null)
        {
            services.Configure(configure);
        }

        if (RegistrationGuard.TryMark<SigningKeyRingOptions>(services))
        {
            OptionsValidation.ValidateOnStart<SigningKeyRingOptions>(services, Options.Options.DefaultName, static (o, _) => o.Validate());
        }

        services.AddDataProtection();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<SigningKeyRing>();
        services.TryAddSingleton(static sp => new SigningKeyManager(sp.GetRequiredService<SigningKeyRing>()));
        services.TryAddSingleton<AuthPatterns.Issuing.LocalSigningKeySource>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, SigningKeyRingStartupCheck>());
        return services;
    }

    /// <summary>Adds the service-token issuer (and the signing key ring it signs with).</summary>
    /// <param name="services">The application's services.</param>
    /// <param name="configure">Sets at least <see cref="ServiceTokenIssuerOptions.Issuer"/>.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddServiceTokenIssuer(this IServiceCollection services, Action<ServiceTokenIssuerOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddSigningKeyRing();
        services.Configure(configure);
        if (RegistrationGuard.TryMark<ServiceTokenIssuerOptions>(services))
        {
            OptionsValidation.ValidateOnStart<ServiceTokenIssuerOptions>(services, Options.Options.DefaultName, static (issuer, provider) =>
            {
                issuer.Validate();
                var ring = provider.GetRequiredService<IOptions<SigningKeyRingOptions>>().Value;
                if (issuer.MaxLifetime + ServiceTokenIssuer.MaxVerifierSkew > ring.RetainAfterRetirement)
                {
                    throw new InvalidOperationException(ServiceTokenIssuer.LifetimeOutlivesKeyMessage);
                }
            });
        }

        services.TryAddSingleton<IServiceTokenIssuer, ServiceTokenIssuer>();
        return services;
    }

    /// <summary>
    /// Adds a message handler that sends a bearer token on every request of this client, obtained from the local issuer
    /// or by OAuth2 client credentials, cached and renewed in the background before it expires, never by two renewals
    /// at once. A plain <c>http</c> token endpoint is refused at startup outside Development (and to anything but a
    /// loopback address in Development).
    /// </summary>
    /// <param name="builder">The client's builder, from <c>AddHttpClient</c>.</param>
    /// <param name="configure">Sets the audience and scopes, and the token endpoint for client credentials.</param>
    /// <returns>The client's builder.</returns>
    public static IHttpClientBuilder AddServiceTokenHandler(this IHttpClientBuilder builder, Action<ServiceTokenHandlerOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        var name = builder.Name;
        builder.Services.Configure(name, configure);
        OptionsValidation.ValidateOnStart<ServiceTokenHandlerOptions>(builder.Services, name, (o, provider) => ServiceTokenHandlerOptionsValidation.Validate(name, o, provider));
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.TryAddSingleton<ServiceTokenProvider>();
        builder.Services.AddHttpClient(ServiceTokenProvider.TokenEndpointClientName);
        builder.AddHttpMessageHandler(services => new ServiceTokenDelegatingHandler(services.GetRequiredService<ServiceTokenProvider>(), name));
        return builder;
    }
}
