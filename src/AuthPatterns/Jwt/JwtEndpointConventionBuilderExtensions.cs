using AuthPatterns.Jwt;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Bearer-token conventions for endpoints, route groups and hubs.</summary>
public static class JwtEndpointConventionBuilderExtensions
{
    /// <summary>
    /// Accepts the bearer token from the <c>access_token</c> query parameter on these endpoints, for clients that cannot
    /// send an <c>Authorization</c> header (browser WebSockets, server-sent events, SignalR: <c>app.MapHub&lt;T&gt;("/hub")
    /// .AllowAccessTokenFromQuery()</c>). A request that sends a token both ways is refused as ambiguous. On every other
    /// endpoint the parameter is ignored.
    /// </summary>
    /// <typeparam name="TBuilder">The endpoint convention builder type.</typeparam>
    /// <param name="builder">The endpoint, group or hub.</param>
    /// <returns>The builder.</returns>
    public static TBuilder AllowAccessTokenFromQuery<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        var metadata = new AllowAccessTokenFromQueryAttribute();
        builder.Add(endpoint => endpoint.Metadata.Add(metadata));
        return builder;
    }
}
