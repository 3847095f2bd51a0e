namespace AuthPatterns.ApiKeys;

/// <summary>Default names used by the API-key scheme.</summary>
public static class ApiKeyAuthenticationDefaults
{
    /// <summary>The scheme name, <c>ApiKey</c>.</summary>
    public const string AuthenticationScheme = LayeredAuthSchemes.ApiKey;

    /// <summary>The header a key is read from by default, <c>X-API-Key</c>.</summary>
    public const string HeaderName = "X-API-Key";

    /// <summary>The <c>Authorization</c> auth-scheme a key may also be sent with: <c>Authorization: ApiKey &lt;key&gt;</c>.</summary>
    public const string AuthorizationScheme = "ApiKey";

    /// <summary>The configuration sub-section of <c>LayeredAuth</c> the options bind from, <c>ApiKeys</c>.</summary>
    public const string ConfigurationSection = "ApiKeys";

    /// <summary>The scope that lets a management caller manage other owners' keys, <c>apikeys:admin</c>.</summary>
    public const string ManagementAdminScope = "apikeys:admin";
}

/// <summary>
/// The outcome of one API-key verification, as reported by events, logs (event id 2001) and the
/// <c>authpatterns.authentication.outcomes</c> counter.
/// </summary>
public static class ApiKeyOutcomes
{
    /// <summary>The key is valid.</summary>
    public const string Valid = "valid";

    /// <summary>Wrong length, characters, prefix, marker or checksum; refused with no I/O.</summary>
    public const string Malformed = "malformed";

    /// <summary>No key has this id.</summary>
    public const string NotFound = "not_found";

    /// <summary>The id exists but the secret is wrong.</summary>
    public const string InvalidSecret = "invalid_secret";

    /// <summary>The key has expired.</summary>
    public const string Expired = "expired";

    /// <summary>The key was revoked.</summary>
    public const string Revoked = "revoked";

    /// <summary>The client address is outside the key's allowed networks.</summary>
    public const string NetworkNotAllowed = "network_not_allowed";

    /// <summary>Too many failed verifications for this key id or client address.</summary>
    public const string RateLimited = "rate_limited";

    /// <summary>Too many verifications in flight; the request was shed with 503.</summary>
    public const string Overloaded = "overloaded";

    /// <summary>The key store could not be reached; the request was refused with 503, failing closed.</summary>
    public const string StoreUnavailable = "store_unavailable";

    /// <summary>The key was sent in the query string and refused with 400.</summary>
    public const string Exposed = "exposed";
}
