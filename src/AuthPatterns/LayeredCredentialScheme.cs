using Microsoft.AspNetCore.Authentication;
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
        CountCredentials = context => hasCredential(context) ? 1 : 0;
    }

    /// <summary>Creates a description of a selectable scheme that can tell how many of its credentials a request carries.</summary>
    /// <param name="name">The authentication scheme name, as registered with <c>AddAuthentication()</c>.</param>
    /// <param name="countCredentials">
    /// Returns how many credentials of this scheme the request presents (for example two API-key headers, or an API-key
    /// header and an <c>Authorization: ApiKey</c> header), well-formed or not. More than one makes the request ambiguous,
    /// like credentials of two schemes. It must be cheap and must not validate the credentials.
    /// </param>
    public LayeredCredentialScheme(string name, Func<HttpContext, int> countCredentials)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(countCredentials);
        Name = name;
        CountCredentials = countCredentials;
        HasCredential = context => countCredentials(context) > 0;
    }

    /// <summary>The authentication scheme name.</summary>
    public string Name { get; }

    /// <summary>Tells whether a request presents this scheme's kind of credential.</summary>
    public Func<HttpContext, bool> HasCredential { get; }

    /// <summary>Tells how many credentials of this scheme a request presents; more than one is ambiguous.</summary>
    public Func<HttpContext, int> CountCredentials { get; }

    /// <summary>
    /// The auth-scheme used in <c>WWW-Authenticate</c> when a caller authenticated by this scheme lacks a scope
    /// (RFC 6750 §3.1 <c>error="insufficient_scope"</c>), for example <c>Bearer</c>; <see langword="null"/> for none.
    /// </summary>
    public string? InsufficientScopeChallenge { get; init; }

    /// <summary>
    /// The scheme's warm path, or <see langword="null"/>: authenticates a request whose credential this instance
    /// verified before and still holds, without creating the scheme's handler, or answers <see langword="null"/> and
    /// leaves the request to the handler. It only answers when the outcome is exactly the handler's: the credential
    /// cached and valid, and no event of the application's to run. It never answers a failure.
    /// </summary>
    internal Func<HttpContext, ValueTask<AuthenticateResult?>>? WarmPath { get; init; }

    /// <summary>
    /// The scheme's check of every request before any endpoint, or <see langword="null"/>: run by the layered scheme as a
    /// request handler (so the scheme's own handler is created only for the requests the check hands it); answers
    /// <see langword="true"/> when it wrote the response and the request ends there.
    /// </summary>
    internal Func<HttpContext, Task<bool>>? RequestGuard { get; init; }

    // Selection's answer when this scheme's credential is chosen, and when the endpoint does not accept it: immutable,
    // so one instance each serves every request.
    internal LayeredAuthenticationFeature SelectedFeature => _selected ??= new() { SelectedScheme = Name, PresentedSchemes = [Name] };

    internal LayeredAuthenticationFeature NotAllowedFeature =>
        _notAllowed ??= new() { SelectedScheme = Name, PresentedSchemes = [Name], SchemeNotAllowed = true };

    private LayeredAuthenticationFeature? _selected;
    private LayeredAuthenticationFeature? _notAllowed;
}
