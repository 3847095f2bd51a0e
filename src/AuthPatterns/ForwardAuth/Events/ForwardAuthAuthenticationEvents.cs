using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;

namespace AuthPatterns.ForwardAuth;

/// <summary>
/// The events of the forward-auth scheme. Assign the <c>On...</c> delegates, or derive and set
/// <see cref="AuthenticationSchemeOptions.EventsType"/> to resolve the events from dependency injection.
/// </summary>
public class ForwardAuthAuthenticationEvents
{
    /// <summary>Raised for every request whose identity was established (from the portal, the cache, trusted headers or the token cookie); may add claims or reject.</summary>
    public Func<ForwardAuthValidatedContext, Task> OnValidated { get; set; } = _ => Task.CompletedTask;

    /// <summary>Raised when a request carrying a forward-auth credential is not authenticated, with the reason.</summary>
    public Func<ForwardAuthFailedContext, Task> OnAuthenticationFailed { get; set; } = _ => Task.CompletedTask;

    /// <summary>Raised before a browser is redirected to the portal's login page; the default writes the redirect.</summary>
    public Func<RedirectContext<ForwardAuthAuthenticationOptions>, Task> OnRedirectToPortal { get; set; } = context =>
    {
        var method = context.Request.Method;
        context.Response.StatusCode = HttpMethods.IsGet(method) || HttpMethods.IsHead(method)
            ? StatusCodes.Status302Found
            : StatusCodes.Status303SeeOther;
        context.Response.Headers.Location = context.RedirectUri;
        return Task.CompletedTask;
    };

    /// <summary>
    /// Raised before the scheme answers a request it did not authenticate (401 with <c>WWW-Authenticate: ForwardAuth</c>,
    /// a redirect to the portal, 403 for a missing CSRF defence or a portal denial, 503 when the portal cannot be asked);
    /// call <see cref="ResponseContext{TOptions}.HandleResponse"/> after writing an answer of your own.
    /// </summary>
    public Func<ForwardAuthChallengeContext, Task> OnChallenge { get; set; } = _ => Task.CompletedTask;

    /// <summary>
    /// Raised before the scheme answers 403 to a user it authenticated (a missing scope, another tenant); call
    /// <see cref="ResponseContext{TOptions}.HandleResponse"/> after writing an answer of your own.
    /// </summary>
    public Func<ForwardAuthForbiddenContext, Task> OnForbidden { get; set; } = _ => Task.CompletedTask;

    /// <summary>Invokes <see cref="OnValidated"/>.</summary>
    /// <param name="context">The context.</param>
    /// <returns>A task.</returns>
    public virtual Task Validated(ForwardAuthValidatedContext context) => OnValidated(context);

    /// <summary>Invokes <see cref="OnAuthenticationFailed"/>.</summary>
    /// <param name="context">The context.</param>
    /// <returns>A task.</returns>
    public virtual Task AuthenticationFailed(ForwardAuthFailedContext context) => OnAuthenticationFailed(context);

    /// <summary>Invokes <see cref="OnRedirectToPortal"/>.</summary>
    /// <param name="context">The context.</param>
    /// <returns>A task.</returns>
    public virtual Task RedirectToPortal(RedirectContext<ForwardAuthAuthenticationOptions> context) => OnRedirectToPortal(context);

    /// <summary>Invokes <see cref="OnChallenge"/>.</summary>
    /// <param name="context">The context.</param>
    /// <returns>A task.</returns>
    public virtual Task Challenge(ForwardAuthChallengeContext context) => OnChallenge(context);

    /// <summary>Invokes <see cref="OnForbidden"/>.</summary>
    /// <param name="context">The context.</param>
    /// <returns>A task.</returns>
    public virtual Task Forbidden(ForwardAuthForbiddenContext context) => OnForbidden(context);
}
