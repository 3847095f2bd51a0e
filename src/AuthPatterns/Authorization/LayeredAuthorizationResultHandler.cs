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

        var properties = ScopeForbiddenProperties.From(authorizeResult.AuthorizationFailure);

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

