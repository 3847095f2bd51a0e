using AuthPatterns;
using AuthPatterns.ForwardAuth;
using Microsoft.AspNetCore.HttpOverrides;
using IPNetwork = System.Net.IPNetwork;

namespace LayeredApi;

/// <summary>
/// The forward-auth part of the sample: people signed in at the portal in front of the API (Authelia or oauth2-proxy)
/// reach <c>/app/dashboard</c> with the portal's cookie. Configured from <c>LayeredAuth:ForwardAuth</c> (see README.md).
/// </summary>
public static class ForwardAuthSample
{
    /// <summary>
    /// Adds the forward-auth scheme when <c>LayeredAuth:ForwardAuth</c> names a verify endpoint (<c>VerifyUrl</c>) or
    /// trusted proxies (<c>TrustedProxies</c>, which alone select trusted-headers mode). With neither, the scheme is left
    /// out: the sample still starts, and the portal cookie is simply not a credential.
    /// </summary>
    /// <param name="layered">The layered authentication builder.</param>
    /// <param name="configuration">The app's configuration.</param>
    /// <returns>The builder.</returns>
    public static LayeredAuthBuilder AddForwardAuthSample(this LayeredAuthBuilder layered, IConfiguration configuration)
    {
        if (!IsConfigured(configuration))
        {
            return layered;
        }

        return layered.AddForwardAuth(fa =>
        {
            if (fa.VerifyUrl is null && fa.TrustedProxies.Count > 0)
            {
                fa.Mode = ForwardAuthMode.TrustedHeaders;
            }
        });
    }

    /// <summary>
    /// Trusts <c>X-Forwarded-Proto</c> (and, except in trusted-headers mode, <c>X-Forwarded-For</c>) only from the
    /// networks in the sample's own key <c>ForwardedHeaders:KnownNetworks</c> (the proxy in front of the API), never
    /// from any sender. In trusted-headers mode the connection's address must stay the proxy's, so only the scheme is
    /// taken from the proxy.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configuration">The app's configuration.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddForwardedHeadersSample(this IServiceCollection services, IConfiguration configuration)
    {
        var entries = configuration.GetSection(KnownNetworksKey).Get<string[]>() ?? [];
        if (entries.Length == 0)
        {
            return services;
        }

        var networks = new List<IPNetwork>(entries.Length);
        foreach (var entry in entries)
        {
            if (!IPNetwork.TryParse(entry, out var network) || network.PrefixLength == 0)
            {
                throw new InvalidOperationException($"{KnownNetworksKey} entry '{entry}' is not a network in CIDR notation (and not 0.0.0.0/0 or ::/0).");
            }

            networks.Add(network);
        }

        var trustedHeaders = IsTrustedHeadersMode(configuration);
        return services.Configure<ForwardedHeadersOptions>(o =>
        {
            o.ForwardedHeaders = trustedHeaders ? ForwardedHeaders.XForwardedProto : ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            o.KnownIPNetworks.Clear();
            o.KnownProxies.Clear();
            foreach (var network in networks)
            {
                o.KnownIPNetworks.Add(network);
            }
        });
    }

    /// <summary>Runs the forwarded-headers middleware when <c>ForwardedHeaders:KnownNetworks</c> is set.</summary>
    /// <param name="app">The app.</param>
    /// <returns>The app.</returns>
    public static WebApplication UseForwardedHeadersSample(this WebApplication app)
    {
        if (app.Configuration.GetSection(KnownNetworksKey).GetChildren().Any())
        {
            app.UseForwardedHeaders();
        }

        return app;
    }

    /// <summary>Maps <c>/signout</c>, which sends the user to the portal's logout page, when the scheme was added.</summary>
    /// <param name="app">The app.</param>
    /// <returns>The app.</returns>
    public static WebApplication MapForwardAuthSample(this WebApplication app)
    {
        if (IsConfigured(app.Configuration))
        {
            app.MapForwardAuthSignOut("/signout");
        }

        return app;
    }

    private const string KnownNetworksKey = "ForwardedHeaders:KnownNetworks";

    private static bool IsTrustedHeadersMode(IConfiguration configuration)
    {
        var section = configuration.GetSection("LayeredAuth:ForwardAuth");
        return string.IsNullOrWhiteSpace(section["VerifyUrl"]) && section.GetSection("TrustedProxies").GetChildren().Any();
    }

    private static bool IsConfigured(IConfiguration configuration)
    {
        var section = configuration.GetSection("LayeredAuth:ForwardAuth");
        return !string.IsNullOrWhiteSpace(section["VerifyUrl"]) || section.GetSection("TrustedProxies").GetChildren().Any();
    }
}
