using AuthPatterns.ApiKeys;
using AuthPatterns.Dashboard;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.AspNetCore.Builder;

/// <summary>
/// Maps the AuthPatterns dashboard: server-rendered HTML pages where a person holding the dashboard's scope sees and
/// manages the API keys (create, revoke, roll, change scopes, expiry and networks, through <see cref="ApiKeyManager"/>
/// with the management endpoints' rules and audit) and reads their usage per hour (requests served, refused attempts by
/// outcome) as inline SVG charts. No script, no external resource; every answer carries a strict
/// Content-Security-Policy, and actions are accepted only as forms posted from the dashboard's own origin.
/// </summary>
public static class LayeredAuthDashboardEndpointRouteBuilderExtensions
{
    /// <summary>Maps the dashboard under <paramref name="prefix"/>, requiring <c>authpatterns:admin</c>.</summary>
    /// <param name="endpoints">The route builder.</param>
    /// <param name="prefix">The route prefix, for example <c>/authpatterns</c>.</param>
    /// <returns>The group, to add conventions to.</returns>
    public static RouteGroupBuilder MapLayeredAuthDashboard(this IEndpointRouteBuilder endpoints, string prefix) =>
        endpoints.MapLayeredAuthDashboard(prefix, configure: null);

    /// <summary>Maps the dashboard under <paramref name="prefix"/>.</summary>
    /// <param name="endpoints">The route builder.</param>
    /// <param name="prefix">The route prefix, for example <c>/authpatterns</c>.</param>
    /// <param name="configure">Sets the options (the required scope, the usage window), or <see langword="null"/>.</param>
    /// <returns>The group, to add conventions to.</returns>
    /// <exception cref="ArgumentException">The prefix does not start with '/' or an option is invalid.</exception>
    /// <exception cref="InvalidOperationException">The API-key scheme is not registered.</exception>
    public static RouteGroupBuilder MapLayeredAuthDashboard(this IEndpointRouteBuilder endpoints, string prefix, Action<LayeredAuthDashboardOptions>? configure)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentException.ThrowIfNullOrWhiteSpace(prefix);
        if (prefix[0] != '/' || prefix.Contains('{', StringComparison.Ordinal) || prefix.Contains('?', StringComparison.Ordinal))
        {
            throw new ArgumentException($"The dashboard prefix must be a fixed path starting with '/' (for example /authpatterns); '{prefix}' is not.", nameof(prefix));
        }

        if (endpoints.ServiceProvider.GetService<ApiKeyManager>() is null)
        {
            throw new InvalidOperationException("MapLayeredAuthDashboard needs the API-key scheme: call AddLayeredAuth().AddApiKeys(...) first.");
        }

        var options = new LayeredAuthDashboardOptions();
        configure?.Invoke(options);
        options.Validate();
        return DashboardEndpoints.Map(endpoints, prefix, options);
    }
}
