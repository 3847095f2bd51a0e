using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Http;

namespace AuthPatterns.Authorization;

/// <summary>
/// Passes the scopes an endpoint required to the scheme that forbids the request, so the 403 can say which scopes
/// were missing (RFC 6750 <c>insufficient_scope</c>). Everything else goes to the default result handler.
/// </summary>
internal sealed class LayeredAuthorizationResultHandler : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _default = new();

    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        if (!authorizeResult.Forbidden || authorizeResult.AuthorizationFailure is null)
        {
            await _default.HandleAsync(next, context, policy, authorizeResult);
            return;
        }

        var properties = new AuthenticationProperties();
        var scopes = new List<string>();
        var match = ScopeMatch.All;
        var tenantFailed = false;
        foreach (var requirement in authorizeResult.AuthorizationFailure.FailedRequirements)
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
            properties.SetParameter(LayeredAuthProperties.RequiredScopes, (IReadOnlyList<string>)scopes);
            properties.SetParameter(LayeredAuthProperties.ScopeMatch, match);
        }

        properties.SetParameter(LayeredAuthProperties.TenantMismatch, tenantFailed);

        if (policy.AuthenticationSchemes.Count > 0)
        {
            foreach (var scheme in policy.AuthenticationSchemes)
            {
                await context.ForbidAsync(scheme, properties);
            }
        }
        else
        {
            await context.ForbidAsync(properties);
        }
    }
}

/// <summary>Keys of the <see cref="AuthenticationProperties"/> parameters the layered scheme reads.</summary>
internal static class LayeredAuthProperties
{
    public const string RequiredScopes = "authpatterns.required_scopes";
    public const string ScopeMatch = "authpatterns.scope_match";
    public const string TenantMismatch = "authpatterns.tenant_mismatch";
}
