using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Primitives;

namespace AuthServer;

/// <summary>
/// Authelia's forward-auth contract, answered from this server's own sign-in session, so a reverse proxy (Traefik
/// <c>forwardAuth</c>, Caddy <c>forward_auth</c>, nginx <c>auth_request</c>) or an API in verify mode can ask "who is
/// this browser?":
/// <list type="bullet">
/// <item><c>/api/authz/forward-auth</c> (Traefik, Caddy): the original request in <c>X-Forwarded-Method</c>,
/// <c>-Proto</c>, <c>-Host</c>, <c>-Uri</c>; signed in: 200 with <c>Remote-User</c>, <c>Remote-Groups</c>,
/// <c>Remote-Name</c>, <c>Remote-Email</c>; not signed in: 302 to the sign-in page with <c>rd</c> for a browser's
/// GET or HEAD (303 for other methods), 401 for scripts.</item>
/// <item><c>/api/authz/auth-request</c> (nginx, whose <c>auth_request</c> understands only 2xx, 401 and 403): the
/// original request in <c>X-Original-Method</c> and <c>X-Original-URL</c>; not signed in: 401, with the sign-in URL in
/// <c>Location</c> for browsers.</item>
/// </list>
/// The return URL is only offered when its host is one of <c>AuthServer:AllowedReturnHosts</c>.
/// </summary>
internal static class ForwardAuthEndpoints
{
    public static void MapForwardAuthEndpoints(this WebApplication app)
    {
        string[] methods = [HttpMethods.Get, HttpMethods.Head, HttpMethods.Post, HttpMethods.Put, HttpMethods.Patch, HttpMethods.Delete, HttpMethods.Options];
        app.MapMethods("/api/authz/forward-auth", methods, (HttpContext context, UserManager<IdentityUser> users, AuthServerSettings settings) =>
            AnswerAsync(context, users, settings, OriginalFromForwardedHeaders(context.Request), redirect: true));
        app.MapMethods("/api/authz/auth-request", methods, (HttpContext context, UserManager<IdentityUser> users, AuthServerSettings settings) =>
            AnswerAsync(context, users, settings, OriginalFromOriginalHeaders(context.Request), redirect: false));
    }

    private static async Task<IResult> AnswerAsync(HttpContext context, UserManager<IdentityUser> users, AuthServerSettings settings, (string Method, Uri? Url) original, bool redirect)
    {
        context.Response.Headers.CacheControl = "no-store";
        var session = await context.AuthenticateAsync(IdentityConstants.ApplicationScheme);
        if (session.Succeeded && await SignInSession.FindUserAsync(session.Principal!, users) is { } found)
        {
            var headers = context.Response.Headers;
            headers["Remote-User"] = found.User.UserName;
            headers["Remote-Groups"] = string.Join(',', SignInSession.Groups(found.Claims));
            headers["Remote-Name"] = SignInSession.DisplayName(found.User, found.Claims);
            headers["Remote-Email"] = found.User.Email ?? "";
            return Results.Ok();
        }

        // The sign-in page at the address browsers know this server by (the issuer), not the one the proxy used.
        var request = context.Request;
        var self = settings.Issuer?.AbsoluteUri.TrimEnd('/') ?? $"{request.Scheme}://{request.Host}{request.PathBase}";
        var signIn = IsBrowser(request) && original.Url is { } url && settings.AllowedReturnHosts.Contains(url.Host, StringComparer.OrdinalIgnoreCase)
            ? $"{self}{SignInSession.SignInPath}?rd={Uri.EscapeDataString(url.AbsoluteUri)}"
            : null;
        if (signIn is null)
        {
            return Results.Unauthorized();
        }

        if (!redirect)
        {
            context.Response.Headers.Location = signIn;
            return Results.Unauthorized();
        }

        return original.Method is "GET" or "HEAD" ? Results.Redirect(signIn) : new SeeOther(signIn);
    }

    private static (string Method, Uri? Url) OriginalFromForwardedHeaders(HttpRequest request)
    {
        var method = First(request.Headers["X-Forwarded-Method"]) ?? request.Method;
        var proto = First(request.Headers["X-Forwarded-Proto"]);
        var host = First(request.Headers["X-Forwarded-Host"]);
        var uri = First(request.Headers["X-Forwarded-Uri"]) ?? "/";
        Uri? url = null;
        if (proto is "http" or "https" && !string.IsNullOrEmpty(host) && uri.StartsWith('/') && !uri.StartsWith("//", StringComparison.Ordinal))
        {
            Uri.TryCreate($"{proto}://{host}{uri}", UriKind.Absolute, out url);
        }

        return (method.ToUpperInvariant(), url);
    }

    private static (string Method, Uri? Url) OriginalFromOriginalHeaders(HttpRequest request)
    {
        var method = First(request.Headers["X-Original-Method"]) ?? request.Method;
        Uri.TryCreate(First(request.Headers["X-Original-URL"]), UriKind.Absolute, out var url);
        return (method.ToUpperInvariant(), url is { Scheme: "http" or "https" } ? url : null);
    }

    // Like Authelia: a page load is redirected, a script (XHR, JSON) gets 401 it can act on.
    private static bool IsBrowser(HttpRequest request) =>
        request.Headers.Accept.ToString().Contains("text/html", StringComparison.OrdinalIgnoreCase)
        && !string.Equals(request.Headers["X-Requested-With"], "XMLHttpRequest", StringComparison.OrdinalIgnoreCase);

    private static string? First(StringValues values) => values.Count > 0 && !string.IsNullOrEmpty(values[0]) ? values[0] : null;

    private sealed class SeeOther(string location) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = StatusCodes.Status303SeeOther;
            httpContext.Response.Headers.Location = location;
            return Task.CompletedTask;
        }
    }
}
