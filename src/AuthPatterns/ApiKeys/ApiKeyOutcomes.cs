namespace AuthPatterns.ApiKeys;

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
