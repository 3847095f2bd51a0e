using AuthPatterns;
using AuthPatterns.Infrastructure;
using AuthPatterns.Jwt;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the <see cref="LayeredAuthSchemes.Bearer"/> scheme: RS256 JWTs verified against a JWKS, hardened.</summary>
public static class JwtAuthenticationExtensions
{
    /// <summary>Adds the JWT scheme configured from <c>LayeredAuth:Jwt</c>.</summary>
    /// <param name="builder">The layered authentication builder.</param>
    /// <returns>The builder.</returns>
    public static LayeredAuthBuilder AddJwt(this LayeredAuthBuilder builder) => builder.AddJwt(configure: null);

    /// <summary>
    /// Adds the JWT scheme configured from <c>LayeredAuth:Jwt</c>, then by <paramref name="configure"/>. The stock
    /// <c>JwtBearerHandler</c> serves it, so <c>JwtBearerEvents</c> configured on <see cref="JwtBearerOptions"/> for the
    /// scheme name <see cref="LayeredAuthSchemes.Bearer"/> still run.
    /// </summary>
    /// <param name="builder">The layered authentication builder.</param>
    /// <param name="configure">Adjusts the validation options, or <see langword="null"/>.</param>
    /// <returns>The builder.</returns>
    public static LayeredAuthBuilder AddJwt(this LayeredAuthBuilder builder, Action<JwtAuthenticationOptions>? configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        const string scheme = LayeredAuthSchemes.Bearer;

        var section = builder.GetSection(JwtAuthenticationDefaults.ConfigurationSection);
        if (section is not null)
        {
            services.Configure<JwtAuthenticationOptions>(scheme, section);
        }

        if (configure is not null)
        {
            services.Configure(scheme, configure);
        }

        if (!RegistrationGuard.TryMark<JwtAuthenticationOptions>(services))
        {
            return builder;
        }

        OptionsValidation.ValidateOnStart<JwtAuthenticationOptions>(services, scheme, JwtAuthenticationOptionsValidation.Validate);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<JwtSchemeRuntime>();
        services.TryAddSingleton<JwtTelemetry>();
        services.TryAddSingleton<JwtWarmPath>();
        services.TryAddSingleton<IJwtRevocationList, InMemoryJwtRevocationList>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<JwtBearerOptions>, PostConfigureJwtBearerOptions>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<Hosting.IHostedService, JwksWarmup>());
        services.AddHttpClient(JwtAuthenticationDefaults.JwksHttpClientName)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                AllowAutoRedirect = false,
                ConnectTimeout = TimeSpan.FromSeconds(5),
                AutomaticDecompression = System.Net.DecompressionMethods.All,
            });

        builder.Authentication.AddJwtBearer(scheme, displayName: "Bearer token", configureOptions: _ => { });
        builder.AddCredentialScheme(new LayeredCredentialScheme(scheme, CountBearerTokens)
        {
            InsufficientScopeChallenge = "Bearer",
            WarmPath = static context => context.RequestServices.GetRequiredService<JwtWarmPath>().TryAuthenticateAsync(context),
        });
        return builder;
    }

    private static int CountBearerTokens(HttpContext context)
    {
        var count = 0;
        foreach (var value in context.Request.Headers.Authorization)
        {
            if (value is not null && value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            {
                count++;
            }
        }

        return count + AccessTokenQuery.Count(context, logIgnored: true);
    }
}
