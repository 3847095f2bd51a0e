using Microsoft.Extensions.Logging;

namespace AuthPatterns.ForwardAuth;

// Event ids 4000-4099. Never a cookie, a token or a header value that carries one.
internal static partial class ForwardAuthLoggingExtensions
{
    [LoggerMessage(4000, LogLevel.Debug, "Authenticated {User} from the {Source}.", EventName = "Authenticated")]
    public static partial void Authenticated(this ILogger logger, string user, string source);

    [LoggerMessage(4001, LogLevel.Information, "The portal does not know the session (verify answered {StatusCode}).", EventName = "NotSignedIn")]
    public static partial void NotSignedIn(this ILogger logger, int statusCode);

    [LoggerMessage(4002, LogLevel.Information, "The portal denied access to {Method} {Path} (verify answered 403).", EventName = "PortalForbidden")]
    public static partial void PortalForbidden(this ILogger logger, string method, string path);

    [LoggerMessage(4003, LogLevel.Warning, "Failing closed: the portal's verify endpoint did not answer within {TimeoutMilliseconds} ms.", EventName = "PortalTimeout")]
    public static partial void PortalTimeout(this ILogger logger, double timeoutMilliseconds);

    [LoggerMessage(4004, LogLevel.Warning, "Failing closed: the portal's verify endpoint {VerifyUrl} could not be reached ({Error}).", EventName = "PortalUnreachable")]
    public static partial void PortalUnreachable(this ILogger logger, string verifyUrl, string error);

    [LoggerMessage(4005, LogLevel.Warning, "Failing closed: the portal's verify endpoint answered {StatusCode}.", EventName = "PortalError")]
    public static partial void PortalError(this ILogger logger, int statusCode);

    [LoggerMessage(4006, LogLevel.Warning, "Failing closed: {Limit} verify calls are already in flight; {Shed} requests needing a verify call were shed since the last warning.", EventName = "VerifyOverloaded")]
    public static partial void VerifyOverloaded(this ILogger logger, int limit, long shed);

    [LoggerMessage(4007, LogLevel.Warning, "Ignored the identity header {Header} sent from {RemoteAddress}, which is not a trusted proxy.", EventName = "UntrustedIdentityHeader")]
    public static partial void UntrustedIdentityHeader(this ILogger logger, string header, string remoteAddress);

    [LoggerMessage(4008, LogLevel.Information, "Refused {Method} {Path}: a cookie-authenticated unsafe request without the {CsrfHeader} header or a same-origin proof.", EventName = "CsrfRejected")]
    public static partial void CsrfRejected(this ILogger logger, string method, string path, string csrfHeader);

    [LoggerMessage(4009, LogLevel.Warning, "Failing closed: the portal answered {StatusCode} without the {Header} header.", EventName = "PortalAnswerWithoutUser")]
    public static partial void PortalAnswerWithoutUser(this ILogger logger, int statusCode, string header);

    [LoggerMessage(4010, LogLevel.Debug, "Redirecting the browser to the portal's login page.", EventName = "RedirectToPortal")]
    public static partial void RedirectToPortal(this ILogger logger);

    [LoggerMessage(4011, LogLevel.Warning, "Not redirecting to the portal: the request's host {Host} is not in AllowedHosts.", EventName = "RedirectHostNotAllowed")]
    public static partial void RedirectHostNotAllowed(this ILogger logger, string host);

    [LoggerMessage(4012, LogLevel.Error, "The token cookie cannot be validated: the scheme {Scheme} is not registered.", EventName = "TokenCookieSchemeMissing")]
    public static partial void TokenCookieSchemeMissing(this ILogger logger, string scheme);

    [LoggerMessage(4013, LogLevel.Information, "The access token in the token cookie was refused by the {Scheme} scheme.", EventName = "TokenCookieRefused")]
    public static partial void TokenCookieRefused(this ILogger logger, string scheme);

    [LoggerMessage(4014, LogLevel.Warning, "Ignored the identity headers of a trusted proxy: {Header} is empty or too long.", EventName = "MalformedIdentityHeader")]
    public static partial void MalformedIdentityHeader(this ILogger logger, string header);

    [LoggerMessage(4015, LogLevel.Warning, "Not asking the portal: the request's host {Host} is not in AllowedHosts.", EventName = "HostNotAllowed")]
    public static partial void HostNotAllowed(this ILogger logger, string host);

    [LoggerMessage(4016, LogLevel.Warning, "Ignored the identity headers from the trusted proxy {RemoteAddress}: the {ProofHeader} header is {Problem}, so the proxy's forward-auth step did not set them.", EventName = "TrustedHeadersWithoutProof")]
    public static partial void TrustedHeadersWithoutProof(this ILogger logger, string remoteAddress, string proofHeader, string problem);

    [LoggerMessage(4017, LogLevel.Warning, "{Switch} is on: the app trusts X-Forwarded-For from any sender, so any client can choose the address that {AddressChecks} see. Configure ForwardedHeadersOptions with explicit KnownIPNetworks or KnownProxies instead.", EventName = "ForwardedHeadersTrustAnySender")]
    public static partial void ForwardedHeadersTrustAnySender(this ILogger logger, string @switch, string addressChecks);

    [LoggerMessage(4018, LogLevel.Warning, "Failing closed: the verify budget of {Limit} calls per second is spent; {Shed} requests needing a verify call were shed since the last warning.", EventName = "VerifyBudgetSpent")]
    public static partial void VerifyBudgetSpent(this ILogger logger, int limit, long shed);

    [LoggerMessage(4040, LogLevel.Error, "An endpoint asks for the user, but the session was not verified because no endpoint was known when authentication ran: call UseAuthentication() after UseRouting().", EventName = "AuthenticationBeforeRouting")]
    public static partial void AuthenticationBeforeRouting(this ILogger logger);

    [LoggerMessage(4041, LogLevel.Debug, "The portal recently said it does not know the session; not asking again yet.", EventName = "NotSignedInCached")]
    public static partial void NotSignedInCached(this ILogger logger);
}
