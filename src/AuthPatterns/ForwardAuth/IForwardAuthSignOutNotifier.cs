using AuthPatterns.Infrastructure;

namespace AuthPatterns.ForwardAuth;

/// <summary>
/// Tells the other instances that a session signed out through this one, so they drop their cached answers for it.
/// A session is named by the answer cache's HMAC of its cookie, never by the cookie: the instances share the HMAC secret.
/// </summary>
internal interface IForwardAuthSignOutNotifier
{
    /// <summary>The HMAC secret every instance's answer cache uses, or <see langword="null"/> while it is not known.</summary>
    byte[]? SharedSecret { get; }

    /// <summary>Announces the sign-out of a session; never throws (a sign-out is never refused for it).</summary>
    Task PublishAsync(string scheme, CredentialKey session, CancellationToken cancellationToken);
}
