using System.Security.Claims;
using System.Text.Encodings.Web;
using AuthPatterns.Authorization;
using AuthPatterns.Infrastructure;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace AuthPatterns.ApiKeys;

/// <summary>
/// Authenticates requests by an API key in a header (<c>X-API-Key</c> or <c>Authorization: ApiKey</c>). Before any
/// endpoint it also refuses, with 400, any request that carries a key in its query string, whatever the endpoint: the
/// layered scheme, which <c>UseAuthentication()</c> runs as a request handler, hands it such requests (and only those,
/// so other requests never create this handler).
/// </summary>
internal sealed class ApiKeyAuthenticationHandler : AuthenticationHandler<ApiKeyAuthenticationOptions>
{
    private static readonly Dictionary<string, AuthenticateResult> Failures = new(StringComparer.Ordinal)
    {
        [ApiKeyOutcomes.Malformed] = AuthenticateResult.Fail("The API key is malformed."),
        [ApiKeyOutcomes.NotFound] = AuthenticateResult.Fail("The API key was not accepted."),
        [ApiKeyOutcomes.InvalidSecret] = AuthenticateResult.Fail("The API key was not accepted."),
        [ApiKeyOutcomes.Expired] = AuthenticateResult.Fail("The API key has expired."),
        [ApiKeyOutcomes.Revoked] = AuthenticateResult.Fail("The API key was revoked."),
        [ApiKeyOutcomes.NetworkNotAllowed] = AuthenticateResult.Fail("The API key may not be used from this address."),
        [ApiKeyOutcomes.RateLimited] = AuthenticateResult.Fail("Too many failed attempts for this API key from this address."),
        [ApiKeyOutcomes.Overloaded] = AuthenticateResult.Fail("The API key could not be verified now."),
        [ApiKeyOutcomes.StoreUnavailable] = AuthenticateResult.Fail("The API key could not be verified now."),
    };

    private static readonly object VerificationKey = new();

    private readonly ApiKeyVerifier _verifier;
    private readonly ApiKeyUsageRecorder _usage;
    private readonly LayeredAuthMetrics _metrics;

    public ApiKeyAuthenticationHandler(
        IOptionsMonitor<ApiKeyAuthenticationOptions> options,
        ILoggerFactory logger,
        UrlEncoder encoder,
        ApiKeyVerifier verifier,
        ApiKeyUsageRecorder usage,
        LayeredAuthMetrics metrics)
        : base(options, logger, encoder)
    {
        _metrics = metrics;
        _verifier = verifier;
        _usage = usage;
    }

    private new ApiKeyAuthenticationEvents Events
    {
        get => (ApiKeyAuthenticationEvents)base.Events!;
        set => base.Events = value;
    }

    /// <summary>
    /// The request guard the layered scheme runs before any endpoint: a request with a query string is handed to this
    /// scheme's handler, which refuses it if the query carries a key.
    /// </summary>
    internal static async Task<bool> GuardRequestAsync(HttpContext context)
    {
        if (!context.Request.QueryString.HasValue)
        {
            return false;
        }

        var handlers = context.RequestServices.GetRequiredService<IAuthenticationHandlerProvider>();
        return await handlers.GetHandlerAsync(context, ApiKeyAuthenticationDefaults.AuthenticationScheme) is ApiKeyAuthenticationHandler handler
            && await handler.RefuseKeyInQueryAsync();
    }

