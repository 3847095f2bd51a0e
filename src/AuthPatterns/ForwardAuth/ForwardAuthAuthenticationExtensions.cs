using AuthPatterns;
using AuthPatterns.ForwardAuth;
using AuthPatterns.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the forward-auth portal cookie scheme (<see cref="LayeredAuthSchemes.ForwardAuth"/>) to layered authentication.</summary>
public static class ForwardAuthAuthenticationExtensions
{
    /// <summary>Adds the forward-auth scheme, configured from <c>LayeredAuth:ForwardAuth</c> only.</summary>
    /// <param name="builder">The layered authentication builder.</param>
    /// <returns>The builder.</returns>
    public static LayeredAuthBuilder AddForwardAuth(this LayeredAuthBuilder builder)
        => builder.AddForwardAuth(static _ => { });

    /// <summary>
    /// Adds the forward-auth scheme: binds <c>LayeredAuth:ForwardAuth</c>, then applies <paramref name="configureOptions"/>,
    /// validates the options at startup and makes the scheme selectable when the request carries the portal's cookie
    /// (or, in trusted-headers mode, the identity header from a trusted proxy).
    /// </summary>
    /// <param name="builder">The layered authentication builder.</param>
    /// <param name="configureOptions">Configures the scheme, for example <c>fa =&gt; fa.UseAuthelia(url).MapGroup("admins", "orders:write")</c>.</param>
    /// <returns>The builder.</returns>
    public static LayeredAuthBuilder AddForwardAuth(this LayeredAuthBuilder builder, Action<ForwardAuthAuthenticationOptions> configureOptions)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configureOptions);

        const string scheme = LayeredAuthSchemes.ForwardAuth;
        var services = builder.Services;

        if (!RegistrationGuard.TryMark<ForwardAuthAuthenticationHandler>(services))
        {
            // Already added: later calls only add configuration.
            services.Configure(scheme, configureOptions);
            return builder;
        }

        if (builder.GetSection(ForwardAuthAuthenticationDefaults.ConfigurationSection) is { } section)
        {
            services.Configure<ForwardAuthAuthenticationOptions>(scheme, section);
        }

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<ForwardAuthAuthenticationOptions>, PostConfigureForwardAuthAuthenticationOptions>());
        services.TryAddSingleton<ForwardedHeadersPostureValidation>();
        services.TryAddSingleton<ForwardAuthVerifyClient>();
        services.TryAddSingleton<ForwardAuthSessionVerifier>();
        services.TryAddSingleton<ForwardAuthTelemetry>();
        services.TryAddSingleton<ForwardAuthWarmPath>();
        services.AddHttpClient(ForwardAuthAuthenticationDefaults.HttpClientName, client => client.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(static () => new SocketsHttpHandler
            {
                // Like Traefik: a redirect from the verify endpoint means "not signed in", never a page to fetch.
                AllowAutoRedirect = false,
                UseCookies = false,
                ConnectTimeout = TimeSpan.FromSeconds(5),
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),

                // The default, stated: it also bounds what one cached portal answer can hold (in KiB).
                MaxResponseHeadersLength = 64,
            })
            .RedactLoggedHeaders(static _ => true);

        OptionsValidation.ValidateOnStart<ForwardAuthAuthenticationOptions>(services, scheme, static (o, provider) =>
        {
            o.Validate();
            provider.GetRequiredService<ForwardedHeadersPostureValidation>().Validate(o);
        });
        builder.Authentication.AddScheme<ForwardAuthAuthenticationOptions, ForwardAuthAuthenticationHandler>(scheme, "Forward auth", configureOptions);

        builder.AddCredentialScheme(new LayeredCredentialScheme(scheme, static context =>
            ForwardAuthCredential.IsPresent(
                context,
                context.RequestServices.GetRequiredService<IOptionsMonitor<ForwardAuthAuthenticationOptions>>().Get(scheme)))
        {
            RequestGuard = ForwardAuthAuthenticationHandler.GuardRequestAsync,
            WarmPath = static context => context.RequestServices.GetRequiredService<ForwardAuthWarmPath>().TryAuthenticateAsync(context),
        });
        return builder;
    }
}
