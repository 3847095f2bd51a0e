using System.Security.Claims;
using System.Text.Encodings.Web;
using AuthPatterns.Authorization;
using AuthPatterns.Infrastructure;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace AuthPatterns.Selection;

/// <summary>
/// The default scheme: looks at the credentials a request carries, forwards it to exactly one layered scheme, refuses
/// requests that carry more than one credential (of one scheme or of several), and answers challenges and forbids in the language of the schemes involved.
/// </summary>
internal sealed class LayeredAuthenticationHandler : AuthenticationHandler<LayeredAuthOptions>, IAuthenticationRequestHandler
{
    private static readonly AuthenticateResult AmbiguousResult =
        AuthenticateResult.Fail("The request carries more than one credential.");

    private static readonly AuthenticateResult NotAllowedResult =
        AuthenticateResult.Fail("The credential's scheme is not accepted by this endpoint.");

    private readonly LayeredAuthMetrics _metrics;
    private LayeredCredentialScheme? _selected;

    public LayeredAuthenticationHandler(IOptionsMonitor<LayeredAuthOptions> options, ILoggerFactory logger, UrlEncoder encoder, LayeredAuthMetrics metrics)
        : base(options, logger, encoder)
    {
        _metrics = metrics;
    }

    private new LayeredAuthenticationEvents Events
    {
        get => (LayeredAuthenticationEvents)base.Events!;
        set => base.Events = value;
    }

    /// <summary>
    /// Runs each scheme's request guard (an API key in the query string is refused here, before any endpoint), so the
    /// schemes' handlers need not be request handlers themselves, each created for every request.
    /// </summary>
    public async Task<bool> HandleRequestAsync()
    {
        var schemes = Options.CredentialSchemes;
        for (var i = 0; i < schemes.Count; i++)
        {
            if (schemes[i].RequestGuard is { } guard && await guard(Context))
            {
                return true;
            }
        }

        return false;
    }

    protected override Task<object> CreateEventsAsync() => Task.FromResult<object>(new LayeredAuthenticationEvents());

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var feature = Select();
        Context.Features.Set<ILayeredAuthenticationFeature>(feature);
        if (feature.SelectedScheme is null && !feature.IsAmbiguous)
        {
            return AuthenticateResult.NoResult();
        }

        // A span per authenticated request (null, and free, when nobody listens to the AuthPatterns source).
        using var activity = LayeredAuthMetrics.ActivitySource.StartActivity("AuthPatterns.Authenticate");
        var result = await AuthenticateSelectedAsync(feature);
        if (activity is not null)
        {
            activity.SetTag("authpatterns.scheme", feature.SelectedScheme ?? "ambiguous");
            activity.SetTag("authpatterns.result", result.Succeeded ? "success" : result.None ? "none" : "failure");
            if (!result.Succeeded)
            {
                activity.SetStatus(System.Diagnostics.ActivityStatusCode.Error, "not authenticated");
            }
        }

