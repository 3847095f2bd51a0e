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
