using System.Net;
using AuthPatterns.Authorization;
using Microsoft.AspNetCore.Authentication;

namespace AuthPatterns.ForwardAuth;

/// <summary>
/// Options of the forward-auth scheme, bound from <c>LayeredAuth:ForwardAuth</c>. Values left unset are filled from
/// <see cref="Preset"/> (Authelia by default), so explicit settings always win over the preset.
/// </summary>
public sealed class ForwardAuthAuthenticationOptions : AuthenticationSchemeOptions
{
    /// <summary>The fewest characters <see cref="TrustedHeadersSecret"/> may have.</summary>
    public const int MinimumSecretLength = 32;

    private const string Prefix = "LayeredAuth:ForwardAuth:";

    /// <summary>Creates the options with their defaults.</summary>
    public ForwardAuthAuthenticationOptions()
    {
        Events = new ForwardAuthAuthenticationEvents();
    }

    /// <summary>How the identity is learned: <see cref="ForwardAuthMode.Verify"/> (default) or <see cref="ForwardAuthMode.TrustedHeaders"/>.</summary>
    public ForwardAuthMode Mode { get; set; } = ForwardAuthMode.Verify;

    /// <summary>The portal whose names fill the options left unset. Defaults to <see cref="ForwardAuthPreset.Authelia"/>.</summary>
    public ForwardAuthPreset Preset { get; set; } = ForwardAuthPreset.Authelia;

    /// <summary>
    /// The portal's verify endpoint, for example <c>https://auth.example.com/api/authz/forward-auth</c> (Authelia) or
    /// <c>https://oauth2-proxy.example.com/oauth2/auth</c>. Required in <see cref="ForwardAuthMode.Verify"/> mode, unless
    /// only the token cookie (<see cref="TokenCookieName"/>) is used.
    /// </summary>
    public Uri? VerifyUrl { get; set; }

    /// <summary>
    /// The portal's login URL browsers are redirected to, with <c>rd=&lt;original URL&gt;</c> appended. Without it,
    /// browsers get 401 like scripts.
    /// </summary>
    public Uri? PortalUrl { get; set; }

    /// <summary>The portal's logout URL the sign-out endpoint redirects to.</summary>
    public Uri? LogoutUrl { get; set; }

    /// <summary>The portal's session cookie; <c>authelia_session</c> or <c>_oauth2_proxy</c> from the preset when unset.</summary>
    public string? CookieName { get; set; }

    /// <summary>The header carrying the user name (the <c>sub</c> claim); <c>Remote-User</c> or <c>X-Auth-Request-User</c>.</summary>
    public string? UserHeader { get; set; }

    /// <summary>The header carrying the comma-separated groups; <c>Remote-Groups</c> or <c>X-Auth-Request-Groups</c>.</summary>
    public string? GroupsHeader { get; set; }

    /// <summary>The header carrying the e-mail address; <c>Remote-Email</c> or <c>X-Auth-Request-Email</c>.</summary>
    public string? EmailHeader { get; set; }

    /// <summary>The header carrying the display name; <c>Remote-Name</c> or <c>X-Auth-Request-Preferred-Username</c>.</summary>
    public string? NameHeader { get; set; }

    /// <summary>The query parameter carrying the return URL to the portal. Defaults to <c>rd</c>.</summary>
    public string ReturnUrlParameter { get; set; } = ForwardAuthAuthenticationDefaults.ReturnUrlParameter;

    /// <summary>
    /// The hosts this service is reached at, for example <c>app.example.com</c> or <c>*.example.com</c> (subdomains
    /// only). A return URL (<c>rd</c>) may only point to them: a request whose <c>Host</c> is not listed is never
    /// redirected, it gets 401. When set, the portal is also asked only about requests for these hosts, since its
    /// access rules are per host and the <c>Host</c> header is the client's. Required with <see cref="PortalUrl"/>.
    /// </summary>
    public IList<string> AllowedHosts { get; } = [];

