using System.Security.Claims;
using System.Text.Encodings.Web;
using AuthPatterns.Authorization;
using AuthPatterns.Infrastructure;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace AuthPatterns.ForwardAuth;

/// <summary>
/// Authenticates people by the session of the forward-auth portal in front of the service: by asking the portal
/// (verify mode), by the identity headers of a trusted proxy (trusted-headers mode), or by an access token in a
/// <c>__Host-</c> cookie (token-cookie variant).
/// </summary>
/// <remarks>
/// In trusted-headers mode the layered scheme, which <c>UseAuthentication()</c> runs as a request handler before any
/// endpoint, hands every request to this handler first, so identity headers that do not come from a trusted proxy with the proof header are stripped from every
/// request, and the proof header itself never reaches an endpoint. Its challenge answers the outcomes that are not
/// "who are you?" in full (403 for a missing CSRF defence or a portal denial, 503 with
/// <c>Retry-After</c> when the portal cannot be asked); otherwise it speaks 401, or redirects browsers to the portal.
/// </remarks>
internal sealed class ForwardAuthAuthenticationHandler : AuthenticationHandler<ForwardAuthAuthenticationOptions>
{
    private const int MaxTokenLength = 16 * 1024;

    private static readonly AuthenticateResult NotSignedInResult = AuthenticateResult.Fail("The portal does not know the session.");
    private static readonly AuthenticateResult ForbiddenResult = AuthenticateResult.Fail("The portal denied access to this request.");
    private static readonly AuthenticateResult UnavailableResult = AuthenticateResult.Fail("The portal could not verify the session.");
    private static readonly AuthenticateResult OverloadedResult = AuthenticateResult.Fail("Too many sessions are being verified; the request was shed.");
    private static readonly AuthenticateResult RateLimitedResult = AuthenticateResult.Fail("The portal's verify budget for this second is spent; the request was shed.");
    private static readonly AuthenticateResult CsrfResult = AuthenticateResult.Fail("An unsafe cookie-authenticated request carried no CSRF defence.");

    private readonly ForwardAuthSessionVerifier _verifier;
    private readonly LayeredAuthMetrics _metrics;
    private readonly ForwardAuthTelemetry _telemetry;
    private readonly IOptions<AuthorizationOptions> _authorization;
    private ForwardAuthFailure? _failure;
    private bool _verificationSkipped;

    public ForwardAuthAuthenticationHandler(
        IOptionsMonitor<ForwardAuthAuthenticationOptions> options,
        ILoggerFactory logger,
        UrlEncoder encoder,
        ForwardAuthSessionVerifier verifier,
        LayeredAuthMetrics metrics,
        ForwardAuthTelemetry telemetry,
        IOptions<AuthorizationOptions> authorization)
        : base(options, logger, encoder)
    {
        _verifier = verifier;
        _metrics = metrics;
        _telemetry = telemetry;
        _authorization = authorization;
    }

    private new ForwardAuthAuthenticationEvents Events
    {
        get => (ForwardAuthAuthenticationEvents)base.Events!;
        set => base.Events = value;
    }

    /// <summary>
    /// The request guard the layered scheme runs before any endpoint: in trusted-headers mode, identity headers that do
    /// not come from a trusted proxy with the proof header are stripped, and the proof header with them. Other modes
    /// never create the handler here.
    /// </summary>
    internal static async Task<bool> GuardRequestAsync(HttpContext context)
    {
        const string scheme = LayeredAuthSchemes.ForwardAuth;
        var options = context.RequestServices.GetRequiredService<IOptionsMonitor<ForwardAuthAuthenticationOptions>>().Get(scheme);
        if (options.Mode == ForwardAuthMode.TrustedHeaders
            && await context.RequestServices.GetRequiredService<IAuthenticationHandlerProvider>().GetHandlerAsync(context, scheme) is ForwardAuthAuthenticationHandler handler)
        {
            handler.CheckIdentityHeaders();
        }

        return false;
    }

