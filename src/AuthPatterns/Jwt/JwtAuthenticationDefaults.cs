namespace AuthPatterns.Jwt;

/// <summary>Names and values the <see cref="LayeredAuthSchemes.Bearer"/> scheme uses.</summary>
public static class JwtAuthenticationDefaults
{
    /// <summary>The configuration sub-section of <c>LayeredAuth</c> the scheme binds: <c>Jwt</c>.</summary>
    public const string ConfigurationSection = "Jwt";

    /// <summary>The signature algorithm accepted by default.</summary>
    public const string DefaultAlgorithm = "RS256";

    /// <summary>The token type of OAuth 2.0 JWT access tokens (RFC 9068).</summary>
    public const string AccessTokenType = "at+jwt";

    /// <summary>The name of the <see cref="HttpClient"/> (from <c>IHttpClientFactory</c>) that fetches JWKS and discovery documents.</summary>
    public const string JwksHttpClientName = "AuthPatterns.Jwks";

    /// <summary>The claim carrying a token's app roles (app permissions), read by <see cref="JwtAuthenticationOptions.RoleScopes"/>.</summary>
    public const string RolesClaimType = "roles";

    /// <summary>The query parameter a token may arrive in on endpoints that allow it (see <c>AllowAccessTokenFromQuery()</c>).</summary>
    public const string AccessTokenQueryParameter = "access_token";
}
