using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;

namespace AuthPatterns.ForwardAuth;

/// <summary>The context of <see cref="ForwardAuthAuthenticationEvents.OnAuthenticationFailed"/>.</summary>
public sealed class ForwardAuthFailedContext : ResultContext<ForwardAuthAuthenticationOptions>
{
    /// <summary>Creates the context.</summary>
    /// <param name="context">The request.</param>
    /// <param name="scheme">The scheme.</param>
    /// <param name="options">The scheme's options.</param>
    /// <param name="failure">Why the request was not authenticated.</param>
    public ForwardAuthFailedContext(HttpContext context, AuthenticationScheme scheme, ForwardAuthAuthenticationOptions options, ForwardAuthFailure failure)
        : base(context, scheme, options)
    {
        Failure = failure;
    }

    /// <summary>Why the request was not authenticated.</summary>
    public ForwardAuthFailure Failure { get; }
}
