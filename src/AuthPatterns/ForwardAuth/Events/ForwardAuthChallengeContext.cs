using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;

namespace AuthPatterns.ForwardAuth;

/// <summary>The context of <see cref="ForwardAuthAuthenticationEvents.OnChallenge"/>.</summary>
public sealed class ForwardAuthChallengeContext : ResponseContext<ForwardAuthAuthenticationOptions>
{
    /// <summary>Creates the context.</summary>
    /// <param name="context">The request.</param>
    /// <param name="scheme">The scheme.</param>
    /// <param name="options">The scheme's options.</param>
    /// <param name="properties">The challenge's properties.</param>
    /// <param name="failure">Why a presented credential was refused, or <see langword="null"/> when none was presented.</param>
    public ForwardAuthChallengeContext(
        HttpContext context,
        AuthenticationScheme scheme,
        ForwardAuthAuthenticationOptions options,
        AuthenticationProperties properties,
        ForwardAuthFailure? failure)
        : base(context, scheme, options, properties)
    {
        Failure = failure;
    }

    /// <summary>Why a presented credential was refused, or <see langword="null"/> when the request carried none.</summary>
    public ForwardAuthFailure? Failure { get; }
}

/// <summary>The context of <see cref="ForwardAuthAuthenticationEvents.OnForbidden"/>.</summary>
public sealed class ForwardAuthForbiddenContext : ResponseContext<ForwardAuthAuthenticationOptions>
{
    /// <summary>Creates the context.</summary>
    /// <param name="context">The request.</param>
    /// <param name="scheme">The scheme.</param>
    /// <param name="options">The scheme's options.</param>
    /// <param name="properties">The forbid's properties.</param>
    /// <param name="requiredScopes">The scopes the endpoint required; empty when the refusal was not about scopes.</param>
    public ForwardAuthForbiddenContext(
        HttpContext context,
        AuthenticationScheme scheme,
        ForwardAuthAuthenticationOptions options,
        AuthenticationProperties properties,
        IReadOnlyList<string> requiredScopes)
        : base(context, scheme, options, properties)
    {
        RequiredScopes = requiredScopes;
    }

    /// <summary>The scopes the endpoint required; empty when the refusal was not about scopes.</summary>
    public IReadOnlyList<string> RequiredScopes { get; }
}
