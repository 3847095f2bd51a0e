namespace AuthPatterns.ForwardAuth;

/// <summary>Why a request carrying a forward-auth credential was not authenticated.</summary>
public enum ForwardAuthFailure
{
    /// <summary>The portal does not know the session (401, 302 or 303 from the verify endpoint), or the token cookie was refused.</summary>
    NotSignedIn = 0,

    /// <summary>The portal knows the user but its access rules deny this request (403 from the verify endpoint).</summary>
    Forbidden = 1,

    /// <summary>The portal did not answer in time, could not be reached, or answered with an error; the request fails closed.</summary>
    PortalUnavailable = 2,

    /// <summary>Too many verify calls were already in flight; the request was shed rather than queued.</summary>
    Overloaded = 3,

    /// <summary>An unsafe request (POST, PUT, PATCH, DELETE) carried neither the CSRF header nor a same-origin proof.</summary>
    CsrfRequired = 4,

    /// <summary>
    /// The portal had already been asked <c>MaxVerificationsPerSecond</c> times in the current second; the request was
    /// shed rather than queued.
    /// </summary>
    RateLimited = 5,
}
