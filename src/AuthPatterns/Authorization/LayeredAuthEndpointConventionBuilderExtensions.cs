using AuthPatterns.Authorization;

namespace Microsoft.AspNetCore.Builder;

/// <summary>
/// Scope, scheme and tenant requirements for minimal-API endpoints and route groups.
/// </summary>
public static class LayeredAuthEndpointConventionBuilderExtensions
{
    /// <summary>Requires every listed scope, whichever layered scheme authenticated the caller.</summary>
    /// <typeparam name="TBuilder">The endpoint convention builder type.</typeparam>
    /// <param name="builder">The endpoint or group.</param>
    /// <param name="scopes">The scopes; at least one.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentException">No scope, or an invalid one, was given.</exception>
    public static TBuilder RequireScope<TBuilder>(this TBuilder builder, params string[] scopes)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        _ = new ScopeRequirement(scopes ?? [], ScopeMatch.All);
        return builder.RequireAuthorization(new RequireScopeAttribute(scopes!));
    }

    /// <summary>Requires any one of the listed scopes.</summary>
    /// <typeparam name="TBuilder">The endpoint convention builder type.</typeparam>
    /// <param name="builder">The endpoint or group.</param>
    /// <param name="scopes">The scopes; at least one.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentException">No scope, or an invalid one, was given.</exception>
    public static TBuilder RequireAnyScope<TBuilder>(this TBuilder builder, params string[] scopes)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        _ = new ScopeRequirement(scopes ?? [], ScopeMatch.Any);
        return builder.RequireAuthorization(new RequireAnyScopeAttribute(scopes!));
    }

    /// <summary>
    /// Requires the scopes read from a configuration key (a space-separated string or an array), whichever layered
    /// scheme authenticated the caller. The key is read when the application starts; a missing or empty key fails
    /// startup with a message naming it.
    /// </summary>
    /// <typeparam name="TBuilder">The endpoint convention builder type.</typeparam>
    /// <param name="builder">The endpoint or group.</param>
    /// <param name="configurationKey">The key, for example <c>Orders:RequiredScopes</c>.</param>
    /// <param name="match">Whether all the listed scopes (the default) or any one of them is required.</param>
    /// <returns>The builder.</returns>
    public static TBuilder RequireScopeFromConfiguration<TBuilder>(this TBuilder builder, string configurationKey, ScopeMatch match = ScopeMatch.All)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.RequireAuthorization(new RequireScopeFromConfigurationAttribute(configurationKey) { ScopeMatch = match });
    }

    /// <summary>
    /// Restricts the endpoint to some of the layered schemes. A credential of another scheme is answered with 401, as
    /// if no credential had been sent. Combine with <see cref="RequireScope{TBuilder}"/> or <c>RequireAuthorization()</c>.
    /// </summary>
    /// <typeparam name="TBuilder">The endpoint convention builder type.</typeparam>
    /// <param name="builder">The endpoint or group.</param>
    /// <param name="schemes">Scheme names from <c>LayeredAuthSchemes</c>; at least one.</param>
    /// <returns>The builder.</returns>
    public static TBuilder AllowSchemes<TBuilder>(this TBuilder builder, params string[] schemes)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        var metadata = new AllowSchemesAttribute(schemes);
        builder.Add(endpoint => endpoint.Metadata.Add(metadata));
        return builder;
    }

    /// <summary>Requires the caller's <c>tenant</c> claim to equal a route value of the request.</summary>
    /// <typeparam name="TBuilder">The endpoint convention builder type.</typeparam>
    /// <param name="builder">The endpoint or group.</param>
    /// <param name="routeValueName">The route value holding the tenant, for example <c>tenantId</c>.</param>
    /// <returns>The builder.</returns>
    public static TBuilder RequireTenant<TBuilder>(this TBuilder builder, string routeValueName)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.RequireAuthorization(new RequireTenantAttribute(routeValueName));
    }
}
