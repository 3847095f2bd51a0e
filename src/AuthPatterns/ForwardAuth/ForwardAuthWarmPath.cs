using AuthPatterns.Infrastructure;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AuthPatterns.ForwardAuth;

/// <summary>
/// The <see cref="LayeredAuthSchemes.ForwardAuth"/> scheme's warm path: a session the portal vouched for, whose answer
/// this instance still caches for the same request shape, is served without creating the scheme's handler. It runs the
/// handler's own checks first (the CSRF defence, the endpoint that may ask for the user, the allowed host), and its
/// answer is the handler's: the same principal read from the cached claims, the same outcome, cache hit and log line.
/// It steps aside, leaving the request to the handler, whenever the handler would do more or decide otherwise: an event
/// of the application's (<see cref="ForwardAuthAuthenticationEvents.OnValidated"/>, an events type), forwarding, the
/// trusted-headers mode or the token-cookie variant, any check that fails, or an answer not cached.
/// </summary>
internal sealed class ForwardAuthWarmPath(
    ForwardAuthSessionVerifier verifier,
    LayeredAuthMetrics metrics,
    IOptionsMonitor<ForwardAuthAuthenticationOptions> options,
    IOptions<AuthorizationOptions> authorization,
    ILoggerFactory loggers)
{
    private const string Scheme = LayeredAuthSchemes.ForwardAuth;
    private static readonly ForwardAuthAuthenticationEvents DefaultEvents = new();
    private static readonly WarmPathAnswer Answer = new();

    // The handler's own log category, so its filters and levels apply alike.
    private readonly ILogger _logger = loggers.CreateLogger(typeof(ForwardAuthAuthenticationHandler).FullName!);

    public ValueTask<AuthenticateResult?> TryAuthenticateAsync(HttpContext context)
    {
        var settings = options.Get(Scheme);
        if (!IsPlain(settings)
            || ForwardAuthCredential.ReadPortalCookies(context.Request, settings.CookieName!) is not { } cookies
            || !ForwardAuthCsrf.IsSatisfied(context.Request, settings)
            || !ForwardAuthAuthenticationHandler.EndpointMayAskForUser(context, authorization.Value)
            || ForwardAuthAuthenticationHandler.OriginalRequest(context, settings) is not { } original
            || verifier.TryGetCached(Scheme, settings, cookies, original) is not { } identity)
        {
            return ValueTask.FromResult<AuthenticateResult?>(null);
        }

        var principal = identity.ToPrincipal(Scheme, settings);
        _logger.Authenticated(LogText.Escape(identity.User), "answer cache");
        metrics.RecordOutcome(Scheme, "success");
        var result = AuthenticateResult.Success(new AuthenticationTicket(principal, Scheme));

        // Should the handler be asked later (a policy naming the ForwardAuth scheme), it answers with this same principal.
        return ValueTask.FromResult<AuthenticateResult?>(Answer.Keep(context, result));
    }

    /// <summary>The warm path's answer for this request, if it gave one.</summary>
    public static AuthenticateResult? AnswerOf(HttpContext context) => Answer.Of(context);

    private static bool IsPlain(ForwardAuthAuthenticationOptions options) =>
        options.Mode == ForwardAuthMode.Verify
        && options.VerifyUrl is not null
        && options.TokenCookieName is null
        && options.Events is { } events
        && events.GetType() == typeof(ForwardAuthAuthenticationEvents)
        && events.OnValidated == DefaultEvents.OnValidated
        && WarmPathAnswer.IsUnforwarded(options);
}
