using System.Security.Claims;
using AuthPatterns.Infrastructure;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AuthPatterns.ApiKeys;

/// <summary>
/// The <see cref="LayeredAuthSchemes.ApiKey"/> scheme's warm path: a key this instance verified before and still caches,
/// whose state allows it now, is served without creating the scheme's handler. The answer is the handler's own: the
/// same principal read from the cached claims, the same outcome recorded, the use counted and recorded once. It steps
/// aside, leaving the request to the handler, whenever the handler would do more: an event of the application's to run
/// (<see cref="ApiKeyAuthenticationEvents.OnKeyValidated"/>, an events type), forwarding, or a key that is not cached or
/// not usable now, whose refusal the handler decides, counts and explains.
/// </summary>
internal sealed class ApiKeyWarmPath(
    ApiKeyVerifier verifier,
    ApiKeyUsageRecorder usage,
    LayeredAuthMetrics metrics,
    IOptionsMonitor<ApiKeyAuthenticationOptions> options,
    TimeProvider time,
    ILoggerFactory loggers)
{
    private const string Scheme = ApiKeyAuthenticationDefaults.AuthenticationScheme;
    private static readonly ApiKeyAuthenticationEvents DefaultEvents = new();
    private static readonly WarmPathAnswer Answer = new();

    // The handler's own log category, so its filters and levels apply alike.
    private readonly ILogger _logger = loggers.CreateLogger(typeof(ApiKeyAuthenticationHandler).FullName!);

    public ValueTask<AuthenticateResult?> TryAuthenticateAsync(HttpContext context)
    {
        var settings = options.Get(Scheme);
        if (!IsPlain(settings) || ApiKeyAuthenticationHandler.ReadKey(context.Request, settings) is not { Length: > 0 } presented)
        {
            return ValueTask.FromResult<AuthenticateResult?>(null);
        }

        var address = context.Connection.RemoteIpAddress;
        if (verifier.TryVerifyCached(presented, address) is not { Record: { } record } verification)
        {
            return ValueTask.FromResult<AuthenticateResult?>(null);
        }

        metrics.RecordOutcome(Scheme, verification.Outcome);
        var principal = new ClaimsPrincipal((verification.Claims ?? ApiKeyVerifier.ClaimsOf(record)).CreateIdentity(Scheme));
        _logger.KeyValidated(record.Id, record.OwnerId);
        ApiKeyAuthenticationHandler.RecordUse(context, usage, settings, time.GetUtcNow(), record.Id, address?.ToString());
        var result = AuthenticateResult.Success(new AuthenticationTicket(principal, Scheme));

        // Should the handler be asked later (a policy naming the ApiKey scheme), it answers with this same principal and
        // records no second use.
        return ValueTask.FromResult<AuthenticateResult?>(Answer.Keep(context, result));
    }

    /// <summary>The warm path's answer for this request, if it gave one.</summary>
    public static AuthenticateResult? AnswerOf(HttpContext context) => Answer.Of(context);

    private static bool IsPlain(ApiKeyAuthenticationOptions options) =>
        options.Events is { } events
        && events.GetType() == typeof(ApiKeyAuthenticationEvents)
        && events.OnKeyValidated == DefaultEvents.OnKeyValidated
        && WarmPathAnswer.IsUnforwarded(options);
}
