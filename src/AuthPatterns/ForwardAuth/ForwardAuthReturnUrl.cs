using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Extensions;

namespace AuthPatterns.ForwardAuth;

/// <summary>
/// Builds the portal redirect with <c>rd=&lt;original URL&gt;</c>. The return URL is built from the request itself
/// (scheme, host, path, query; never <c>X-Forwarded-Host</c> or a query parameter) and accepted only when its host is in
/// <see cref="ForwardAuthAuthenticationOptions.AllowedHosts"/>, so the portal can never be turned into an open redirect.
/// </summary>
internal static class ForwardAuthReturnUrl
{
    public static bool TryBuildLoginRedirect(HttpRequest request, ForwardAuthAuthenticationOptions options, out string location, out string? refusedHost)
    {
        location = string.Empty;
        refusedHost = null;
        if (options.PortalUrl is null)
        {
            return false;
        }

        if (!TryBuildReturnUrl(request, options, out var returnUrl, out refusedHost))
        {
            return false;
        }

        var portal = options.PortalUrl.AbsoluteUri;
        var separator = portal.Contains('?', StringComparison.Ordinal) ? '&' : '?';
        location = $"{portal}{separator}{Uri.EscapeDataString(options.ReturnUrlParameter)}={Uri.EscapeDataString(returnUrl)}";
        return true;
    }

    public static bool TryBuildReturnUrl(HttpRequest request, ForwardAuthAuthenticationOptions options, out string returnUrl, out string? refusedHost)
    {
        returnUrl = string.Empty;
        refusedHost = null;
        var scheme = request.Scheme;
        if (!string.Equals(scheme, Uri.UriSchemeHttps, StringComparison.OrdinalIgnoreCase)
            && !string.Equals(scheme, Uri.UriSchemeHttp, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        if (!TryReadHost(request, out var host) || !IsAllowedHost(host.Host, options.AllowedHosts))
        {
            refusedHost = host.Value ?? string.Empty;
            return false;
        }

        string candidate;
        try
        {
            candidate = UriHelper.BuildAbsolute(scheme, host, request.PathBase, request.Path, request.QueryString);
        }
        catch (ArgumentException)
        {
            refusedHost = host.Value;
            return false;
        }

        // Parse what was built and check the result, not the inputs: whatever the path looks like ("//evil.com",
        // "/\evil.com", "@evil.com"), the URL must still point at an allowed host.
        if (!Uri.TryCreate(candidate, UriKind.Absolute, out var parsed)
            || (parsed.Scheme != Uri.UriSchemeHttps && parsed.Scheme != Uri.UriSchemeHttp)
            || !string.IsNullOrEmpty(parsed.UserInfo)
            || !IsAllowedHost(parsed.IdnHost, options.AllowedHosts))
        {
            refusedHost = host.Value;
            return false;
        }

        returnUrl = parsed.AbsoluteUri;
        return true;
    }

    /// <summary>
    /// Reads <see cref="HttpRequest.Host"/>, which throws for a Host header that is not a valid IDN name (an <c>xn--</c>
    /// label that does not decode): such a request has no host to return to, never a 500.
    /// </summary>
    public static bool TryReadHost(HttpRequest request, out HostString host)
    {
        try
        {
            host = request.Host;
        }
        catch (ArgumentException)
        {
            host = default;
            return false;
        }

        return host.HasValue;
    }

    public static bool IsAllowedHost(string host, IList<string> allowed)
    {
        if (string.IsNullOrEmpty(host))
        {
            return false;
        }

        foreach (var pattern in allowed)
        {
            if (pattern.StartsWith("*.", StringComparison.Ordinal))
            {
                var suffix = pattern[1..];
                if (host.Length > suffix.Length && host.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }
            else if (string.Equals(host, pattern, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    public static bool IsValidHostPattern(string? pattern)
    {
        if (string.IsNullOrWhiteSpace(pattern))
        {
            return false;
        }

        var host = pattern.StartsWith("*.", StringComparison.Ordinal) ? pattern[2..] : pattern;
        return host.Length > 0 && Uri.CheckHostName(host) != UriHostNameType.Unknown && !host.Contains('*', StringComparison.Ordinal);
    }
}
