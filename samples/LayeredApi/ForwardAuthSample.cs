using AuthPatterns;
using AuthPatterns.ForwardAuth;

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

    private static bool IsConfigured(IConfiguration configuration)
    {
        var section = configuration.GetSection("LayeredAuth:ForwardAuth");
        return !string.IsNullOrWhiteSpace(section["VerifyUrl"]) || section.GetSection("TrustedProxies").GetChildren().Any();
    }
}
