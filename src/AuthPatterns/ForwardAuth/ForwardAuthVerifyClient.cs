using System.Net;
using AuthPatterns.Infrastructure;
using Microsoft.Extensions.Logging;

namespace AuthPatterns.ForwardAuth;

/// <summary>What the original request looked like, sent to the portal as Traefik's forwardAuth sends it.</summary>
internal readonly record struct ForwardedRequest(string Method, string Proto, string Host, string Uri, string? For);

internal enum ForwardAuthVerifyStatus
{
    SignedIn,
    NotSignedIn,
    Forbidden,
    Timeout,
    Unreachable,
    PortalError,
    Overloaded,
    RateLimited,
}

internal sealed record ForwardAuthVerifyResult(ForwardAuthVerifyStatus Status, ForwardAuthIdentity? Identity = null)
{
    public static readonly ForwardAuthVerifyResult NotSignedIn = new(ForwardAuthVerifyStatus.NotSignedIn);
    public static readonly ForwardAuthVerifyResult Forbidden = new(ForwardAuthVerifyStatus.Forbidden);
    public static readonly ForwardAuthVerifyResult Timeout = new(ForwardAuthVerifyStatus.Timeout);
    public static readonly ForwardAuthVerifyResult Unreachable = new(ForwardAuthVerifyStatus.Unreachable);
    public static readonly ForwardAuthVerifyResult PortalError = new(ForwardAuthVerifyStatus.PortalError);
    public static readonly ForwardAuthVerifyResult Overloaded = new(ForwardAuthVerifyStatus.Overloaded);
    public static readonly ForwardAuthVerifyResult RateLimited = new(ForwardAuthVerifyStatus.RateLimited);
}

/// <summary>
/// Calls the portal's verify endpoint the way Traefik's forwardAuth does: a GET without a body, not following
/// redirects, carrying the session cookie (only the portal's own) and <c>X-Forwarded-Method/Proto/Host/Uri/For</c>.
/// </summary>
internal sealed class ForwardAuthVerifyClient
{
    private readonly IHttpClientFactory _httpClientFactory;
    private readonly ILogger<ForwardAuthVerifyClient> _logger;

    private readonly ForwardAuthTelemetry _telemetry;

    public ForwardAuthVerifyClient(IHttpClientFactory httpClientFactory, ILogger<ForwardAuthVerifyClient> logger, ForwardAuthTelemetry telemetry)
    {
        _telemetry = telemetry;
        _httpClientFactory = httpClientFactory;
        _logger = logger;
    }

    public async Task<ForwardAuthVerifyResult> VerifyAsync(
        ForwardAuthAuthenticationOptions options,
        string cookieHeader,
        ForwardedRequest original,
        CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, options.VerifyUrl);
        request.Headers.TryAddWithoutValidation("Cookie", cookieHeader);
        request.Headers.TryAddWithoutValidation("X-Forwarded-Method", original.Method);
        request.Headers.TryAddWithoutValidation("X-Forwarded-Proto", original.Proto);
        request.Headers.TryAddWithoutValidation("X-Forwarded-Host", original.Host);
        request.Headers.TryAddWithoutValidation("X-Forwarded-Uri", original.Uri);
        if (original.For is not null)
        {
            request.Headers.TryAddWithoutValidation("X-Forwarded-For", original.For);
        }

        var client = _httpClientFactory.CreateClient(ForwardAuthAuthenticationDefaults.HttpClientName);
        try
        {
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            var status = (int)response.StatusCode;
            switch (response.StatusCode)
            {
                case >= HttpStatusCode.OK and < HttpStatusCode.MultipleChoices:
                    var identity = ForwardAuthIdentity.From(name => Header(response, name), options);
                    if (identity is null)
                    {
                        _logger.PortalAnswerWithoutUser(status, options.UserHeader!);
                        _telemetry.Verification("portal_error");
                        return ForwardAuthVerifyResult.PortalError;
                    }

                    _telemetry.Verification("signed_in");
                    return new ForwardAuthVerifyResult(ForwardAuthVerifyStatus.SignedIn, identity);
                case HttpStatusCode.Unauthorized or HttpStatusCode.Found or HttpStatusCode.SeeOther or HttpStatusCode.TemporaryRedirect:
                    _logger.NotSignedIn(status);
                    _telemetry.Verification("not_signed_in");
                    return ForwardAuthVerifyResult.NotSignedIn;
                case HttpStatusCode.Forbidden:
                    _logger.PortalForbidden(LogText.Escape(original.Method), LogText.Escape(original.Uri));
                    _telemetry.Verification("forbidden");
                    return ForwardAuthVerifyResult.Forbidden;
                default:
                    // 5xx, and anything the contract does not define (400 for missing headers, 404 for a wrong path):
                    // the portal could not vouch for the user, so the request fails closed.
                    _logger.PortalError(status);
                    _telemetry.Verification("portal_error");
                    return ForwardAuthVerifyResult.PortalError;
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            _logger.PortalTimeout(options.VerifyTimeout.TotalMilliseconds);
            _telemetry.Verification("timeout");
            return ForwardAuthVerifyResult.Timeout;
        }
        catch (HttpRequestException ex)
        {
            _logger.PortalUnreachable(options.VerifyUrl!.GetLeftPart(UriPartial.Path), ex.HttpRequestError.ToString());
            _telemetry.Verification("unreachable");
            return ForwardAuthVerifyResult.Unreachable;
        }
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(',', values) : null;
}
