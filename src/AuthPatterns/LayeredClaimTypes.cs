namespace AuthPatterns;

/// <summary>
/// The claim types every layered scheme puts on its principal, whatever the credential was.
/// </summary>
public static class LayeredClaimTypes
{
    /// <summary>One claim per granted scope (never a space-separated list).</summary>
    public const string Scope = "scope";

    /// <summary>The subject: the key owner, the token's <c>sub</c>, the portal user.</summary>
    public const string Subject = "sub";

    /// <summary>The name of the scheme that authenticated the request.</summary>
    public const string Scheme = "auth_scheme";

    /// <summary>The tenant the caller belongs to, where known.</summary>
    public const string Tenant = "tenant";

    /// <summary>The public id of the API key that authenticated the request.</summary>
    public const string KeyId = "key_id";

    /// <summary>The token id (<c>jti</c>) of the JWT that authenticated the request.</summary>
    public const string TokenId = "jti";

    /// <summary>The OAuth2 client that obtained the token.</summary>
    public const string ClientId = "client_id";

    /// <summary>A portal session identifier, where the portal reveals one.</summary>
    public const string Session = "sid";

    /// <summary>One claim per portal group.</summary>
    public const string Group = "group";

    /// <summary>The display name.</summary>
    public const string Name = "name";

    /// <summary>The e-mail address.</summary>
    public const string Email = "email";

    /// <summary>
    /// Tells whether a claim type is one the library sets itself and no credential may bring in: the scheme that
    /// authenticated the request (<see cref="Scheme"/>) and the API key id (<see cref="KeyId"/>). Handlers strip these
    /// from whatever a credential carries (JWT payloads, tokens read from cookies), so a token that says
    /// <c>auth_scheme: ApiKey</c> still shows as the scheme that really validated it.
    /// </summary>
    /// <param name="claimType">The claim type.</param>
    /// <returns><see langword="true"/> for a reserved claim type.</returns>
    public static bool IsReserved(string? claimType) =>
        string.Equals(claimType, Scheme, StringComparison.Ordinal)
        || string.Equals(claimType, KeyId, StringComparison.Ordinal);
}
