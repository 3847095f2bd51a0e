using Microsoft.AspNetCore.Authorization;

namespace AuthPatterns.Authorization;

/// <summary>
/// Requires the caller's <see cref="LayeredClaimTypes.Tenant"/> claim to equal a route value of the request.
/// </summary>
public sealed class TenantRequirement : IAuthorizationRequirement
{
    /// <summary>Creates a tenant requirement.</summary>
    /// <param name="routeValueName">The name of the route value that holds the tenant, for example <c>tenantId</c>.</param>
    public TenantRequirement(string routeValueName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(routeValueName);
        RouteValueName = routeValueName;
    }

    /// <summary>The name of the route value that holds the tenant.</summary>
    public string RouteValueName { get; }

    /// <inheritdoc />
    public override string ToString() => $"The caller's tenant must equal the route value '{RouteValueName}'.";
}
