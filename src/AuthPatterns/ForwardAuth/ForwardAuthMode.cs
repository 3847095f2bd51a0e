namespace AuthPatterns.ForwardAuth;

/// <summary>How the forward-auth scheme learns who the user is.</summary>
public enum ForwardAuthMode
{
    /// <summary>
    /// Replay the portal's session cookie to the portal's verify endpoint and read the identity from its answer
    /// (cached briefly). Safe wherever the service is reachable from.
    /// </summary>
    Verify = 0,

    /// <summary>
    /// Read the identity headers the proxy added (<c>Remote-User</c>, <c>X-Auth-Request-User</c>...), only from
    /// connections whose remote address is inside <see cref="ForwardAuthAuthenticationOptions.TrustedProxies"/>.
    /// </summary>
    TrustedHeaders = 1,
}
