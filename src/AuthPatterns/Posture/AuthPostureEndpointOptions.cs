using AuthPatterns.Authorization;

namespace AuthPatterns.Posture;

/// <summary>Options of the posture endpoint mapped by <c>MapAuthPosture()</c>.</summary>
public sealed class AuthPostureEndpointOptions
{
    /// <summary>The scope <c>MapAuthPosture()</c> requires by default.</summary>
    public const string DefaultScope = "authpatterns:admin";

    /// <summary>The path <c>MapAuthPosture()</c> answers at by default.</summary>
    public const string DefaultPattern = "/.well-known/authpatterns/posture";

    /// <summary>The scope a caller needs to read the report. Defaults to <c>authpatterns:admin</c>.</summary>
    public string Scope { get; set; } = DefaultScope;

    /// <summary>
    /// Whether callers on a loopback address (127.0.0.0/8, ::1) may read the report without a credential.
    /// <see langword="false"/> by default; meant for Development. The address is the connection's, as the app's
    /// forwarded-headers settings leave it, never a header a caller writes. A request carrying any forwarding header
    /// (<c>X-Forwarded-*</c>, <c>Forwarded</c>, <c>X-Real-IP</c>, <c>X-Original-*</c>) is not let through, since a reverse
    /// proxy on the same machine connects from loopback for every outside caller; a proxy that forwards no header at
    /// all cannot be told apart, so leave this off behind one.
    /// </summary>
    public bool AllowLoopback { get; set; }

    internal void Validate()
    {
        if (!ScopeClaimNormalizer.IsValidScope(Scope))
        {
            throw new InvalidOperationException(
                $"MapAuthPosture: {nameof(Scope)} '{Scope}' is not a valid scope: one or more printable ASCII characters without spaces, quotes or backslashes.");
        }
    }
}
