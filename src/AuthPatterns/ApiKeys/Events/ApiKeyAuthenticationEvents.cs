using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;

namespace AuthPatterns.ApiKeys;

/// <summary>
/// The events of the API-key scheme. Set the <c>On…</c> delegates, or derive and override the methods and name the
/// type in <see cref="AuthenticationSchemeOptions.EventsType"/>. No context carries the key or its secret.
/// </summary>
public class ApiKeyAuthenticationEvents
{
    /// <summary>Raised after a key was verified; the handler may still reject it with <see cref="ResultContext{TOptions}.Fail(string)"/>.</summary>
    public Func<ApiKeyValidatedContext, Task> OnKeyValidated { get; set; } = _ => Task.CompletedTask;

    /// <summary>Raised when a presented key is refused, with the outcome code (<see cref="ApiKeyOutcomes"/>).</summary>
    public Func<ApiKeyFailedContext, Task> OnAuthenticationFailed { get; set; } = _ => Task.CompletedTask;

    /// <summary>Raised when a key arrives in the query string, where it is exposed to logs and caches; the request gets 400.</summary>
    public Func<ApiKeyExposedContext, Task> OnKeyExposed { get; set; } = _ => Task.CompletedTask;

    /// <summary>
    /// Raised before the scheme answers a request it did not authenticate (401 with <c>WWW-Authenticate: ApiKey</c>,
    /// 429 or 503 with <c>Retry-After</c>); call <see cref="ResponseContext{TOptions}.HandleResponse"/> after writing
    /// an answer of your own.
    /// </summary>
    public Func<ApiKeyChallengeContext, Task> OnChallenge { get; set; } = _ => Task.CompletedTask;

    /// <summary>
    /// Raised before the scheme answers 403 to a caller it authenticated (a missing scope, another tenant); call
    /// <see cref="ResponseContext{TOptions}.HandleResponse"/> after writing an answer of your own.
    /// </summary>
    public Func<ApiKeyForbiddenContext, Task> OnForbidden { get; set; } = _ => Task.CompletedTask;

    /// <summary>Invokes <see cref="OnKeyValidated"/>.</summary>
    /// <param name="context">The context.</param>
    /// <returns>A task.</returns>
    public virtual Task KeyValidated(ApiKeyValidatedContext context) => OnKeyValidated(context);

    /// <summary>Invokes <see cref="OnAuthenticationFailed"/>.</summary>
    /// <param name="context">The context.</param>
    /// <returns>A task.</returns>
    public virtual Task AuthenticationFailed(ApiKeyFailedContext context) => OnAuthenticationFailed(context);

    /// <summary>Invokes <see cref="OnKeyExposed"/>.</summary>
    /// <param name="context">The context.</param>
    /// <returns>A task.</returns>
    public virtual Task KeyExposed(ApiKeyExposedContext context) => OnKeyExposed(context);

    /// <summary>Invokes <see cref="OnChallenge"/>.</summary>
    /// <param name="context">The context.</param>
    /// <returns>A task.</returns>
    public virtual Task Challenge(ApiKeyChallengeContext context) => OnChallenge(context);

    /// <summary>Invokes <see cref="OnForbidden"/>.</summary>
    /// <param name="context">The context.</param>
    /// <returns>A task.</returns>
    public virtual Task Forbidden(ApiKeyForbiddenContext context) => OnForbidden(context);
}

/// <summary>The context of <see cref="ApiKeyAuthenticationEvents.OnChallenge"/>.</summary>
public sealed class ApiKeyChallengeContext : ResponseContext<ApiKeyAuthenticationOptions>
{
    /// <summary>Creates the context.</summary>
    /// <param name="context">The request.</param>
    /// <param name="scheme">The scheme.</param>
    /// <param name="options">The options.</param>
    /// <param name="properties">The challenge's properties.</param>
    /// <param name="outcome">Why a presented key was refused (<see cref="ApiKeyOutcomes"/>), or <see langword="null"/> when none was presented.</param>
    public ApiKeyChallengeContext(HttpContext context, AuthenticationScheme scheme, ApiKeyAuthenticationOptions options, AuthenticationProperties properties, string? outcome)
        : base(context, scheme, options, properties)
    {
        Outcome = outcome;
    }

