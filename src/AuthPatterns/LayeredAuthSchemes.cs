namespace AuthPatterns;

/// <summary>
/// The names of the authentication schemes that <c>AddLayeredAuth()</c> and its verbs register.
/// </summary>
public static class LayeredAuthSchemes
{
    /// <summary>The selecting scheme, registered as the default: it forwards each request to exactly one of the others.</summary>
    public const string Layered = "Layered";

    /// <summary>Hashed, scoped API keys, for webhooks and server-to-server callers.</summary>
    public const string ApiKey = "ApiKey";

    /// <summary>RS256 JSON Web Tokens verified against a JWKS, for services in a mesh.</summary>
    public const string Bearer = "Bearer";

    /// <summary>The session cookie of a forward-auth portal (Authelia, oauth2-proxy), for people.</summary>
    public const string ForwardAuth = "ForwardAuth";
}
