using Microsoft.AspNetCore.Authorization;

namespace AuthPatterns.Authorization;

/// <summary>
/// Requires every listed scope, whichever layered scheme authenticated the caller. Equivalent to
/// <c>[Authorize(Policy = "scope:a b")]</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method, AllowMultiple = true, Inherited = true)]
public sealed class RequireScopeAttribute : AuthorizeAttribute
{
    /// <summary>Requires every listed scope.</summary>
    /// <param name="scopes">The scopes; at least one.</param>
    public RequireScopeAttribute(params string[] scopes)
        : base(ScopePolicyNames.AllOf(scopes))
    {
        Scopes = scopes;
    }

    /// <summary>The required scopes.</summary>
    public IReadOnlyList<string> Scopes { get; }
}

/// <summary>
/// Requires any one of the listed scopes. Equivalent to <c>[Authorize(Policy = "scope-any:a b")]</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method, AllowMultiple = true, Inherited = true)]
public sealed class RequireAnyScopeAttribute : AuthorizeAttribute
{
    /// <summary>Requires any one of the listed scopes.</summary>
    /// <param name="scopes">The scopes; at least one.</param>
    public RequireAnyScopeAttribute(params string[] scopes)
        : base(ScopePolicyNames.AnyOf(scopes))
    {
        Scopes = scopes;
    }

    /// <summary>The scopes, any one of which is enough.</summary>
    public IReadOnlyList<string> Scopes { get; }
}

/// <summary>
/// Requires the caller's tenant claim to equal a route value. Equivalent to <c>[Authorize(Policy = "tenant:name")]</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method, AllowMultiple = false, Inherited = true)]
public sealed class RequireTenantAttribute : AuthorizeAttribute
{
    /// <summary>Requires the caller's tenant to equal the named route value.</summary>
    /// <param name="routeValueName">The route value holding the tenant, for example <c>tenantId</c>.</param>
    public RequireTenantAttribute(string routeValueName)
        : base(ScopePolicyNames.Tenant(routeValueName))
    {
        RouteValueName = routeValueName;
    }

    /// <summary>The route value holding the tenant.</summary>
    public string RouteValueName { get; }
}

/// <summary>
/// Requires the scopes read from a configuration key, whichever layered scheme authenticated the caller: a
/// space-separated string (<c>"orders:read orders:write"</c>) or an array. A missing or empty key fails startup naming
/// the key. Equivalent to <c>[Authorize(Policy = "scope-config:Section:Key")]</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method, AllowMultiple = true, Inherited = true)]
public sealed class RequireScopeFromConfigurationAttribute : AuthorizeAttribute
{
    private ScopeMatch _match;

    /// <summary>Requires every scope the configuration key lists.</summary>
    /// <param name="configurationKey">The key, for example <c>Orders:RequiredScopes</c>.</param>
    public RequireScopeFromConfigurationAttribute(string configurationKey)
        : base(ScopePolicyNames.FromConfiguration(configurationKey))
    {
        ConfigurationKey = configurationKey;
    }

    /// <summary>The configuration key holding the scopes.</summary>
    public string ConfigurationKey { get; }

    /// <summary>Whether all the listed scopes (the default) or any one of them is required.</summary>
    public ScopeMatch ScopeMatch
    {
        get => _match;
        set
        {
            _match = value;
            Policy = ScopePolicyNames.FromConfiguration(ConfigurationKey, value);
        }
    }
}
