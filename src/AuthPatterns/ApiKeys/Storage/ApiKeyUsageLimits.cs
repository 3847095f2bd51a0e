using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AuthPatterns.ApiKeys;

/// <summary>
/// The bounds of the stored usage values, and the one place that applies them: whatever a request carries, a stored
/// method, route and address fit their columns and are valid text in every database.
/// </summary>
internal static class ApiKeyUsageLimits
{
    public const int MaxMethodLength = 16;

    public const int MaxRouteLength = 512;

    public const int MaxAddressLength = 64;

    /// <summary>What is stored for a method that is not a short token.</summary>
    public const string OtherMethod = "OTHER";

    public static ApiKeyUsageEvent Bound(ApiKeyUsageEvent usage) => new()
    {
        KeyId = usage.KeyId,
        OccurredAt = usage.OccurredAt,
        Method = Method(usage.Method),
        Route = Route(usage.Route),
        StatusCode = usage.StatusCode,
        Address = Address(usage.Address),
    };

    /// <summary>The method itself when it is 1 to 16 ASCII letters, digits or '-' (every registered method is), else <c>OTHER</c>.</summary>
    public static string Method(string? method)
    {
        if (string.IsNullOrEmpty(method) || method.Length > MaxMethodLength)
        {
            return OtherMethod;
        }

        foreach (var c in method)
        {
            if (c is not ((>= 'A' and <= 'Z') or (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-'))
            {
                return OtherMethod;
            }
        }

        return method;
    }

    /// <summary>
    /// The route, its control characters and lone surrogates replaced by U+FFFD, cut to 512 UTF-16 units on a code-point
    /// boundary (a surrogate pair is kept whole or dropped whole).
    /// </summary>
    public static string Route(string? route) => Text(string.IsNullOrEmpty(route) ? "/" : route, MaxRouteLength);

    /// <summary>The address, bounded like the route; <see langword="null"/> stays <see langword="null"/>.</summary>
    public static string? Address(string? address) => address is null ? null : Text(address, MaxAddressLength);

    private static string Text(string value, int maxLength)
    {
        var clean = value.Length <= maxLength;
        for (var i = 0; clean && i < value.Length; i++)
        {
            clean = IsPlain(value, i) || (char.IsHighSurrogate(value[i]) && IsPair(value, i) && ++i > 0);
        }

        if (clean)
        {
            return value;
        }

        var text = new StringBuilder(Math.Min(value.Length, maxLength));
        for (var i = 0; i < value.Length; i++)
        {
            if (char.IsHighSurrogate(value[i]) && IsPair(value, i))
            {
                if (text.Length + 2 > maxLength)
                {
                    break;
                }

                text.Append(value[i]).Append(value[++i]);
                continue;
            }

            if (text.Length + 1 > maxLength)
            {
                break;
            }

            text.Append(IsPlain(value, i) ? value[i] : '\uFFFD');
        }

        return text.ToString();
    }

    private static bool IsPair(string value, int index) => index + 1 < value.Length && char.IsLowSurrogate(value[index + 1]);

    private static bool IsPlain(string value, int index) =>
        !char.IsSurrogate(value[index]) && char.GetUnicodeCategory(value[index]) != UnicodeCategory.Control;
}
