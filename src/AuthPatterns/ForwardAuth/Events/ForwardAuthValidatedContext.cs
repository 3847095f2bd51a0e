using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;

namespace AuthPatterns.ForwardAuth;

/// <summary>The context of <see cref="ForwardAuthAuthenticationEvents.OnValidated"/>: the principal built for this request.</summary>
public sealed class ForwardAuthValidatedContext : ResultContext<ForwardAuthAuthenticationOptions>
{
    /// <summary>Creates the context.</summary>
    /// <param name="context">The request.</param>
    /// <param name="scheme">The scheme.</param>
    /// <param name="options">The scheme's options.</param>
    /// <param name="principal">The principal built for this request; owned by it, so it may be changed.</param>
    /// <param name="user">The user name the portal or proxy sent.</param>
    /// <param name="groups">The user's groups.</param>
    public ForwardAuthValidatedContext(
        HttpContext context,
        AuthenticationScheme scheme,
        ForwardAuthAuthenticationOptions options,
        ClaimsPrincipal principal,
        string user,
        IReadOnlyList<string> groups)
        : base(context, scheme, options)
    {
        Principal = principal;
        User = user;
        Groups = groups;
    }

    /// <summary>The user name the portal or proxy sent.</summary>
    public string User { get; }

    /// <summary>The user's groups.</summary>
    public IReadOnlyList<string> Groups { get; }
}
