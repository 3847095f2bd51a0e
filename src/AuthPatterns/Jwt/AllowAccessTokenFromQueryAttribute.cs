namespace AuthPatterns.Jwt;

/// <summary>
/// Endpoint metadata allowing the bearer token to come from the <c>access_token</c> query parameter (RFC 6750 §2.3), for
/// clients that cannot send an <c>Authorization</c> header: browser WebSockets, server-sent events, SignalR hubs.
/// </summary>
public interface IAllowAccessTokenFromQueryMetadata
{
}

/// <summary>
/// Lets the <see cref="LayeredAuthSchemes.Bearer"/> scheme read the token from the <c>access_token</c> query parameter on
/// this endpoint, hub or controller. Everywhere else the parameter is ignored: it is never read and never selects a scheme.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method, AllowMultiple = false, Inherited = true)]
public sealed class AllowAccessTokenFromQueryAttribute : Attribute, IAllowAccessTokenFromQueryMetadata
{
}
