using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace AuthPatterns.ApiKeys;

/// <summary>
/// The shape of an API key: <c>{prefix}_{live|test}_{id}_{secret}{checksum}</c>, for example
/// <c>ak_live_3kTq9VbX1mZp_…</c>. The id is 12 base62 characters (public, used for look-up); the secret is 43 base62
/// characters from a CSPRNG (more than 256 bits); the checksum is the CRC32 of everything before it, as 6 base62
/// characters, so a mistyped key is refused before any I/O and scanners can confirm a match offline.
/// </summary>
public static class ApiKeyFormat
{
    /// <summary>The default prefix.</summary>
    public const string DefaultPrefix = "ak";

    /// <summary>The marker of keys for production.</summary>
    public const string LiveMarker = "live";

    /// <summary>The marker of keys for tests and development.</summary>
    public const string TestMarker = "test";

    /// <summary>The length of the public key id.</summary>
    public const int KeyIdLength = 12;

    /// <summary>The length of the secret (43 base62 characters carry 256.03 bits).</summary>
    public const int SecretLength = 43;

    /// <summary>The length of the checksum (CRC32 in base62).</summary>
    public const int ChecksumLength = 6;

    /// <summary>The longest prefix accepted.</summary>
    public const int MaxPrefixLength = 16;

    internal const string Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    /// <summary>Gets the length of every key with a given prefix.</summary>
    /// <param name="prefix">The prefix.</param>
    /// <returns>The exact length of a key.</returns>
    internal static int GetKeyLength(string prefix)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        return prefix.Length + 1 + 4 + 1 + KeyIdLength + 1 + SecretLength + ChecksumLength;
    }

    /// <summary>
    /// Gets the regular expression secret scanners use to find leaked keys with a given prefix, for example
    /// <c>\bak_(?:live|test)_[0-9A-Za-z]{12}_[0-9A-Za-z]{49}\b</c>. Confirm a match with <see cref="IsWellFormed"/>.
    /// </summary>
    /// <param name="prefix">The prefix.</param>
    /// <returns>The pattern.</returns>
    public static string GetScannerPattern(string prefix = DefaultPrefix)
    {
        ValidatePrefix(prefix);
        return $@"\b{Regex.Escape(prefix)}_(?:{LiveMarker}|{TestMarker})_[0-9A-Za-z]{{{KeyIdLength}}}_[0-9A-Za-z]{{{SecretLength + ChecksumLength}}}\b";
    }

    /// <summary>Tells whether a value has the shape and a valid checksum of a key with the given prefix. No I/O.</summary>
    /// <param name="value">The candidate key.</param>
    /// <param name="prefix">The prefix.</param>
    /// <returns><see langword="true"/> when the value is a well-formed key.</returns>
    public static bool IsWellFormed(string? value, string prefix = DefaultPrefix) =>
        value is not null && TryParse(value, prefix, out _);

    /// <summary>Checks that a prefix is 1 to 16 lower-case ASCII letters or digits.</summary>
    /// <param name="prefix">The prefix.</param>
    /// <exception cref="ArgumentException">The prefix is not valid.</exception>
    internal static void ValidatePrefix(string prefix)
    {
        if (!IsValidPrefix(prefix))
        {
            throw new ArgumentException("The prefix must be 1 to 16 lower-case ASCII letters or digits.", nameof(prefix));
        }
    }

    internal static bool IsValidPrefix(string? prefix)
    {
        if (string.IsNullOrEmpty(prefix) || prefix.Length > MaxPrefixLength)
        {
            return false;
        }

        foreach (var c in prefix)
        {
            if (c is not ((>= 'a' and <= 'z') or (>= '0' and <= '9')))
            {
                return false;
            }
        }

        return true;
    }

    internal static string NewKeyId() => RandomNumberGenerator.GetString(Alphabet, KeyIdLength);

    internal static string Create(string prefix, bool test, string keyId)
    {
        var body = string.Concat(prefix, "_", test ? TestMarker : LiveMarker, "_", keyId, "_", RandomNumberGenerator.GetString(Alphabet, SecretLength));
        return body + EncodeChecksum(Crc32.Compute(body));
    }

    /// <summary>
    /// Parses a presented value. Refuses, with no I/O and without looking past the first wrong character: a wrong
    /// length (so oversized values cost nothing), non-ASCII or non-base62 characters, a wrong prefix or marker, and a
    /// checksum that does not match.
    /// </summary>
    internal static bool TryParse(ReadOnlySpan<char> value, string prefix, out ParsedApiKey key)
    {
        key = default;
        if (value.Length != GetKeyLength(prefix) || !value.StartsWith(prefix, StringComparison.Ordinal) || value[prefix.Length] != '_')
        {
            return false;
        }

        var rest = value[(prefix.Length + 1)..];
        bool test;
        if (rest.StartsWith(LiveMarker + "_", StringComparison.Ordinal))
        {
            test = false;
        }
        else if (rest.StartsWith(TestMarker + "_", StringComparison.Ordinal))
        {
            test = true;
        }
        else
        {
            return false;
        }

        rest = rest[5..];
        var id = rest[..KeyIdLength];
        if (rest[KeyIdLength] != '_')
        {
            return false;
        }

        var tail = rest[(KeyIdLength + 1)..];
        if (!IsBase62(id) || !IsBase62(tail))
        {
            return false;
        }

        var body = value[..^ChecksumLength];
        if (!TryDecodeChecksum(value[^ChecksumLength..], out var checksum) || checksum != Crc32.Compute(body))
        {
            return false;
        }

        key = new ParsedApiKey(id.ToString(), test);
        return true;
    }

    private static bool IsBase62(ReadOnlySpan<char> value)
    {
        foreach (var c in value)
        {
            if (c is not ((>= '0' and <= '9') or (>= 'A' and <= 'Z') or (>= 'a' and <= 'z')))
            {
                return false;
            }
        }

        return true;
    }

    private static string EncodeChecksum(uint checksum)
    {
        Span<char> chars = stackalloc char[ChecksumLength];
        for (var i = ChecksumLength - 1; i >= 0; i--)
        {
            chars[i] = Alphabet[(int)(checksum % 62)];
            checksum /= 62;
        }

        return new string(chars);
    }

    private static bool TryDecodeChecksum(ReadOnlySpan<char> chars, out uint checksum)
    {
        ulong value = 0;
        foreach (var c in chars)
        {
            var digit = c switch
            {
                >= '0' and <= '9' => c - '0',
                >= 'A' and <= 'Z' => c - 'A' + 10,
                >= 'a' and <= 'z' => c - 'a' + 36,
                _ => -1,
            };
            if (digit < 0)
            {
                checksum = 0;
                return false;
            }

            value = (value * 62) + (ulong)digit;
        }

        checksum = (uint)value;
        return value <= uint.MaxValue;
    }
}

/// <summary>The public parts of a well-formed key.</summary>
internal readonly record struct ParsedApiKey(string KeyId, bool IsTest);
