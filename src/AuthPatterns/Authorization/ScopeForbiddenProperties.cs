using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;

namespace AuthPatterns.Authorization;

/// <summary>
/// What a forbid carries from authorization to the 403 answer: the scopes the endpoint required (and whether all or
/// any of them), and whether the tenant check failed. Typed over <see cref="AuthenticationProperties.Parameters"/>,
/// as <c>OAuthChallengeProperties</c> is, so it survives the trip through <c>ForbidAsync</c>.
/// </summary>
internal sealed class ScopeForbiddenProperties : AuthenticationProperties
{
    internal const string RequiredScopesKey = "authpatterns.required_scopes";
    internal const string ScopeMatchKey = "authpatterns.scope_match";
    internal const string TenantMismatchKey = "authpatterns.tenant_mismatch";

    public ScopeForbiddenProperties()
    {
    }

    // A view over existing properties: the same dictionaries, nothing copied.
    private ScopeForbiddenProperties(AuthenticationProperties properties)
        : base(properties.Items, properties.Parameters)
    {
    }

    /// <summary>The scopes the endpoint required, without duplicates, or <see langword="null"/> when none was missing.</summary>
    public IReadOnlyList<string>? RequiredScopes
    {
        get => GetParameter<IReadOnlyList<string>>(RequiredScopesKey);
        set => SetParameter(RequiredScopesKey, value);
    }

    /// <summary>Whether the endpoint required all of <see cref="RequiredScopes"/> or any one of them.</summary>
    public ScopeMatch Match
    {
        get => GetParameter<ScopeMatch>(ScopeMatchKey);
        set => SetParameter(ScopeMatchKey, value);
    }

    /// <summary>Whether the caller does not belong to the tenant the request names.</summary>
    public bool TenantMismatch
    {
        get => GetParameter<bool>(TenantMismatchKey);
        set => SetParameter(TenantMismatchKey, value);
    }

    /// <summary>Reads the properties a forbid arrived with (any <see cref="AuthenticationProperties"/>, typed or not).</summary>
    public static ScopeForbiddenProperties Of(AuthenticationProperties properties)
    {
        ArgumentNullException.ThrowIfNull(properties);
        return properties as ScopeForbiddenProperties ?? new ScopeForbiddenProperties(properties);
    }

    /// <summary>Collects the failed scope and tenant requirements of an authorization failure.</summary>
    public static ScopeForbiddenProperties From(AuthorizationFailure failure)
    {
        ArgumentNullException.ThrowIfNull(failure);
        var properties = new ScopeForbiddenProperties();
        var scopes = new List<string>();
        var match = ScopeMatch.All;
        var tenantFailed = false;
        foreach (var requirement in failure.FailedRequirements)
        {
            switch (requirement)
            {
                case ScopeRequirement scope:
                    scopes.AddRange(scope.Scopes.Where(s => !scopes.Contains(s, StringComparer.Ordinal)));
                    match = scope.Match;
                    break;
                case TenantRequirement:
                    tenantFailed = true;
                    break;
            }
        }

        if (scopes.Count > 0)
        {
            properties.RequiredScopes = scopes;
            properties.Match = match;
        }

        properties.TenantMismatch = tenantFailed;
        return properties;
    }
}
