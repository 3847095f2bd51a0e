namespace AuthPatterns.Posture;

/// <summary>How one endpoint is protected, as its metadata and the registered schemes say.</summary>
public sealed class AuthPostureEndpoint
{
    /// <summary>The route pattern, for example <c>/tenants/{tenantId}/invoices</c>.</summary>
    public required string Route { get; init; }

    /// <summary>The HTTP methods the endpoint answers; empty when it answers every method.</summary>
    public required IReadOnlyList<string> Methods { get; init; }

    /// <summary>The endpoint's display name, when it has one.</summary>
    public string? DisplayName { get; init; }

    /// <summary>Whether an authorization policy applies to the endpoint (its own, or the application's fallback policy).</summary>
    public required bool IsProtected { get; init; }

    /// <summary>Whether the endpoint is explicitly open to anonymous callers (<c>AllowAnonymous()</c>).</summary>
    public required bool AllowsAnonymous { get; init; }

    /// <summary>The schemes whose credentials can authenticate a caller of the endpoint, for example <c>ApiKey</c>.</summary>
    public required IReadOnlyList<string> AcceptedSchemes { get; init; }

    /// <summary>The scopes a caller must hold, every one of them.</summary>
    public required IReadOnlyList<string> RequiredScopes { get; init; }

    /// <summary>Sets of scopes of which a caller must hold at least one each (<c>RequireAnyScope</c>).</summary>
    public required IReadOnlyList<IReadOnlyList<string>> AnyOfScopes { get; init; }

    /// <summary>The route value the caller's tenant must equal (<c>RequireTenant</c>), or <see langword="null"/> for none.</summary>
    public string? TenantRouteValue { get; init; }
}