    // The outcomes that are not "who are you?" are answered here, in full: 403 for a missing CSRF defence or a portal
    // denial, 503 with Retry-After when the portal cannot be asked. The layered scheme challenges the scheme that refused
    // the credential first, so this answer stands alone.
    private async Task<bool> TryAnswerFailureAsync()
    {
        switch (_failure)
        {
            case ForwardAuthFailure.CsrfRequired:
                await LayeredProblemDetails.WriteAsync(
                    Context,
                    StatusCodes.Status403Forbidden,
                    "csrf_required",
                    "CSRF defence required",
                    $"Requests that change state and are authenticated by the session cookie must send the header '{Options.CsrfHeaderName}: {Options.CsrfHeaderValue}' or come from the same origin.");
                return true;
            case ForwardAuthFailure.Forbidden:
                await LayeredProblemDetails.WriteAsync(
                    Context,
                    StatusCodes.Status403Forbidden,
                    "forbidden",
                    "Forbidden",
                    "The sign-in portal does not allow this user to use this resource.");
                return true;
            case ForwardAuthFailure.PortalUnavailable or ForwardAuthFailure.Overloaded or ForwardAuthFailure.RateLimited:
                LayeredProblemDetails.SetRetryAfter(Response, Options.RetryAfter);
                await LayeredProblemDetails.WriteAsync(
                    Context,
                    StatusCodes.Status503ServiceUnavailable,
                    "portal_unavailable",
                    "Sign-in portal unavailable",
                    "The sign-in portal could not confirm the session. Try again shortly.");
                return true;
            default:
                return false;
        }
    }

    protected override Task<object> CreateEventsAsync() => Task.FromResult<object>(new ForwardAuthAuthenticationEvents());

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        _failure = null;
        _verificationSkipped = false;

        // The warm path answered this request already: the same answer.
        if (ForwardAuthWarmPath.AnswerOf(Context) is { } answered)
        {
            return answered;
        }

        if (Options.TokenCookieName is { } tokenCookie
            && Request.Cookies.TryGetValue(tokenCookie, out var token)
            && !string.IsNullOrEmpty(token))
        {
            return ForwardAuthCsrf.IsSatisfied(Request, Options)
                ? await AuthenticateTokenCookieAsync(token)
                : await CsrfRefusedAsync();
        }

        return Options.Mode == ForwardAuthMode.TrustedHeaders
            ? await AuthenticateFromTrustedHeadersAsync()
            : await AuthenticateWithPortalAsync();
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        await HandleAuthenticateOnceSafeAsync();
        var challenge = new ForwardAuthChallengeContext(Context, Scheme, Options, properties, _failure);
        await Events.Challenge(challenge);
        if (challenge.Handled)
        {
            HandledResponse.Mark(Context);
            return;
        }

        if (await TryAnswerFailureAsync())
        {
            return;
        }

        if (_verificationSkipped && Context.GetEndpoint() is not null)
        {
            // The session was not verified because no endpoint was known when authentication ran, yet an endpoint now
            // asks who the user is: authentication runs before routing. Sending the browser to the portal would loop.
            Logger.AuthenticationBeforeRouting();
            Response.StatusCode = StatusCodes.Status401Unauthorized;
            Response.Headers.Append(HeaderNames.WWWAuthenticate, $"ForwardAuth realm=\"{Options.Realm}\"");
            return;
        }

