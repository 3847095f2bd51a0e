namespace AuthPatterns.ForwardAuth;

/// <summary>The portal whose cookie name, header names and endpoint paths fill the options left unset.</summary>
public enum ForwardAuthPreset
{
    /// <summary>Authelia: <c>authelia_session</c>, <c>Remote-User</c>, <c>Remote-Groups</c>, <c>Remote-Email</c>, <c>Remote-Name</c>.</summary>
    Authelia = 0,

    /// <summary>oauth2-proxy: <c>_oauth2_proxy</c>, <c>X-Auth-Request-User</c>, <c>-Groups</c>, <c>-Email</c>, <c>-Preferred-Username</c>.</summary>
    OAuth2Proxy = 1,
}
