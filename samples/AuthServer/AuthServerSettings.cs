namespace AuthServer;

/// <summary>The sample's settings, bound from the <c>AuthServer</c> section (environment: <c>AuthServer__Issuer</c> ...).</summary>
public sealed class AuthServerSettings
{
    /// <summary>The configuration section.</summary>
    public const string Section = "AuthServer";

    /// <summary>The issuer (<c>iss</c>) of every token, for example <c>https://auth.example.com/</c>; the request's own address when unset.</summary>
    public Uri? Issuer { get; set; }

    /// <summary>Where the database, the signing and encryption keys and the data-protection keys live. Defaults to <c>App_Data</c> under the content root.</summary>
    public string? DataDirectory { get; set; }

    /// <summary>The audience (<c>aud</c>) of access tokens: the API they are for.</summary>
    public string Audience { get; set; } = "layered-api";

    /// <summary>The scopes of the API that clients may ask for.</summary>
    public IList<string> ApiScopes { get; } = [];

    /// <summary>
    /// Hosts a return URL (<c>ReturnUrl</c> or <c>rd</c>) may point to after signing in, besides this server's own paths:
    /// the hosts of the apps behind the forward-auth proxy. Any other return URL is replaced by <c>/</c>.
    /// </summary>
    public IList<string> AllowedReturnHosts { get; } = [];

    /// <summary>Accept plain HTTP (no TLS). Only for a server on loopback during development; defaults to the Development environment.</summary>
    public bool? AllowHttp { get; set; }

    /// <summary>The base address of the API the printed example commands call.</summary>
    public Uri ApiBaseUrl { get; set; } = new("http://localhost:5080/");

    /// <summary>The clients seeded at startup (created, or updated to match).</summary>
    public SeededClients Clients { get; set; } = new();

    /// <summary>The demo user seeded at startup; none when no password is configured.</summary>
    public SeededUser DemoUser { get; set; } = new();
}

/// <summary>The four seeded clients.</summary>
public sealed class SeededClients
{
    /// <summary>A partner's server, client credentials.</summary>
    public SeededClient Partner { get; set; } = new() { ClientId = "partner" };

    /// <summary>An internal service, client credentials.</summary>
    public SeededClient Service { get; set; } = new() { ClientId = "service" };

    /// <summary>A confidential web app (the API's browser login), authorization code + PKCE.</summary>
    public SeededClient Web { get; set; } = new() { ClientId = "layered-web" };

    /// <summary>A public single-page app, authorization code + PKCE, no secret.</summary>
    public SeededClient Spa { get; set; } = new() { ClientId = "spa" };
}

/// <summary>One seeded client.</summary>
public sealed class SeededClient
{
    /// <summary>The client id.</summary>
    public string ClientId { get; set; } = "";

    /// <summary>The secret of a confidential client; the client is not seeded without one (public clients have none).</summary>
    public string? Secret { get; set; }

    /// <summary>The scopes the client may ask for.</summary>
    public IList<string> Scopes { get; } = [];

    /// <summary>The exact redirect URIs (authorization code clients).</summary>
    public IList<Uri> RedirectUris { get; } = [];

    /// <summary>The exact post-logout redirect URIs.</summary>
    public IList<Uri> PostLogoutRedirectUris { get; } = [];
}

/// <summary>The demo user.</summary>
public sealed class SeededUser
{
    /// <summary>The user name (<c>Remote-User</c>, <c>sub</c>).</summary>
    public string UserName { get; set; } = "demo";

    /// <summary>The password; the user is not seeded without one.</summary>
    public string? Password { get; set; }

    /// <summary>The display name.</summary>
    public string Name { get; set; } = "Demo User";

    /// <summary>The e-mail address.</summary>
    public string Email { get; set; } = "demo@example.com";

    /// <summary>The groups (<c>Remote-Groups</c>).</summary>
    public IList<string> Groups { get; } = [];
}