        // Only "who are you?" sends a browser to the portal; a denied, unverifiable or forged request would loop.
        if ((_failure is null or ForwardAuthFailure.NotSignedIn) && IsBrowserNavigation(Request))
        {
            if (ForwardAuthReturnUrl.TryBuildLoginRedirect(Request, Options, out var location, out var refusedHost))
            {
                Logger.RedirectToPortal();
                await Events.RedirectToPortal(new RedirectContext<ForwardAuthAuthenticationOptions>(Context, Scheme, Options, properties, location));
                return;
            }

            if (refusedHost is not null)
            {
                Logger.RedirectHostNotAllowed(LogText.Escape(refusedHost));
            }
        }

        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.Append(HeaderNames.WWWAuthenticate, $"ForwardAuth realm=\"{Options.Realm}\"");
    }

    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        var forbidden = new ForwardAuthForbiddenContext(Context, Scheme, Options, properties, ScopeForbiddenProperties.Of(properties).RequiredScopes ?? []);
        await Events.Forbidden(forbidden);
        if (forbidden.Handled)
        {
            HandledResponse.Mark(Context);
            return;
        }

        Response.StatusCode = StatusCodes.Status403Forbidden;
    }

    private async Task<AuthenticateResult> AuthenticateWithPortalAsync()
    {
        var cookies = Options.VerifyUrl is null ? null : ForwardAuthCredential.ReadPortalCookies(Request, Options.CookieName!);
        if (cookies is null)
        {
            return AuthenticateResult.NoResult();
        }

        if (!ForwardAuthCsrf.IsSatisfied(Request, Options))
        {
            return await CsrfRefusedAsync();
        }

        if (!EndpointMayAskForUser())
        {
            // Anonymous endpoints and unmatched paths never need the user: the portal is not asked, so cookies sent to
            // them (by browsers, or by a flood of made-up sessions) cost nothing.
            _verificationSkipped = true;
            _telemetry.Verification("skipped");
            return AuthenticateResult.NoResult();
        }

        if (OriginalRequest(Context, Options) is not { } original)
        {
            // The portal's rules are per host: never let a client's Host header choose which rules vouch for it. Such a
            // request never reaches the portal, so it never fills the answer cache either.
            Logger.HostNotAllowed(LogText.Escape(Request.Headers.Host.ToString()));
            return await FailAsync(ForwardAuthFailure.NotSignedIn, NotSignedInResult);
        }

        var (result, fromCache) = await _verifier.VerifyAsync(Scheme.Name, Options, cookies, original, Context.RequestAborted);
        return result.Status switch
        {
            ForwardAuthVerifyStatus.SignedIn => await SucceedAsync(result.Identity!, fromCache ? "answer cache" : "portal"),
            ForwardAuthVerifyStatus.NotSignedIn => await FailAsync(ForwardAuthFailure.NotSignedIn, NotSignedInResult),
            ForwardAuthVerifyStatus.Forbidden => await FailAsync(ForwardAuthFailure.Forbidden, ForbiddenResult),
            ForwardAuthVerifyStatus.Overloaded => await FailAsync(ForwardAuthFailure.Overloaded, OverloadedResult),
            ForwardAuthVerifyStatus.RateLimited => await FailAsync(ForwardAuthFailure.RateLimited, RateLimitedResult),
            _ => await FailAsync(ForwardAuthFailure.PortalUnavailable, UnavailableResult),
        };
    }

    private async Task<AuthenticateResult> AuthenticateFromTrustedHeadersAsync()
    {
        if (!Request.Headers.ContainsKey(Options.UserHeader!))
        {
            return AuthenticateResult.NoResult();
        }

        if (!ForwardAuthCredential.IsVouched(Context))
        {
            // Normally already decided by the request guard; reached when authentication runs outside the middleware.
            CheckIdentityHeaders();
            if (!ForwardAuthCredential.IsVouched(Context))
            {
                return AuthenticateResult.NoResult();
            }
        }

        if (!ForwardAuthCsrf.IsSatisfied(Request, Options))
        {
            return await CsrfRefusedAsync();
        }

        var identity = ForwardAuthIdentity.From(name => Request.Headers.TryGetValue(name, out var value) ? value.ToString() : null, Options);
        if (identity is null)
        {
            Logger.MalformedIdentityHeader(Options.UserHeader!);
            return await FailAsync(ForwardAuthFailure.NotSignedIn, NotSignedInResult);
        }

        return await ValidatedAsync(identity.ToPrincipalOnce(Scheme.Name, Options), identity.User, identity.Groups, "trusted proxy headers");
    }

    // The seam to the bearer scheme: the token is shown to it as "Authorization: Bearer <token>" for the duration of
    // one AuthenticateAsync call, so whatever validates bearer tokens here (keys, issuer, audience, lifetime, events)
    // validates the cookie's token too, and this scheme depends on no JWT code.
    private async Task<AuthenticateResult> AuthenticateTokenCookieAsync(string token)
    {
        if (token.Length > MaxTokenLength || !IsTokenText(token))
        {
            return await FailAsync(ForwardAuthFailure.NotSignedIn, NotSignedInResult);
        }

        var validationScheme = Options.TokenCookieValidationScheme;
        var original = Request.Headers.Authorization;
        AuthenticateResult validated;
        try
        {
            Request.Headers.Authorization = "Bearer " + token;
            validated = await Context.AuthenticateAsync(validationScheme);
        }
        catch (InvalidOperationException)
        {
            Logger.TokenCookieSchemeMissing(validationScheme);
            return await FailAsync(ForwardAuthFailure.NotSignedIn, NotSignedInResult);
        }
        finally
        {
            Request.Headers.Authorization = original;
        }

        if (!validated.Succeeded || validated.Principal is null)
        {
            Logger.TokenCookieRefused(validationScheme);
            return await FailAsync(ForwardAuthFailure.NotSignedIn, NotSignedInResult);
        }

        var identity = new ClaimsIdentity(Scheme.Name, LayeredClaimTypes.Subject, LayeredClaimTypes.Group);
        foreach (var claim in validated.Principal.Claims)
        {
            if (!LayeredClaimTypes.IsReserved(claim.Type))
            {
                identity.AddClaim(new Claim(claim.Type, claim.Value, claim.ValueType, claim.Issuer, claim.OriginalIssuer));
            }
        }

        ScopeClaimNormalizer.Normalize(identity);
        var user = identity.FindFirst(LayeredClaimTypes.Subject)?.Value ?? string.Empty;
        var groups = identity.FindAll(LayeredClaimTypes.Group).Select(c => c.Value).ToArray();
        return await ValidatedAsync(new ClaimsPrincipal(identity), user, groups, "token cookie");
    }

    private Task<AuthenticateResult> SucceedAsync(ForwardAuthIdentity identity, string source) =>
        ValidatedAsync(identity.ToPrincipal(Scheme.Name, Options), identity.User, identity.Groups, source);

    private async Task<AuthenticateResult> ValidatedAsync(ClaimsPrincipal principal, string user, IReadOnlyList<string> groups, string source)
    {
        var context = new ForwardAuthValidatedContext(Context, Scheme, Options, principal, user, groups);
        await Events.Validated(context);
        if (context.Result is not null)
        {
            _metrics.RecordOutcome(Scheme.Name, context.Result.Succeeded ? "success" : "rejected_by_event");
            return context.Result;
        }

        if (context.Principal is null)
        {
            _metrics.RecordOutcome(Scheme.Name, "rejected_by_event");
            return AuthenticateResult.Fail("The principal was removed by the Validated event.");
        }

        Logger.Authenticated(LogText.Escape(user), source);
        _metrics.RecordOutcome(Scheme.Name, "success");
        context.Success();
        return context.Result!;
    }

    private async Task<AuthenticateResult> CsrfRefusedAsync()
    {
        Logger.CsrfRejected(LogText.Escape(Request.Method), LogText.Escape(Request.Path.Value ?? "/"), Options.CsrfHeaderName);
        _telemetry.Refusal("csrf");
        return await FailAsync(ForwardAuthFailure.CsrfRequired, CsrfResult);
    }

    private async Task<AuthenticateResult> FailAsync(ForwardAuthFailure failure, AuthenticateResult result)
    {
        _failure = failure;
        _metrics.RecordOutcome(Scheme.Name, failure switch
        {
            ForwardAuthFailure.NotSignedIn => "not_signed_in",
            ForwardAuthFailure.Forbidden => "forbidden",
            ForwardAuthFailure.Overloaded => "overloaded",
            ForwardAuthFailure.RateLimited => "rate_limited",
            ForwardAuthFailure.CsrfRequired => "csrf_required",
            _ => "portal_unavailable",
        });

        var context = new ForwardAuthFailedContext(Context, Scheme, Options, failure);
        await Events.AuthenticationFailed(context);
        return context.Result ?? result;
    }

    // The identity headers count only from a trusted proxy address AND with the proof that the proxy's forward-auth step
    // set them; otherwise they are removed, not just skipped, so no later code can read a forged identity. The proof
    // header is removed in every case, so the secret never reaches an endpoint.
    private void CheckIdentityHeaders()
    {
        var headers = Request.Headers;
        var hasIdentity = headers.ContainsKey(Options.UserHeader!) || headers.ContainsKey(Options.GroupsHeader!)
            || headers.ContainsKey(Options.EmailHeader!) || headers.ContainsKey(Options.NameHeader!);
        var hasProof = headers.ContainsKey(Options.ProofHeaderName);
        if (!hasIdentity && !hasProof)
        {
            return;
        }

        var remote = Context.Connection.RemoteIpAddress;
        if (!ForwardAuthCredential.IsTrustedProxy(remote, Options))
        {
            if (hasIdentity)
            {
                Logger.UntrustedIdentityHeader(Options.UserHeader!, remote?.ToString() ?? "(unknown)");
                _telemetry.Refusal("untrusted_headers");
            }
        }
        else if (ForwardAuthCredential.HasValidProof(Request, Options))
        {
            ForwardAuthCredential.MarkVouched(Context);
            headers.Remove(Options.ProofHeaderName);
            return;
        }
        else if (hasIdentity)
        {
            Logger.TrustedHeadersWithoutProof(remote!.ToString(), Options.ProofHeaderName, hasProof ? "wrong" : "missing");
            _telemetry.Refusal("missing_proof");
        }

        headers.Remove(Options.UserHeader!);
        headers.Remove(Options.GroupsHeader!);
        headers.Remove(Options.EmailHeader!);
        headers.Remove(Options.NameHeader!);
        headers.Remove(Options.ProofHeaderName);
    }

    private bool EndpointMayAskForUser() => EndpointMayAskForUser(Context, _authorization.Value);

    // An endpoint may ask who the user is when it carries authorization metadata without AllowAnonymous, or when a
    // fallback policy applies to it; without an endpoint (a 404) only a fallback policy could.
    internal static bool EndpointMayAskForUser(HttpContext context, AuthorizationOptions authorization)
    {
        var endpoint = context.GetEndpoint();
        if (endpoint is null)
        {
            return authorization.FallbackPolicy is not null;
        }

        var metadata = endpoint.Metadata;
        if (metadata.GetMetadata<IAllowAnonymous>() is not null)
        {
            return false;
        }

        return metadata.GetMetadata<IAuthorizeData>() is not null
            || metadata.GetMetadata<AuthorizationPolicy>() is not null
            || metadata.GetMetadata<IAuthorizationRequirementData>() is not null
            || authorization.FallbackPolicy is not null;
    }

    // What the portal's rules see of the request, or null when its host is not allowed. A Host header that is not a
    // valid IDN name makes Request.Host throw: such a host is simply not allowed.
    internal static ForwardedRequest? OriginalRequest(HttpContext context, ForwardAuthAuthenticationOptions options)
    {
        var request = context.Request;
        if (!ForwardAuthReturnUrl.TryReadHost(request, out var host) || !ForwardAuthReturnUrl.IsAllowedHost(host.Host, options.AllowedHosts))
        {
            return null;
        }

        return new ForwardedRequest(
            request.Method,
            request.Scheme,
            host.Value ?? string.Empty,
            (request.PathBase + request.Path).ToUriComponent() + request.QueryString.ToUriComponent(),
            context.Connection.RemoteIpAddress?.ToString());
    }

    private static bool IsBrowserNavigation(HttpRequest request) =>
        request.Headers.Accept.ToString().Contains("text/html", StringComparison.OrdinalIgnoreCase)
        && !string.Equals(request.Headers.XRequestedWith.ToString(), "XMLHttpRequest", StringComparison.OrdinalIgnoreCase);

    private static bool IsTokenText(string token)
    {
        foreach (var c in token)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '~' or '+' or '/' or '='))
            {
                return false;
            }
        }

        return true;
    }
}
