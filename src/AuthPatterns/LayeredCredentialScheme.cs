using Microsoft.AspNetCore.Http;

namespace AuthPatterns;

/// <summary>
/// Describes one scheme that the <see cref="LayeredAuthSchemes.Layered"/> scheme can select: its name and how to tell,
/// without any I/O, whether a request carries its kind of credential.
/// </summary>
public sealed class LayeredCredentialScheme
{
    /// <summary>Creates a description of a selectable scheme.</summary>
    /// <param name="name">The authentication scheme name, as registered with <c>AddAuthentication()</c>.</param>
    /// <param name="hasCredential">
    /// Returns <see langword="true"/> when the request presents this scheme's kind of credential. It must be cheap and
    /// must not validate the credential: selection only decides which handler looks at it.
    /// </param>
    public LayeredCredentialScheme(string name, Func<HttpContext, bool> hasCredential)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(hasCredential);
        Name = name;
        HasCredential = hasCredential;
    }

    /// <summary>The authentication scheme name.</summary>
    public string Name { get; }

    /// <summary>Tells whether a request presents this scheme's kind of credential.</summary>
    public Func<HttpContext, bool> HasCredential { get; }

    /// <summary>
    /// The auth-scheme used in <c>WWW-Authenticate</c> when a caller authenticated by this scheme lacks a scope
    /// (RFC 6750 §3.1 <c>error="insufficient_scope"</c>), for example <c>Bearer</c>; <see langword="null"/> for none.
    /// </summary>
    public string? InsufficientScopeChallenge { get; init; }
}