    /// <summary>
    /// The networks (CIDR, for example <c>10.0.0.0/8</c> or <c>172.18.0.2/32</c>) whose connections may carry identity
    /// headers. Required, and only read, in <see cref="ForwardAuthMode.TrustedHeaders"/> mode. Compared with
    /// <c>HttpContext.Connection.RemoteIpAddress</c> as the app's forwarded-headers settings leave it, never with a header.
    /// </summary>
    public IList<string> TrustedProxies { get; } = [];

    /// <summary>
    /// The secret the proxy adds as <see cref="ProofHeaderName"/> on the routes its forward-auth step protects, and only
    /// there. Required in <see cref="ForwardAuthMode.TrustedHeaders"/> mode: a proxy's address proves nothing on its own,
    /// since a route without forward-auth passes the client's own identity headers through. At least 32 characters of
    /// visible ASCII; compared in constant time. Keep it out of source control (for example
    /// <c>LayeredAuth__ForwardAuth__TrustedHeadersSecret</c> from a secret store).
    /// </summary>
    public string? TrustedHeadersSecret { get; set; }

    /// <summary>The header carrying <see cref="TrustedHeadersSecret"/>. Defaults to <c>X-Forward-Auth-Proof</c>.</summary>
    public string ProofHeaderName { get; set; } = ForwardAuthAuthenticationDefaults.ProofHeaderName;

    /// <summary>
    /// Path prefixes (for example <c>/api/</c>) under which the portal's access rules give the same answer for every
    /// path and query, for a given host, method and client address. A request under one of them shares its cached
    /// answer with the whole prefix; any other request's answer is cached for its exact path and query. Empty by
    /// default: the cache never assumes more about the portal's rules than the URI it asked about.
    /// </summary>
    public IList<string> CachePathPrefixes { get; } = [];

