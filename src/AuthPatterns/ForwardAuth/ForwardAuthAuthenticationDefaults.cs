namespace AuthPatterns.ForwardAuth;

/// <summary>
/// Names and values the forward-auth scheme uses unless configured otherwise.
/// </summary>
public static class ForwardAuthAuthenticationDefaults
{
    /// <summary>The scheme name, <c>ForwardAuth</c>.</summary>
    public const string AuthenticationScheme = LayeredAuthSchemes.ForwardAuth;

    /// <summary>The configuration sub-section of <c>LayeredAuth</c> the options bind from.</summary>
    public const string ConfigurationSection = "ForwardAuth";

    /// <summary>The name of the <see cref="System.Net.Http.HttpClient"/> that calls the portal's verify endpoint.</summary>
    public const string HttpClientName = "AuthPatterns.ForwardAuth";

    /// <summary>Authelia's session cookie.</summary>
    public const string AutheliaCookieName = "authelia_session";

    /// <summary>oauth2-proxy's session cookie (split into <c>_oauth2_proxy_0</c>, <c>_1</c>... when large).</summary>
    public const string OAuth2ProxyCookieName = "_oauth2_proxy";

    /// <summary>Authelia's verify endpoint for Traefik-style forward auth, relative to the portal.</summary>
    public const string AutheliaVerifyPath = "api/authz/forward-auth";

    /// <summary>Authelia's logout page, relative to the portal.</summary>
    public const string AutheliaLogoutPath = "logout";

    /// <summary>oauth2-proxy's verify endpoint, relative to the proxy.</summary>
    public const string OAuth2ProxyVerifyPath = "oauth2/auth";

    /// <summary>oauth2-proxy's sign-in start, relative to the proxy.</summary>
    public const string OAuth2ProxyLoginPath = "oauth2/start";

    /// <summary>oauth2-proxy's sign-out endpoint, relative to the proxy.</summary>
    public const string OAuth2ProxyLogoutPath = "oauth2/sign_out";

    /// <summary>The query parameter carrying the return URL to the portal (<c>rd</c>, understood by both portals).</summary>
    public const string ReturnUrlParameter = "rd";

    /// <summary>The header an unsafe request sends to prove it is not a cross-site forgery.</summary>
    public const string CsrfHeaderName = "X-CSRF";

    /// <summary>The value of <see cref="CsrfHeaderName"/>.</summary>
    public const string CsrfHeaderValue = "1";

    /// <summary>
    /// The header the proxy adds, on the routes its forward-auth step protects, to prove it set the identity headers
    /// (trusted-headers mode).
    /// </summary>
    public const string ProofHeaderName = "X-Forward-Auth-Proof";

    /// <summary>The default name of the access-token cookie of the token-cookie variant.</summary>
    public const string AccessTokenCookieName = "__Host-access_token";

    /// <summary>The realm written in the <c>WWW-Authenticate: ForwardAuth realm="..."</c> challenge.</summary>
    public const string Realm = "portal";
}
