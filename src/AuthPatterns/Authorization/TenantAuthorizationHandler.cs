using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace AuthPatterns.Authorization;

internal sealed class TenantAuthorizationHandler : AuthorizationHandler<TenantRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, TenantRequirement requirement)
    {
        if (context.User.Identity?.IsAuthenticated != true)
        {
            return Task.CompletedTask;
        }

        var routeValue = context.Resource switch
        {
            HttpContext http => http.GetRouteValue(requirement.RouteValueName),
            RouteValueDictionary values => values.TryGetValue(requirement.RouteValueName, out var value) ? value : null,
            _ => null,
        };

        var tenant = context.User.FindFirst(LayeredClaimTypes.Tenant)?.Value;
        if (routeValue is not null && !string.IsNullOrEmpty(tenant)
            && string.Equals(Convert.ToString(routeValue, System.Globalization.CultureInfo.InvariantCulture), tenant, StringComparison.Ordinal))
        {
            context.Succeed(requirement);
        }

        return Task.CompletedTask;
    }
}