    /// <summary>
    /// Scopes granted per portal group, each value space-separated: <c>admins -&gt; "orders:read orders:write"</c>.
    /// Bound from <c>LayeredAuth:ForwardAuth:GroupScopes:&lt;group&gt;</c>; add in code with <see cref="MapGroup"/>.
    /// </summary>
    public IDictionary<string, string> GroupScopes { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Scopes granted per portal user, each value space-separated; add in code with <see cref="MapUser"/>.</summary>
    public IDictionary<string, string> UserScopes { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>How long a positive answer of the portal is reused for the same cookie. Defaults to 30 seconds; zero disables the cache.</summary>
    public TimeSpan CacheDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long the portal's "not signed in" answer is reused for the same cookie (whatever the request), so repeated
    /// requests with an unknown or expired session, or a flood of them, do not each call the portal. Defaults to 5
    /// seconds; zero disables it. A session that signs in keeps being refused for at most this long with the same
    /// cookie (portals issue a new session cookie at sign-in).
    /// </summary>
    public TimeSpan NotSignedInCacheDuration { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The most sessions kept in the answer cache (and, apart, the most "not signed in" answers). Defaults to 10 000.</summary>
    public int CacheSizeLimit { get; set; } = 10_000;

    /// <summary>How long one verify call may take before the request fails closed. Defaults to 2 seconds.</summary>
    public TimeSpan VerifyTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// The most verify calls in flight at once; a request that would exceed it fails fast with 503 instead of queueing,
    /// so a slow portal cannot tie up the server. Defaults to 64.
    /// </summary>
    public int MaxConcurrentVerifications { get; set; } = 64;

    /// <summary>
    /// The most verify calls this instance makes to the portal per second, whatever their answers. A request that needs
    /// a call beyond it fails fast with 503 and <c>Retry-After</c>, like one beyond
    /// <see cref="MaxConcurrentVerifications"/>. That bound alone lets a flood of made-up cookies (each new, so no cache
    /// answers it) send the portal as many calls as it can answer, and the portal serves every other service too; this
    /// one caps the rate. Answers served from the answer cache or the "not signed in" cache never count. A quarter of
    /// the budget (at least one call when it is two or more) is kept for sessions the portal vouched for within the
    /// last hour, so during a flood a signed-in user whose cached answer expired is still verified. Defaults to 200; it
    /// cannot be turned off (set a higher number for a busier service: N instances together make up to N times it).
    /// </summary>
    public int MaxVerificationsPerSecond { get; set; } = 200;

    /// <summary>The <c>Retry-After</c> sent with 503 when the portal is unavailable. Defaults to 5 seconds.</summary>
    public TimeSpan RetryAfter { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Whether cookie-authenticated unsafe requests (POST, PUT, PATCH, DELETE) must prove they are not cross-site
    /// forgeries (<see cref="CsrfHeaderName"/>, <c>Sec-Fetch-Site: same-origin</c> or an allowed <c>Origin</c>).
    /// <see langword="true"/> by default. Turn it off only when every way to the service already enforces a defence of
    /// its own (for example a portal cookie set <c>SameSite=Strict</c>); the posture report flags each unsafe endpoint
    /// that accepts the cookie while it is off (AP002).
    /// </summary>
    public bool RequireCsrfDefence { get; set; } = true;

    /// <summary>The header an unsafe request sends to prove it is not a cross-site forgery. Defaults to <c>X-CSRF</c>.</summary>
    public string CsrfHeaderName { get; set; } = ForwardAuthAuthenticationDefaults.CsrfHeaderName;

    /// <summary>The value <see cref="CsrfHeaderName"/> must have. Defaults to <c>1</c>.</summary>
    public string CsrfHeaderValue { get; set; } = ForwardAuthAuthenticationDefaults.CsrfHeaderValue;

    /// <summary>
    /// Origins other than the request's own (for example <c>https://admin.example.com</c>) whose unsafe requests are
    /// accepted without the CSRF header.
    /// </summary>
    public IList<string> AllowedOrigins { get; } = [];

    /// <summary>
    /// The <c>__Host-</c> cookie carrying an access token (the token-cookie variant), or <see langword="null"/> (default)
    /// to read none. The token is validated by <see cref="TokenCookieValidationScheme"/>.
    /// </summary>
    public string? TokenCookieName { get; set; }

    /// <summary>The scheme that validates the token cookie's access token, as if sent as a bearer token. Defaults to <c>Bearer</c>.</summary>
    public string TokenCookieValidationScheme { get; set; } = LayeredAuthSchemes.Bearer;

    /// <summary>The realm of the <c>WWW-Authenticate: ForwardAuth realm="..."</c> challenge. Defaults to <c>portal</c>.</summary>
    public string Realm { get; set; } = ForwardAuthAuthenticationDefaults.Realm;

    /// <summary>The events raised by the handler.</summary>
    public new ForwardAuthAuthenticationEvents Events
    {
        get => (ForwardAuthAuthenticationEvents)base.Events!;
        set => base.Events = value;
    }

    internal IReadOnlyList<IPNetwork> TrustedNetworks { get; set; } = [];

    internal IReadOnlyList<string> InvalidTrustedProxies { get; set; } = [];

    internal byte[]? TrustedHeadersSecretHash { get; set; }

    /// <summary>Grants scopes to every member of a portal group.</summary>
    /// <param name="group">The group, as the portal names it.</param>
    /// <param name="scopes">The scopes granted.</param>
    /// <returns>These options.</returns>
    public ForwardAuthAuthenticationOptions MapGroup(string group, params string[] scopes)
    {
        AddScopes(GroupScopes, group, scopes);
        return this;
    }

    /// <summary>Grants scopes to one portal user.</summary>
    /// <param name="user">The user name, as the portal sends it.</param>
    /// <param name="scopes">The scopes granted.</param>
    /// <returns>These options.</returns>
    public ForwardAuthAuthenticationOptions MapUser(string user, params string[] scopes)
    {
        AddScopes(UserScopes, user, scopes);
        return this;
    }

    /// <summary>Uses Authelia's cookie and header names.</summary>
    /// <returns>These options.</returns>
    public ForwardAuthAuthenticationOptions UseAuthelia()
    {
        Preset = ForwardAuthPreset.Authelia;
        return this;
    }

    /// <summary>
    /// Uses Authelia at <paramref name="autheliaUrl"/>: its names, <c>/api/authz/forward-auth</c> to verify, the portal
    /// itself to log in and <c>/logout</c> to log out (each only where not already set).
    /// </summary>
    /// <param name="autheliaUrl">The portal, for example <c>https://auth.example.com/</c>.</param>
    /// <returns>These options.</returns>
    public ForwardAuthAuthenticationOptions UseAuthelia(Uri autheliaUrl)
    {
        ArgumentNullException.ThrowIfNull(autheliaUrl);
        var root = Root(autheliaUrl);
        Preset = ForwardAuthPreset.Authelia;
        VerifyUrl ??= new Uri(root, ForwardAuthAuthenticationDefaults.AutheliaVerifyPath);
        PortalUrl ??= root;
        LogoutUrl ??= new Uri(root, ForwardAuthAuthenticationDefaults.AutheliaLogoutPath);
        return this;
    }

    /// <summary>Uses oauth2-proxy's cookie and header names.</summary>
    /// <returns>These options.</returns>
    public ForwardAuthAuthenticationOptions UseOAuth2Proxy()
    {
        Preset = ForwardAuthPreset.OAuth2Proxy;
        return this;
    }

    /// <summary>
    /// Uses oauth2-proxy at <paramref name="oauth2ProxyUrl"/>: its names, <c>/oauth2/auth</c> to verify,
    /// <c>/oauth2/start</c> to log in and <c>/oauth2/sign_out</c> to log out (each only where not already set).
    /// </summary>
    /// <param name="oauth2ProxyUrl">The proxy, for example <c>https://oauth2.example.com/</c>.</param>
    /// <returns>These options.</returns>
    public ForwardAuthAuthenticationOptions UseOAuth2Proxy(Uri oauth2ProxyUrl)
    {
        ArgumentNullException.ThrowIfNull(oauth2ProxyUrl);
        var root = Root(oauth2ProxyUrl);
        Preset = ForwardAuthPreset.OAuth2Proxy;
        VerifyUrl ??= new Uri(root, ForwardAuthAuthenticationDefaults.OAuth2ProxyVerifyPath);
        PortalUrl ??= new Uri(root, ForwardAuthAuthenticationDefaults.OAuth2ProxyLoginPath);
        LogoutUrl ??= new Uri(root, ForwardAuthAuthenticationDefaults.OAuth2ProxyLogoutPath);
        return this;
    }

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();

        switch (Mode)
        {
            case ForwardAuthMode.Verify:
                if (VerifyUrl is null && TokenCookieName is null)
                {
                    throw Invalid(nameof(VerifyUrl), "is required when Mode is Verify (for example https://auth.example.com/api/authz/forward-auth).");
                }

                if (VerifyUrl is not null)
                {
                    RequireHttpUrl(VerifyUrl, nameof(VerifyUrl));
                    if (AllowedHosts.Count == 0)
                    {
                        throw Invalid(nameof(AllowedHosts), "must list the hosts this service is reached at (for example app.example.com) when Mode is Verify: the portal's access rules are per host, and without the list a client's Host header would choose whose rules vouch for it.");
                    }
                }

                break;
            case ForwardAuthMode.TrustedHeaders:
                if (TrustedProxies.Count == 0)
                {
                    throw Invalid(nameof(TrustedProxies), "must list at least one network (CIDR) when Mode is TrustedHeaders; without it any caller could claim to be anyone.");
                }

                if (string.IsNullOrEmpty(TrustedHeadersSecret))
                {
                    throw Invalid(
                        nameof(TrustedHeadersSecret),
                        $"is required when Mode is TrustedHeaders. The proxy's address alone does not prove that its forward-auth step ran: a route without forward-auth passes the client's own {UserHeader ?? "Remote-User"} header through, and the client becomes anyone it names. Have the proxy add the header '{ProofHeaderName}: <secret>' on the forward-auth-protected routes only (docs/forward-auth.md shows Traefik, nginx and Caddy), or use Mode Verify, which asks the portal itself.");
                }

                if (TrustedHeadersSecret.Length < MinimumSecretLength || !IsVisibleAscii(TrustedHeadersSecret))
                {
                    throw Invalid(nameof(TrustedHeadersSecret), $"must be at least {MinimumSecretLength} characters of visible ASCII (no spaces), for example 32 random bytes in base64url.");
                }

                RequireToken(ProofHeaderName, nameof(ProofHeaderName));
                break;
            default:
                throw Invalid(nameof(Mode), $"'{Mode}' is not a mode; use Verify or TrustedHeaders.");
        }

        if (InvalidTrustedProxies.Count > 0)
        {
            throw Invalid(nameof(TrustedProxies), $"has entries that are not networks in CIDR notation: {string.Join(", ", InvalidTrustedProxies)}.");
        }

        foreach (var network in TrustedNetworks)
        {
            if (network.PrefixLength == 0)
            {
                throw Invalid(nameof(TrustedProxies), $"must not contain '{network}', which trusts every address.");
            }
        }

        if (PortalUrl is not null)
        {
            RequireHttpUrl(PortalUrl, nameof(PortalUrl));
            if (AllowedHosts.Count == 0)
            {
                throw Invalid(nameof(AllowedHosts), "must list the hosts a return URL may point to (for example app.example.com) when PortalUrl is set.");
            }
        }

        if (LogoutUrl is not null)
        {
            RequireHttpUrl(LogoutUrl, nameof(LogoutUrl));
        }

        foreach (var host in AllowedHosts)
        {
            if (!ForwardAuthReturnUrl.IsValidHostPattern(host))
            {
                throw Invalid(nameof(AllowedHosts), $"entry '{host}' is not a host name or a '*.domain' pattern.");
            }
        }

        RequireToken(CookieName, nameof(CookieName));
        RequireToken(UserHeader, nameof(UserHeader));
        RequireToken(GroupsHeader, nameof(GroupsHeader));
        RequireToken(EmailHeader, nameof(EmailHeader));
        RequireToken(NameHeader, nameof(NameHeader));
        RequireToken(CsrfHeaderName, nameof(CsrfHeaderName));
        RequireToken(ReturnUrlParameter, nameof(ReturnUrlParameter));
        if (string.IsNullOrWhiteSpace(Realm) || Realm.AsSpan().IndexOfAny("\"\\\r\n") >= 0)
        {
            throw Invalid(nameof(Realm), "must be non-empty, without quotes, backslashes or line breaks.");
        }

        if (string.IsNullOrEmpty(CsrfHeaderValue))
        {
            throw Invalid(nameof(CsrfHeaderValue), "must not be empty.");
        }

        if (CacheDuration < TimeSpan.Zero || CacheDuration > TimeSpan.FromMinutes(10))
        {
            throw Invalid(nameof(CacheDuration), "must be between 0 (no cache) and 10 minutes; a longer cache delays logouts.");
        }

        if (NotSignedInCacheDuration < TimeSpan.Zero || NotSignedInCacheDuration > TimeSpan.FromMinutes(1))
        {
            throw Invalid(nameof(NotSignedInCacheDuration), "must be between 0 (no cache) and 1 minute; a longer cache delays a sign-in that keeps its cookie.");
        }

        if (CacheSizeLimit < 1)
        {
            throw Invalid(nameof(CacheSizeLimit), "must be at least 1.");
        }

        if (VerifyTimeout <= TimeSpan.Zero || VerifyTimeout > TimeSpan.FromSeconds(30))
        {
            throw Invalid(nameof(VerifyTimeout), "must be more than 0 and at most 30 seconds.");
        }

        if (MaxConcurrentVerifications < 1)
        {
            throw Invalid(nameof(MaxConcurrentVerifications), "must be at least 1.");
        }

        if (MaxVerificationsPerSecond < 1)
        {
            throw Invalid(nameof(MaxVerificationsPerSecond), "must be at least 1: it bounds the verify calls a flood of made-up cookies can send the portal.");
        }

        if (RetryAfter < TimeSpan.FromSeconds(1))
        {
            throw Invalid(nameof(RetryAfter), "must be at least 1 second.");
        }

        foreach (var prefix in CachePathPrefixes)
        {
            if (string.IsNullOrEmpty(prefix) || prefix[0] != '/' || prefix.AsSpan().IndexOfAny("?#\r\n") >= 0)
            {
                throw Invalid(nameof(CachePathPrefixes), $"entry '{prefix}' is not a path prefix starting with '/'.");
            }
        }

        ValidateScopes(GroupScopes, nameof(GroupScopes));
        ValidateScopes(UserScopes, nameof(UserScopes));

        foreach (var origin in AllowedOrigins)
        {
            if (!Uri.TryCreate(origin, UriKind.Absolute, out var uri) || uri.AbsolutePath != "/" || !string.IsNullOrEmpty(uri.Query))
            {
                throw Invalid(nameof(AllowedOrigins), $"entry '{origin}' is not an origin (scheme://host[:port]).");
            }
        }

        if (TokenCookieName is not null)
        {
            if (!TokenCookieName.StartsWith("__Host-", StringComparison.Ordinal) || TokenCookieName.Length == "__Host-".Length)
            {
                throw Invalid(nameof(TokenCookieName), "must start with '__Host-' so browsers bind it to this host, over HTTPS, at path '/'.");
            }

            RequireToken(TokenCookieValidationScheme, nameof(TokenCookieValidationScheme));
        }
    }

    internal static InvalidOperationException Invalid(string option, string message) =>
        new($"{Prefix}{option} {message}");

    private static void AddScopes(IDictionary<string, string> map, string key, string[] scopes)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        ArgumentNullException.ThrowIfNull(scopes);
        foreach (var scope in scopes)
        {
            if (!ScopeClaimNormalizer.IsValidScope(scope))
            {
                throw new ArgumentException($"'{scope}' is not a valid scope.", nameof(scopes));
            }
        }

        map[key] = map.TryGetValue(key, out var existing) && !string.IsNullOrWhiteSpace(existing)
            ? existing + " " + string.Join(' ', scopes)
            : string.Join(' ', scopes);
    }

    private static void ValidateScopes(IDictionary<string, string> map, string option)
    {
        foreach (var (key, value) in map)
        {
            var any = false;
            foreach (var scope in ScopeClaimNormalizer.Split(value))
            {
                any = true;
                if (!ScopeClaimNormalizer.IsValidScope(scope))
                {
                    throw Invalid($"{option}:{key}", $"contains '{scope}', which is not a valid scope.");
                }
            }

            if (!any)
            {
                throw Invalid($"{option}:{key}", "lists no scope.");
            }
        }
    }

    private static void RequireHttpUrl(Uri url, string option)
    {
        if (!url.IsAbsoluteUri || (url.Scheme != Uri.UriSchemeHttps && url.Scheme != Uri.UriSchemeHttp))
        {
            throw Invalid(option, $"must be an absolute http or https URL; '{url}' is not.");
        }
    }

    private static void RequireToken(string? value, string option)
    {
        if (string.IsNullOrWhiteSpace(value) || value.AsSpan().IndexOfAny(" \t\r\n,;=\"") >= 0)
        {
            throw Invalid(option, "must be a non-empty name without spaces, commas, semicolons, quotes or '='.");
        }
    }

    private static bool IsVisibleAscii(string value)
    {
        foreach (var c in value)
        {
            if (c is < '!' or > '~')
            {
                return false;
            }
        }

        return true;
    }

    private static Uri Root(Uri url)
    {
        if (!url.IsAbsoluteUri)
        {
            throw new ArgumentException("The portal URL must be absolute.", nameof(url));
        }

        return url.AbsoluteUri.EndsWith('/') ? url : new Uri(url.AbsoluteUri + "/");
    }
}