    /// <summary>Refuses a key sent in the query string: it is in access logs, proxies and browser history now.</summary>
    private async Task<bool> RefuseKeyInQueryAsync()
    {

        foreach (var (name, values) in Request.Query)
        {
            var named = Options.QueryParameterNames.Contains(name, StringComparer.OrdinalIgnoreCase);
            foreach (var value in values)
            {
                if (string.IsNullOrEmpty(value))
                {
                    continue;
                }

                // Only a well-formed key (valid checksum) is an exposure: a value that merely starts like one names an
                // id but carries no secret, and must not make anyone rotate the key of the id it names.
                var exposed = ApiKeyFormat.TryParse(value, Options.Prefix, out var parsed);
                if (!exposed && !named)
                {
                    continue;
                }

                var detail = $"API keys belong in a header: send it as '{Options.HeaderName}: <key>' or 'Authorization: {ApiKeyAuthenticationDefaults.AuthorizationScheme} <key>'.";
                if (exposed)
                {
                    Logger.KeyExposed(parsed.KeyId, name);
                    _metrics.RecordOutcome(Scheme.Name, ApiKeyOutcomes.Exposed);
                    _usage.Count(parsed.KeyId, ApiKeyOutcomes.Exposed, TimeProvider.GetUtcNow());
                    await Events.KeyExposed(new ApiKeyExposedContext(Context, Scheme, Options, name, parsed.KeyId));
                    detail += " A key sent in a URL is exposed to logs and caches; rotate it.";
                }

                await LayeredProblemDetails.WriteAsync(Context, StatusCodes.Status400BadRequest, "api_key_in_query", "API keys belong in a header", detail);
                return true;
            }
        }

        return false;
    }

    protected override Task<object> CreateEventsAsync() => Task.FromResult<object>(new ApiKeyAuthenticationEvents());

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        // The warm path answered this request already: the same answer, the use recorded once.
        if (ApiKeyWarmPath.AnswerOf(Context) is { } answered)
        {
            return answered;
        }

        var presented = ReadKey(Request, Options);
        if (presented is null)
        {
            return AuthenticateResult.NoResult();
        }

        var address = Context.Connection.RemoteIpAddress;
        var verification = await _verifier.VerifyAsync(presented, address, Context.RequestAborted);
        _metrics.RecordOutcome(Scheme.Name, verification.Outcome);

        if (!verification.Succeeded)
        {
            Context.Items[VerificationKey] = verification;
            if (verification.KeyId is { } refusedKeyId)
            {
                // Only outcomes that follow a look-up (or an exposure) are counted, and only for stored keys.
                _usage.Count(refusedKeyId, verification.Outcome, TimeProvider.GetUtcNow());
            }

            Logger.KeyRefused(verification.KeyId ?? "unknown", verification.Outcome);
            var failed = new ApiKeyFailedContext(Context, Scheme, Options, verification.Outcome, verification.KeyId);
            await Events.AuthenticationFailed(failed);
            return failed.Result ?? Failures[verification.Outcome];
        }

        var record = verification.Record!;
        // A new principal per request, reading the claims cached with the key: events may change it, never them.
        var principal = new ClaimsPrincipal((verification.Claims ?? ApiKeyVerifier.ClaimsOf(record)).CreateIdentity(Scheme.Name));
        var validated = new ApiKeyValidatedContext(Context, Scheme, Options, ApiKeyInfo.From(record), principal);
        await Events.KeyValidated(validated);
        if (validated.Result is not null)
        {
            return validated.Result;
        }

        if (validated.Principal is null)
        {
            return AuthenticateResult.Fail("The key was rejected by the application.");
        }

        Logger.KeyValidated(record.Id, record.OwnerId);
        RecordUse(Context, _usage, Options, TimeProvider.GetUtcNow(), record.Id, address?.ToString());
        return AuthenticateResult.Success(new AuthenticationTicket(validated.Principal, validated.Properties, Scheme.Name));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        await HandleAuthenticateOnceSafeAsync();
        var challenge = new ApiKeyChallengeContext(Context, Scheme, Options, properties, (Context.Items[VerificationKey] as ApiKeyVerification)?.Outcome);
        await Events.Challenge(challenge);
        if (challenge.Handled)
        {
            HandledResponse.Mark(Context);
            return;
        }

        if (Context.Items[VerificationKey] is ApiKeyVerification { Outcome: ApiKeyOutcomes.Overloaded or ApiKeyOutcomes.StoreUnavailable } unavailable)
        {
            LayeredProblemDetails.SetRetryAfter(Response, Options.OverloadRetryAfter);
            var overloaded = unavailable.Outcome == ApiKeyOutcomes.Overloaded;
            await LayeredProblemDetails.WriteAsync(
                Context,
                StatusCodes.Status503ServiceUnavailable,
                overloaded ? "overloaded" : "temporarily_unavailable",
                "Try again shortly",
                overloaded
                    ? "Too many API keys are being verified right now. Retry after the time given in Retry-After."
                    : "API keys cannot be verified right now. Retry after the time given in Retry-After.");
            return;
        }

