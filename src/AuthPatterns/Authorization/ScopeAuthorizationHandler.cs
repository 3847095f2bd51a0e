using Microsoft.AspNetCore.Authorization;

namespace AuthPatterns.Authorization;

internal sealed class ScopeAuthorizationHandler : AuthorizationHandler<ScopeRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, ScopeRequirement requirement)
    {
        var user = context.User;
        if (user.Identity?.IsAuthenticated != true)
        {
            return Task.CompletedTask;
        }

        var satisfied = requirement.Match == ScopeMatch.All;
        foreach (var scope in requirement.Scopes)
        {
            var held = user.HasClaim(LayeredClaimTypes.Scope, scope);
            if (requirement.Match == ScopeMatch.All && !held)
            {
                satisfied = false;
                break;
            }

            if (requirement.Match == ScopeMatch.Any && held)
            {
                satisfied = true;
                break;
            }
        }

        if (satisfied)
        {
            context.Succeed(requirement);
        }

        return Task.CompletedTask;
    }
}
