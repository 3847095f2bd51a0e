using Microsoft.Extensions.Configuration;

namespace AuthPatterns.Authorization;

/// <summary>
/// The policy names the <c>ScopePolicyProvider</c> understands, for <c>[Authorize(Policy = ...)]</c> users:
/// <c>scope:a b</c> (all of), <c>scope-any:a b</c> (any of), <c>scope-config:Section:Key</c> and
/// <c>scope-any-config:Section:Key</c> (the scopes read from configuration) and <c>tenant:routeValueName</c>.
/// </summary>
public static class ScopePolicyNames
{
    /// <summary>Prefix of an all-of scope policy: <c>scope:orders:read orders:write</c>.</summary>
    public const string AllOfPrefix = "scope:";

    /// <summary>Prefix of an any-of scope policy: <c>scope-any:orders:read orders:admin</c>.</summary>
    public const string AnyOfPrefix = "scope-any:";

    /// <summary>Prefix of an all-of scope policy whose scopes are read from a configuration key: <c>scope-config:Orders:Scopes</c>.</summary>
    public const string AllOfConfigurationPrefix = "scope-config:";

    /// <summary>Prefix of an any-of scope policy whose scopes are read from a configuration key: <c>scope-any-config:Orders:Scopes</c>.</summary>
    public const string AnyOfConfigurationPrefix = "scope-any-config:";

    /// <summary>Prefix of a tenant policy: <c>tenant:tenantId</c>.</summary>
    public const string TenantPrefix = "tenant:";

    /// <summary>The policy name requiring all of the scopes.</summary>
    /// <param name="scopes">The scopes.</param>
    /// <returns>The policy name.</returns>
    public static string AllOf(params string[] scopes) => AllOfPrefix + Join(scopes);

    /// <summary>The policy name requiring any one of the scopes.</summary>
    /// <param name="scopes">The scopes.</param>
    /// <returns>The policy name.</returns>
    public static string AnyOf(params string[] scopes) => AnyOfPrefix + Join(scopes);

    /// <summary>The policy name requiring the scopes read from a configuration key (a space-separated string or an array).</summary>
    /// <param name="configurationKey">The key, for example <c>Orders:RequiredScopes</c>.</param>
    /// <param name="match">Whether all the scopes or any one of them is required.</param>
    /// <returns>The policy name.</returns>
    public static string FromConfiguration(string configurationKey, ScopeMatch match = ScopeMatch.All)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(configurationKey);
        return (match == ScopeMatch.Any ? AnyOfConfigurationPrefix : AllOfConfigurationPrefix) + configurationKey.Trim();
    }

    /// <summary>The policy name requiring the caller's tenant to equal a route value.</summary>
    /// <param name="routeValueName">The route value name.</param>
    /// <returns>The policy name.</returns>
    public static string Tenant(string routeValueName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(routeValueName);
        return TenantPrefix + routeValueName;
    }

    /// <summary>Tells whether a policy name is one of ours.</summary>
    /// <param name="policyName">The policy name.</param>
    /// <returns><see langword="true"/> for the scope and tenant prefixes.</returns>
    internal static bool IsLayeredPolicy(string? policyName) =>
        policyName is not null
        && (policyName.StartsWith(AllOfPrefix, StringComparison.Ordinal)
            || policyName.StartsWith(AnyOfPrefix, StringComparison.Ordinal)
            || policyName.StartsWith(AllOfConfigurationPrefix, StringComparison.Ordinal)
            || policyName.StartsWith(AnyOfConfigurationPrefix, StringComparison.Ordinal)
            || policyName.StartsWith(TenantPrefix, StringComparison.Ordinal));

    internal static ParsedPolicy Parse(string policyName, IConfiguration? configuration = null)
    {
        if (policyName.StartsWith(AllOfConfigurationPrefix, StringComparison.Ordinal))
        {
            var key = ConfigurationKey(policyName, AllOfConfigurationPrefix);
            return new ParsedPolicy(new ScopeRequirement(ConfiguredScopes.Read(configuration, key), ScopeMatch.All), null);
        }

        if (policyName.StartsWith(AnyOfConfigurationPrefix, StringComparison.Ordinal))
        {
            var key = ConfigurationKey(policyName, AnyOfConfigurationPrefix);
            return new ParsedPolicy(new ScopeRequirement(ConfiguredScopes.Read(configuration, key), ScopeMatch.Any), null);
        }

        if (policyName.StartsWith(AnyOfPrefix, StringComparison.Ordinal))
        {
            return new ParsedPolicy(
                new ScopeRequirement(ScopeClaimNormalizer.Split(policyName[AnyOfPrefix.Length..]), ScopeMatch.Any), null);
        }

        if (policyName.StartsWith(AllOfPrefix, StringComparison.Ordinal))
        {
            return new ParsedPolicy(
                new ScopeRequirement(ScopeClaimNormalizer.Split(policyName[AllOfPrefix.Length..]), ScopeMatch.All), null);
        }

        return new ParsedPolicy(null, new TenantRequirement(policyName[TenantPrefix.Length..].Trim()));
    }

    private static string ConfigurationKey(string policyName, string prefix)
    {
        var key = policyName[prefix.Length..].Trim();
        return key.Length > 0
            ? key
            : throw new ArgumentException($"The policy '{policyName}' names no configuration key.", nameof(policyName));
    }

    private static string Join(string[] scopes)
    {
        ArgumentNullException.ThrowIfNull(scopes);
        return string.Join(' ', scopes);
    }

    internal readonly record struct ParsedPolicy(ScopeRequirement? Scope, TenantRequirement? Tenant);
}
