using Microsoft.AspNetCore.Http;

namespace AuthPatterns.ForwardAuth;

/// <summary>
/// The CSRF defence of cookie-authenticated unsafe requests: the custom header (which a cross-site page cannot send
/// without a CORS preflight the service refuses), <c>Sec-Fetch-Site: same-origin</c>, or an <c>Origin</c> equal to the
/// request's own or to one of <see cref="ForwardAuthAuthenticationOptions.AllowedOrigins"/>.
/// </summary>
internal static class ForwardAuthCsrf
{
    public static bool IsUnsafe(string method) =>
        !(HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method) || HttpMethods.IsTrace(method));

    public static bool IsSatisfied(HttpRequest request, ForwardAuthAuthenticationOptions options)
    {
        if (!options.RequireCsrfDefence || !IsUnsafe(request.Method))
        {
            return true;
        }

        if (request.Headers.TryGetValue(options.CsrfHeaderName, out var header)
            && header.Count == 1
            && string.Equals(header[0], options.CsrfHeaderValue, StringComparison.Ordinal))
        {
            return true;
        }

        if (string.Equals(request.Headers["Sec-Fetch-Site"].ToString(), "same-origin", StringComparison.Ordinal))
        {
            return true;
        }

        var origin = request.Headers.Origin.ToString();
        if (origin.Length == 0 || string.Equals(origin, "null", StringComparison.Ordinal)
            || !Uri.TryCreate(origin, UriKind.Absolute, out var originUri))
        {
            return false;
        }

        foreach (var allowed in options.AllowedOrigins)
        {
            if (Uri.TryCreate(allowed, UriKind.Absolute, out var allowedUri)
                && string.Equals(allowedUri.Scheme, originUri.Scheme, StringComparison.OrdinalIgnoreCase)
                && string.Equals(allowedUri.IdnHost, originUri.IdnHost, StringComparison.OrdinalIgnoreCase)
                && allowedUri.Port == originUri.Port)
            {
                return true;
            }
        }

        // Same origin as the request: same host and the same explicit port (TLS may end at a proxy in front, so the
        // scheme the service sees is not compared).
        if (!ForwardAuthReturnUrl.TryReadHost(request, out var host) || !string.Equals(host.Host, originUri.IdnHost, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        int? originPort = originUri.IsDefaultPort ? null : originUri.Port;
        return originPort == host.Port;
    }
}
