using System.Net;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace AuthPatterns.ForwardAuth;

/// <summary>Cheap, I/O-free tests of whether a request carries a forward-auth credential, and reading it.</summary>
internal static class ForwardAuthCredential
{
    // oauth2-proxy splits a large session into name_0, name_1...; more pieces than this are not a session cookie.
    private const int MaxCookiePieces = 16;

    public static bool IsPresent(HttpContext context, ForwardAuthOptions options)
    {
        var cookies = context.Request.Cookies;
        if (options.TokenCookieName is { } tokenCookie && cookies.ContainsKey(tokenCookie))
        {
            return true;
        }

        if (options.Mode == ForwardAuthMode.TrustedHeaders)
        {
            return context.Request.Headers.ContainsKey(options.UserHeader!)
                && IsTrustedProxy(context.Connection.RemoteIpAddress, options);
        }

        return options.VerifyUrl is not null
            && (cookies.ContainsKey(options.CookieName!) || cookies.ContainsKey(options.CookieName + "_0"));
    }

    public static bool IsTrustedProxy(IPAddress? address, ForwardAuthOptions options)
    {
        if (address is null)
        {
            return false;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        foreach (var network in options.TrustedNetworks)
        {
            if (network.Contains(address))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The portal's cookies exactly as the browser sent them (<c>name=value</c>, or its numbered pieces), joined into a
    /// Cookie header; every other cookie of the request stays here. <see langword="null"/> when there is none.
    /// </summary>
    public static string? ReadPortalCookies(HttpRequest request, string name)
    {
        StringBuilder? builder = null;
        var pieces = 0;
        foreach (var header in request.Headers.Cookie)
        {
            if (string.IsNullOrEmpty(header))
            {
                continue;
            }

            foreach (var part in header.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                var equals = part.IndexOf('=', StringComparison.Ordinal);
                if (equals <= 0 || equals == part.Length - 1 || !IsPortalCookieName(part.AsSpan(0, equals), name))
                {
                    continue;
                }

                // A portal cookie is ASCII; anything else is no session, never a request the HTTP client refuses to send
                // (which would read as a portal outage and answer 503).
                if (++pieces > MaxCookiePieces || !IsPrintableAscii(part))
                {
                    return null;
                }

                builder ??= new StringBuilder(part.Length + 16);
                if (builder.Length > 0)
                {
                    builder.Append("; ");
                }

                builder.Append(part);
            }
        }

        return builder?.ToString();
    }

    private static bool IsPrintableAscii(string value)
    {
        foreach (var c in value)
        {
            if (c is < ' ' or > '~')
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsPortalCookieName(ReadOnlySpan<char> candidate, string name)
    {
        if (candidate.SequenceEqual(name))
        {
            return true;
        }

        if (candidate.Length < name.Length + 2 || !candidate.StartsWith(name, StringComparison.Ordinal) || candidate[name.Length] != '_')
        {
            return false;
        }

        foreach (var c in candidate[(name.Length + 1)..])
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        return true;
    }
}
