using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;

namespace AuthPatterns;

/// <summary>
/// The events of the <see cref="LayeredAuthSchemes.Layered"/> scheme, raised before it writes its problem-details
/// answer. Assign the <c>On...</c> delegates, or derive and set <see cref="AuthenticationSchemeOptions.EventsType"/>.
/// The selected scheme's own challenge and forbidden events run first; one that handled the response ends the answer.
/// </summary>
public class LayeredAuthenticationEvents
{
    /// <summary>
    /// Raised before the 401 (no or a refused credential) or the 400 (more than one credential) body is written, after
    /// the accepted schemes added their <c>WWW-Authenticate</c> challenges; call
    /// <see cref="ResponseContext{TOptions}.HandleResponse"/> after writing an answer of your own.
    /// </summary>
    public Func<LayeredChallengeContext, Task> OnChallenge { get; set; } = _ => Task.CompletedTask;

    /// <summary>
    /// Raised before the 403 body (<c>insufficient_scope</c>, <c>tenant_mismatch</c>, <c>forbidden</c>) is written; call
    /// <see cref="ResponseContext{TOptions}.HandleResponse"/> after writing an answer of your own.
    /// </summary>
    public Func<LayeredForbiddenContext, Task> OnForbidden { get; set; } = _ => Task.CompletedTask;

    /// <summary>Invokes <see cref="OnChallenge"/>.</summary>
    /// <param name="context">The context.</param>
    /// <returns>A task.</returns>
    public virtual Task Challenge(LayeredChallengeContext context) => OnChallenge(context);

    /// <summary>Invokes <see cref="OnForbidden"/>.</summary>
    /// <param name="context">The context.</param>
    /// <returns>A task.</returns>
    public virtual Task Forbidden(LayeredForbiddenContext context) => OnForbidden(context);
}

/// <summary>The context of <see cref="LayeredAuthenticationEvents.OnChallenge"/>: the answer about to be written.</summary>
public sealed class LayeredChallengeContext : ResponseContext<LayeredAuthOptions>
{
    /// <summary>Creates the context.</summary>
    /// <param name="context">The request.</param>
    /// <param name="scheme">The scheme.</param>
    /// <param name="options">The options.</param>
    /// <param name="properties">The challenge's properties.</param>
    /// <param name="statusCode">The status about to be answered: 401, or 400 for more than one credential.</param>
    /// <param name="error">The error code about to be written (<c>unauthorized</c>, <c>invalid_token</c>, <c>invalid_request</c>...).</param>
    /// <param name="selectedScheme">The scheme whose credential the request carried, or <see langword="null"/>.</param>
    /// <param name="acceptedSchemes">The schemes the endpoint accepts (for a 400: the schemes presented).</param>
    public LayeredChallengeContext(
        HttpContext context,
        AuthenticationScheme scheme,
        LayeredAuthOptions options,
        AuthenticationProperties properties,
        int statusCode,
        string error,
        string? selectedScheme,
        IReadOnlyList<string> acceptedSchemes)
        : base(context, scheme, options, properties)
    {
        StatusCode = statusCode;
        Error = error;
        SelectedScheme = selectedScheme;
        AcceptedSchemes = acceptedSchemes;
    }

    /// <summary>The status about to be answered: 401, or 400 for more than one credential.</summary>
    public int StatusCode { get; }

    /// <summary>The error code about to be written in the body.</summary>
    public string Error { get; }

    /// <summary>The scheme whose credential the request carried, or <see langword="null"/> when it carried none.</summary>
    public string? SelectedScheme { get; }

    /// <summary>The schemes the endpoint accepts; for a 400, the schemes whose credentials were presented.</summary>
    public IReadOnlyList<string> AcceptedSchemes { get; }
}

/// <summary>The context of <see cref="LayeredAuthenticationEvents.OnForbidden"/>: the 403 about to be written.</summary>
public sealed class LayeredForbiddenContext : ResponseContext<LayeredAuthOptions>
{
    /// <summary>Creates the context.</summary>
    /// <param name="context">The request.</param>
    /// <param name="scheme">The scheme.</param>
    /// <param name="options">The options.</param>
    /// <param name="properties">The forbid's properties.</param>
    /// <param name="selectedScheme">The scheme that authenticated the caller, or <see langword="null"/>.</param>
    /// <param name="requiredScopes">The scopes the endpoint required; empty when the refusal was not about scopes.</param>
    public LayeredForbiddenContext(
        HttpContext context,
        AuthenticationScheme scheme,
        LayeredAuthOptions options,
        AuthenticationProperties properties,
        string? selectedScheme,
        IReadOnlyList<string> requiredScopes)
        : base(context, scheme, options, properties)
    {
        SelectedScheme = selectedScheme;
        RequiredScopes = requiredScopes;
    }

    /// <summary>The scheme that authenticated the caller, or <see langword="null"/>.</summary>
    public string? SelectedScheme { get; }

    /// <summary>The scopes the endpoint required; empty when the refusal was not about scopes.</summary>
    public IReadOnlyList<string> RequiredScopes { get; }
}
