using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;

namespace AuthPatterns;

/// <summary>
/// The base of the challenge and forbidden contexts of the layered, API-key and forward-auth schemes: the answer the
/// handler is about to write, which the event may write itself instead. Call <see cref="HandleResponse"/> after
/// writing it, as with <c>JwtBearerChallengeContext</c>; the handler and the layered scheme then write nothing more.
/// </summary>
/// <typeparam name="TOptions">The scheme's options.</typeparam>
public abstract class ResponseContext<TOptions> : PropertiesContext<TOptions>
    where TOptions : AuthenticationSchemeOptions
{
    /// <summary>Creates the context.</summary>
    /// <param name="context">The request.</param>
    /// <param name="scheme">The scheme.</param>
    /// <param name="options">The scheme's options.</param>
    /// <param name="properties">The properties of the challenge or forbid.</param>
    protected ResponseContext(HttpContext context, AuthenticationScheme scheme, TOptions options, AuthenticationProperties? properties)
        : base(context, scheme, options, properties)
    {
    }

    /// <summary>Whether the event wrote the answer itself, so the default one is skipped.</summary>
    public bool Handled { get; private set; }

    /// <summary>Skips the default answer: the status, headers and body the event wrote (or none) are the response.</summary>
    public void HandleResponse() => Handled = true;
}