    /// <summary>Why a presented key was refused (one of <see cref="ApiKeyOutcomes"/>), or <see langword="null"/> when the request carried no key.</summary>
    public string? Outcome { get; }
}

/// <summary>The context of <see cref="ApiKeyAuthenticationEvents.OnForbidden"/>.</summary>
public sealed class ApiKeyForbiddenContext : ResponseContext<ApiKeyAuthenticationOptions>
{
    /// <summary>Creates the context.</summary>
    /// <param name="context">The request.</param>
    /// <param name="scheme">The scheme.</param>
    /// <param name="options">The options.</param>
    /// <param name="properties">The forbid's properties.</param>
    /// <param name="requiredScopes">The scopes the endpoint required and the key lacks; empty when the refusal was not about scopes.</param>
    public ApiKeyForbiddenContext(HttpContext context, AuthenticationScheme scheme, ApiKeyAuthenticationOptions options, AuthenticationProperties properties, IReadOnlyList<string> requiredScopes)
        : base(context, scheme, options, properties)
    {
        RequiredScopes = requiredScopes;
    }

    /// <summary>The scopes the endpoint required; empty when the refusal was not about scopes.</summary>
    public IReadOnlyList<string> RequiredScopes { get; }
}

/// <summary>The context of <see cref="ApiKeyAuthenticationEvents.OnKeyValidated"/>.</summary>
public sealed class ApiKeyValidatedContext : ResultContext<ApiKeyAuthenticationOptions>
{
    /// <summary>Creates the context.</summary>
    /// <param name="context">The request.</param>
    /// <param name="scheme">The scheme.</param>
    /// <param name="options">The options.</param>
    /// <param name="key">The verified key's information.</param>
    /// <param name="principal">The principal built for the request.</param>
    public ApiKeyValidatedContext(HttpContext context, AuthenticationScheme scheme, ApiKeyAuthenticationOptions options, ApiKeyInfo key, ClaimsPrincipal principal)
        : base(context, scheme, options)
    {
        Key = key;
        Principal = principal;
    }

    /// <summary>The verified key (no secret, no hash).</summary>
    public ApiKeyInfo Key { get; }
}

/// <summary>The context of <see cref="ApiKeyAuthenticationEvents.OnAuthenticationFailed"/>.</summary>
public sealed class ApiKeyFailedContext : ResultContext<ApiKeyAuthenticationOptions>
{
    /// <summary>Creates the context.</summary>
    /// <param name="context">The request.</param>
    /// <param name="scheme">The scheme.</param>
    /// <param name="options">The options.</param>
    /// <param name="outcome">The outcome code.</param>
    /// <param name="keyId">The key id, when the key was well-formed.</param>
    public ApiKeyFailedContext(HttpContext context, AuthenticationScheme scheme, ApiKeyAuthenticationOptions options, string outcome, string? keyId)
        : base(context, scheme, options)
    {
        Outcome = outcome;
        KeyId = keyId;
    }

    /// <summary>The outcome code, one of <see cref="ApiKeyOutcomes"/>.</summary>
    public string Outcome { get; }

    /// <summary>The key id, when the presented key was well-formed.</summary>
    public string? KeyId { get; }
}

/// <summary>The context of <see cref="ApiKeyAuthenticationEvents.OnKeyExposed"/>.</summary>
public sealed class ApiKeyExposedContext : BaseContext<ApiKeyAuthenticationOptions>
{
    /// <summary>Creates the context.</summary>
    /// <param name="context">The request.</param>
    /// <param name="scheme">The scheme.</param>
    /// <param name="options">The options.</param>
    /// <param name="parameterName">The query parameter that carried the key.</param>
    /// <param name="keyId">The key id, when it could be read; rotate this key, it has been exposed.</param>
    public ApiKeyExposedContext(HttpContext context, AuthenticationScheme scheme, ApiKeyAuthenticationOptions options, string parameterName, string? keyId)
        : base(context, scheme, options)
    {
        ParameterName = parameterName;
        KeyId = keyId;
    }

    /// <summary>The query parameter that carried the key.</summary>
    public string ParameterName { get; }

    /// <summary>The key id, when it could be read.</summary>
    public string? KeyId { get; }
}