        if (Context.Items[VerificationKey] is ApiKeyVerification { Outcome: ApiKeyOutcomes.RateLimited })
        {
            // Throttled, not refused: the key may well be right, so the answer must not look like a bad key.
            LayeredProblemDetails.SetRetryAfter(Response, Options.FailedAttemptWindow);
            await LayeredProblemDetails.WriteAsync(
                Context,
                StatusCodes.Status429TooManyRequests,
                ApiKeyOutcomes.RateLimited,
                "Too many attempts",
                "Too many API keys were tried from this address. Retry after the time given in Retry-After.");
            return;
        }

        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.Append(HeaderNames.WWWAuthenticate, $"{ApiKeyAuthenticationDefaults.AuthorizationScheme} header=\"{Options.HeaderName}\"");
    }

    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        var forbidden = new ApiKeyForbiddenContext(Context, Scheme, Options, properties, ScopeForbiddenProperties.Of(properties).RequiredScopes ?? []);
        await Events.Forbidden(forbidden);
        if (forbidden.Handled)
        {
            HandledResponse.Mark(Context);
            return;
        }

        Response.StatusCode = StatusCodes.Status403Forbidden;
    }

    /// <summary>Reads the key from the configured header or <c>Authorization: ApiKey</c>; no other place.</summary>
    internal static string? ReadKey(HttpRequest request, ApiKeyAuthenticationOptions options)
    {
        var header = request.Headers[options.HeaderName];
        if (header.Count > 0)
        {
            // Several values are refused as malformed rather than guessed between.
            return header.Count == 1 ? header[0]?.Trim() ?? "" : "";
        }

        if (options.AcceptAuthorizationHeader && TryReadAuthorization(request, out var value))
        {
            return value;
        }

        return null;
    }

    /// <summary>How many API keys the request presents (header values, and <c>Authorization: ApiKey</c> values), well-formed or not.</summary>
    internal static int CountCredentials(HttpContext context, ApiKeyAuthenticationOptions options)
    {
        var count = context.Request.Headers.TryGetValue(options.HeaderName, out var keys) ? Math.Max(keys.Count, 1) : 0;
        if (options.AcceptAuthorizationHeader)
        {
            foreach (var value in context.Request.Headers.Authorization)
            {
                if (value is not null && value.StartsWith(ApiKeyAuthenticationDefaults.AuthorizationScheme + " ", StringComparison.OrdinalIgnoreCase))
                {
                    count++;
                }
            }
        }

        return count;
    }

    private static bool TryReadAuthorization(HttpRequest request, out string value)
    {
        value = "";
        var authorization = request.Headers.Authorization;
        if (authorization.Count != 1 || authorization[0] is not { } header)
        {
            return false;
        }

        const string Scheme = ApiKeyAuthenticationDefaults.AuthorizationScheme + " ";
        if (!header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        value = header[Scheme.Length..].Trim();
        return true;
    }

    /// <summary>Counts a successful use and records it as the options ask (last use, or an event per request).</summary>
    internal static void RecordUse(HttpContext context, ApiKeyUsageRecorder usage, ApiKeyAuthenticationOptions options, DateTimeOffset now, string keyId, string? address)
    {
        usage.Count(keyId, ApiKeyOutcomes.Valid, now);
        if (!options.RecordUsageEvents)
        {
            if (options.RecordLastUse)
            {
                usage.RecordLastUse(keyId, now, address);
            }

            return;
        }

        // When the response starts its status is final, and the event is queued before the caller sees the answer.
        context.Response.OnStarting(() =>
        {
            var route = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? context.Request.Path.Value ?? "/";
            usage.Record(new ApiKeyUsageEvent
            {
                KeyId = keyId,
                OccurredAt = now,
                Method = context.Request.Method,
                Route = route,
                StatusCode = context.Response.StatusCode,
                Address = address,
            });
            return Task.CompletedTask;
        });
    }
}