        return result;
    }

    private async Task<AuthenticateResult> AuthenticateSelectedAsync(ILayeredAuthenticationFeature feature)
    {
        if (feature.IsAmbiguous)
        {
            Logger.AmbiguousCredentials(string.Join(", ", feature.PresentedSchemes));
            _metrics.SelectionRefused("ambiguous");
            return AmbiguousResult;
        }

        if (feature.SchemeNotAllowed)
        {
            Logger.SchemeNotAllowed(feature.SelectedScheme!, string.Join(", ", AllowedSchemes() ?? []));
            _metrics.SelectionRefused("scheme_not_allowed");
            return NotAllowedResult;
        }

        var selected = feature.SelectedScheme!;
        Logger.SchemeSelected(selected);

        // A credential verified before and still cached is served without the scheme's handler; anything else, and
        // every failure, goes through the handler.
        var result = _selected?.WarmPath is { } warm && await warm(Context) is { } answered
            ? answered
            : await Context.AuthenticateAsync(selected);
        if (result.Succeeded)
        {
            MarkScheme(result.Principal, selected);
        }

        return result;
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        await HandleAuthenticateOnceSafeAsync();
        var feature = Context.Features.Get<ILayeredAuthenticationFeature>();

        if (feature is { IsAmbiguous: true })
        {
            if (await ChallengeHandledAsync(properties, StatusCodes.Status400BadRequest, "invalid_request", null, feature.PresentedSchemes))
            {
                return;
            }

            await LayeredProblemDetails.WriteAsync(
                Context,
                StatusCodes.Status400BadRequest,
                "invalid_request",
                "More than one credential",
                "The request carries more than one credential. Send exactly one: one API key, one bearer token or one session cookie.",
                acceptedSchemes: feature.PresentedSchemes);
            return;
        }

        var accepted = AcceptedSchemes();

        // The scheme that refused the credential speaks first: its answer may be complete on its own (503 while a
        // dependency is down or load is shed, 403 for a missing CSRF defence), and then no other challenge follows.
        var refusedBy = feature?.SelectedScheme;
        if (refusedBy is not null && accepted.Remove(refusedBy))
        {
            accepted.Insert(0, refusedBy);
        }

        foreach (var scheme in accepted)
        {
            await Context.ChallengeAsync(scheme, properties);
            if (HandledResponse.IsGiven(Context))
            {
                return;
            }

            if (Response.StatusCode is >= 300 and < 400)
            {
                // An interactive scheme chose to redirect (a browser sent to its portal): that answer stands alone.
                Response.Headers.Remove(HeaderNames.WWWAuthenticate);
                return;
            }
        }

        var (error, detail) = refusedBy switch
        {
            null => ("unauthorized", "This endpoint requires authentication."),
            _ when feature!.SchemeNotAllowed => ("credential_not_accepted", $"This endpoint does not accept {refusedBy} credentials."),
            _ when IsBearer(refusedBy) => ("invalid_token", "The credential was not accepted."),
            _ => ("invalid_credential", "The credential was not accepted."),
        };
        if (await ChallengeHandledAsync(properties, StatusCodes.Status401Unauthorized, error, refusedBy, accepted))
        {
            return;
        }

        await LayeredProblemDetails.WriteAsync(
            Context,
            StatusCodes.Status401Unauthorized,
            error,
            "Unauthorized",
            detail,
            acceptedSchemes: accepted);
    }

    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        await HandleAuthenticateOnceSafeAsync();
        var selected = Context.Features.Get<ILayeredAuthenticationFeature>()?.SelectedScheme;
        if (selected is not null)
        {
            // Let the scheme's own forbid logic and events run; the status and body are ours, unless its event answered.
            await Context.ForbidAsync(selected, properties);
            if (HandledResponse.IsGiven(Context))
            {
                return;
            }
        }

        var forbidden = ScopeForbiddenProperties.Of(properties);
        var context = new LayeredForbiddenContext(Context, Scheme, Options, properties, selected, forbidden.RequiredScopes ?? []);
        await Events.Forbidden(context);
        if (context.Handled)
        {
            HandledResponse.Mark(Context);
            return;
        }

        var challenge = selected is null ? null : Options.FindCredentialScheme(selected)?.InsufficientScopeChallenge;
        await ForbiddenAnswer.WriteAsync(Context, forbidden, selected, challenge, Logger);
    }

    private async Task<bool> ChallengeHandledAsync(AuthenticationProperties properties, int status, string error, string? selected, IReadOnlyList<string> accepted)
    {
        var context = new LayeredChallengeContext(Context, Scheme, Options, properties, status, error, selected, accepted);
        await Events.Challenge(context);
        if (!context.Handled)
        {
            return false;
        }

        HandledResponse.Mark(Context);
        return true;
    }

    private LayeredAuthenticationFeature Select()
    {
        LayeredCredentialScheme? selected = null;
        string? first = null;
        List<string>? presented = null;
        var credentials = 0;
        foreach (var scheme in Options.CredentialSchemes)
        {
            var count = scheme.CountCredentials(Context);
            if (count <= 0)
            {
                continue;
            }

            credentials += count;
            if (first is null)
            {
                first = scheme.Name;
                selected = scheme;
            }
            else
            {
                (presented ??= [first]).Add(scheme.Name);
            }
        }

        // Two Authorization headers are two credentials whatever their schemes say (and whether or not a registered
        // scheme reads them): which one a handler would pick is exactly the guess selection must not make.
        if (presented is not null || credentials > 1 || Request.Headers.Authorization.Count > 1)
        {
            return new LayeredAuthenticationFeature { PresentedSchemes = presented ?? (first is null ? [] : [first]), IsAmbiguous = true };
        }

        if (selected is null)
        {
            return Empty;
        }

        // The feature is immutable: each scheme keeps its two possible answers, so a warm request allocates none.
        _selected = selected;
        var allowed = AllowedSchemes();
        return allowed is not null && !Contains(allowed, selected.Name) ? selected.NotAllowedFeature : selected.SelectedFeature;
    }

    private static bool Contains(IReadOnlyList<string> schemes, string scheme)
    {
        for (var i = 0; i < schemes.Count; i++)
        {
            if (string.Equals(schemes[i], scheme, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private static readonly LayeredAuthenticationFeature Empty = new();

    private IReadOnlyList<string>? AllowedSchemes() =>
        Context.GetEndpoint()?.Metadata.GetMetadata<IAllowedSchemesMetadata>()?.Schemes;

    private List<string> AcceptedSchemes()
    {
        var allowed = AllowedSchemes();
        var accepted = new List<string>(Options.CredentialSchemes.Count);
        foreach (var scheme in Options.CredentialSchemes)
        {
            if (allowed is null || allowed.Contains(scheme.Name, StringComparer.Ordinal))
            {
                accepted.Add(scheme.Name);
            }
        }

        return accepted;
    }

    private bool IsBearer(string scheme) =>
        string.Equals(Options.FindCredentialScheme(scheme)?.InsufficientScopeChallenge, "Bearer", StringComparison.Ordinal);

    private static void MarkScheme(ClaimsPrincipal? principal, string scheme)
    {
        if (principal is null)
        {
            return;
        }

        // The scheme that validated the credential is the only authority on it: whatever claim of that type a
        // credential or a handler's event brought in is replaced, on every identity of the principal. (The handlers never
        // let one in, so this usually finds nothing, and then allocates no list.)
        foreach (var identity in principal.Identities)
        {
            while (identity.FindFirst(LayeredClaimTypes.Scheme) is { } claim && identity.TryRemoveClaim(claim))
            {
            }
        }

        (principal.Identity as ClaimsIdentity)?.AddClaim(new Claim(LayeredClaimTypes.Scheme, scheme));
    }
}
