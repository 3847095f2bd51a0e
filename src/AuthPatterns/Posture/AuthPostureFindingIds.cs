namespace AuthPatterns.Posture;

/// <summary>The stable ids of posture findings; docs/posture.md explains each one and how to resolve it.</summary>
public static class AuthPostureFindingIds
{
    /// <summary>An endpoint with no authorization at all, under a route prefix whose other endpoints are protected (high).</summary>
    public const string UnprotectedEndpoint = "AP001";

    /// <summary>An unsafe method that accepts the forward-auth cookie while the CSRF defence is off (high).</summary>
    public const string CookieWithoutCsrfDefence = "AP002";

    /// <summary>API keys accepted on a user-facing endpoint, one that also accepts the portal cookie (warning).</summary>
    public const string ApiKeyOnUserEndpoint = "AP003";

    /// <summary>The portal cookie accepted on a webhook-style endpoint (warning).</summary>
    public const string CookieOnWebhookEndpoint = "AP004";

    /// <summary>JWT validation accepts tokens that live longer than 15 minutes (warning).</summary>
    public const string LongLivedTokens = "AP005";

    /// <summary>JWT validation allows a clock skew above 60 seconds (warning).</summary>
    public const string WideClockSkew = "AP006";

    /// <summary>An active API key that never expires (warning).</summary>
    public const string KeyWithoutExpiry = "AP007";

    /// <summary>An active API key unused for 90 days (warning).</summary>
    public const string UnusedKey = "AP008";

    /// <summary>An active API key past half its lifetime with no successor rolled from it (info).</summary>
    public const string KeyWithoutSuccessor = "AP009";

    /// <summary>A scope granted by a key or a portal group or user that no endpoint requires (info).</summary>
    public const string ScopeRequiredNowhere = "AP010";

    /// <summary>A scope an endpoint requires that no key, portal group or user is granted (warning; info when bearer tokens may carry it).</summary>
    public const string ScopeGrantedNowhere = "AP011";

    /// <summary>The key store could not be read, so the key findings are missing (warning).</summary>
    public const string KeyStoreUnreadable = "AP012";
}
