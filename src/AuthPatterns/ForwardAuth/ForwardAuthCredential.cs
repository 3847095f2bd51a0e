using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace AuthPatterns.ForwardAuth;

/// <summary>Cheap, I/O-free tests of whether a request carries a forward-auth credential, and reading it.</summary>
internal static class ForwardAuthCredential
{
    // oauth2-proxy splits a large session into name_0, name_1...; more pieces than this are not a session cookie.
    private const int MaxCookiePieces = 16;

    // Far above any secret worth configuring; longer values are refused without hashing them.
    private const int MaxProofLength = 1024;

    public static bool IsPresent(HttpContext context, ForwardAuthAuthenticationOptions options)
    {
        var cookies = context.Request.Cookies;
        if (options.TokenCookieName is { } tokenCookie && cookies.ContainsKey(tokenCookie))
        {
            return true;
        }

        if (options.Mode == ForwardAuthMode.TrustedHeaders)
        {
            return context.Request.Headers.ContainsKey(options.UserHeader!)
                && (IsVouched(context)
                    || (IsTrustedProxy(context.Connection.RemoteIpAddress, options) && HasValidProof(context.Request, options)));
        }

        return options.VerifyUrl is not null
            && (cookies.ContainsKey(options.CookieName!) || cookies.ContainsKey(options.CookieName + "_0"));
    }

    /// <summary>
    /// Whether the request carries exactly one proof header whose value is the configured secret. Compared as SHA-256
    /// hashes in constant time, so neither the secret's content nor its length shows in the timing.
    /// </summary>
    public static bool HasValidProof(HttpRequest request, ForwardAuthAuthenticationOptions options)
    {
        var expected = options.TrustedHeadersSecretHash;
        if (expected is null || !request.Headers.TryGetValue(options.ProofHeaderName, out var values) || values.Count != 1)
        {
            return false;
        }

        var presented = values[0];
        if (string.IsNullOrEmpty(presented) || presented.Length > MaxProofLength)
        {
            return false;
        }

        // At most MaxProofLength characters: encoded on the stack, hashed without a copy on the heap.
        Span<byte> utf8 = stackalloc byte[Encoding.UTF8.GetMaxByteCount(MaxProofLength)];
        var length = Encoding.UTF8.GetBytes(presented, utf8);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(utf8[..length], hash);
        return CryptographicOperations.FixedTimeEquals(hash, expected);
    }

    /// <summary>Records that this request's identity headers came from a trusted proxy with a valid proof.</summary>
    public static void MarkVouched(HttpContext context) => context.Features.Set(VouchedFeature.Instance);

    /// <summary>Whether <see cref="MarkVouched"/> ran for this request.</summary>
    public static bool IsVouched(HttpContext context) => context.Features.Get<VouchedFeature>() is not null;

    public static bool IsTrustedProxy(IPAddress? address, ForwardAuthAuthenticationOptions options)
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

    // A type only this class can create, so nothing else can mark a request as vouched for.
    private sealed class VouchedFeature
    {
        public static readonly VouchedFeature Instance = new();
    }
}
