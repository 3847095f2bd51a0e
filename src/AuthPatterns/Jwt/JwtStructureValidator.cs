using System.Buffers;
using System.Buffers.Text;
using System.Text.Json;

namespace AuthPatterns.Jwt;

/// <summary>Why a token was refused before its signature was looked at. Logged and counted, never sent to the client.</summary>
internal enum JwtRefusal
{
    None = 0,
    TooLarge,
    NotCompactJws,
    BadEncoding,
    BadJson,
    DuplicateMember,
    AlgorithmNotAllowed,
    CriticalHeader,
    CompressedPayload,
    TokenTypeMismatch,
    MissingKeyId,
    BadClaimType,
    MissingExpiration,
    UnknownKey,
    InvalidToken,
    Revoked,
}

/// <summary>The header members the pre-validation reads, once it has accepted the token's shape.</summary>
internal readonly record struct JwtHeaderInfo(string Algorithm, string KeyId);

/// <summary>
/// Checks what the stock handler does not, before any key lookup or signature work: compact three-segment JWS only,
/// a size cap, unpadded base64url, UTF-8 JSON objects with no duplicate members and bounded depth, an allowed
/// <c>alg</c>, no <c>crit</c> or <c>zip</c>, a <c>kid</c>, the configured <c>typ</c>, and claims of the right JSON
/// types (<c>exp</c> a number, <c>iss</c> a string). Each check is cheap and fails closed.
/// </summary>
internal sealed class JwtStructureValidator
{
    // NumericDate upper bound: 9999-12-31T23:59:59Z. Anything larger (1e300) is an overflow attempt.
    private const double MaxNumericDate = 253402300799;

    private readonly int _maxTokenSize;
    private readonly int _maxDepth;
    private readonly HashSet<string> _algorithms;
    private readonly string? _requiredType;
    private readonly string? _requiredMediaType;

    public JwtStructureValidator(JwtAuthenticationOptions options)
    {
        _maxTokenSize = options.MaxTokenSize;
        _maxDepth = options.MaxJsonDepth;
        _algorithms = new HashSet<string>(options.EffectiveAlgorithms.Where(JwtAlgorithms.IsSupportedAsymmetric), StringComparer.Ordinal);
        _requiredType = options.RequiredTokenType;
        _requiredMediaType = options.RequiredTokenType is null ? null : "application/" + options.RequiredTokenType;
    }

    public int MaxTokenSize => _maxTokenSize;

    public JwtRefusal Validate(string token, out JwtHeaderInfo header)
    {
        header = default;
        if (token.Length > _maxTokenSize)
        {
            return JwtRefusal.TooLarge;
        }

        var span = token.AsSpan();
        var firstDot = span.IndexOf('.');
        if (firstDot <= 0)
        {
            return JwtRefusal.NotCompactJws;
        }

        var rest = span[(firstDot + 1)..];
        var secondDot = rest.IndexOf('.');
        if (secondDot <= 0)
        {
            return JwtRefusal.NotCompactJws;
        }

        var headerPart = span[..firstDot];
        var payloadPart = rest[..secondDot];
        var signaturePart = rest[(secondDot + 1)..];
        if (signaturePart.Length == 0 || signaturePart.Contains('.'))
        {
            // An empty signature (alg none, stripped signature) or a fourth/fifth segment (JWE, JSON-ish forms).
            return JwtRefusal.NotCompactJws;
        }

        if (!IsBase64Url(headerPart) || !IsBase64Url(payloadPart) || !IsBase64Url(signaturePart))
        {
            return JwtRefusal.BadEncoding;
        }

        var refusal = ReadHeader(headerPart, out header);
        if (refusal != JwtRefusal.None)
        {
            return refusal;
        }

        return ReadPayload(payloadPart);
    }

    private JwtRefusal ReadHeader(ReadOnlySpan<char> encoded, out JwtHeaderInfo header)
    {
        header = default;
        string? alg = null, typ = null, kid = null;
        var sawCrit = false;
        var sawZip = false;
        var refusal = ParseObject(encoded, (ref Utf8JsonReader reader, string name) =>
        {
            switch (name)
            {
                case "alg":
                    if (reader.TokenType != JsonTokenType.String)
                    {
                        return JwtRefusal.AlgorithmNotAllowed;
                    }

                    alg = reader.GetString();
                    break;
                case "typ":
                    if (reader.TokenType != JsonTokenType.String)
                    {
                        return JwtRefusal.TokenTypeMismatch;
                    }

                    typ = reader.GetString();
                    break;
                case "kid":
                    if (reader.TokenType != JsonTokenType.String)
                    {
                        return JwtRefusal.MissingKeyId;
                    }

                    kid = reader.GetString();
                    break;
                case "crit":
                    // No JWS extension is understood here, so any crit list (even an empty one, which RFC 7515 forbids) is refused.
                    sawCrit = true;
                    break;
                case "zip":
                    sawZip = true;
                    break;
                default:
                    // jwk, jku, x5u, x5c and anything else: ignored; keys come only from the configured source.
                    break;
            }

            return JwtRefusal.None;
        });

        if (refusal != JwtRefusal.None)
        {
            return refusal;
        }

        if (alg is null || !_algorithms.Contains(alg))
        {
            return JwtRefusal.AlgorithmNotAllowed;
        }

        if (sawCrit)
        {
            return JwtRefusal.CriticalHeader;
        }

        if (sawZip)
        {
            return JwtRefusal.CompressedPayload;
        }

        if (_requiredType is not null
            && !string.Equals(typ, _requiredType, StringComparison.OrdinalIgnoreCase)
            && !string.Equals(typ, _requiredMediaType, StringComparison.OrdinalIgnoreCase))
        {
            return JwtRefusal.TokenTypeMismatch;
        }

        if (string.IsNullOrEmpty(kid) || kid.Length > 256)
        {
            return JwtRefusal.MissingKeyId;
        }

        header = new JwtHeaderInfo(alg, kid);
        return JwtRefusal.None;
    }

    private JwtRefusal ReadPayload(ReadOnlySpan<char> encoded)
    {
        var sawExp = false;
        var refusal = ParseObject(encoded, (ref Utf8JsonReader reader, string name) =>
        {
            switch (name)
            {
                case "exp":
                    sawExp = true;
                    return IsNumericDate(ref reader) ? JwtRefusal.None : JwtRefusal.BadClaimType;
                case "nbf" or "iat":
                    return IsNumericDate(ref reader) ? JwtRefusal.None : JwtRefusal.BadClaimType;
                case "iss" or "sub" or "jti" or "client_id" or "scope":
                    return reader.TokenType == JsonTokenType.String ? JwtRefusal.None : JwtRefusal.BadClaimType;
                case "aud" or "scp":
                    return IsStringOrStringArray(ref reader) ? JwtRefusal.None : JwtRefusal.BadClaimType;
                default:
                    return JwtRefusal.None;
            }
        });

        if (refusal != JwtRefusal.None)
        {
            return refusal;
        }

        return sawExp ? JwtRefusal.None : JwtRefusal.MissingExpiration;
    }

    private delegate JwtRefusal MemberVisitor(ref Utf8JsonReader reader, string name);

    // Decodes one segment, then walks its JSON once: a top-level object, no duplicate names at any level, bounded depth.
    // The visitor sees each top-level member positioned on its value's first token.
    private JwtRefusal ParseObject(ReadOnlySpan<char> encoded, MemberVisitor visitor)
    {
        var maxLength = Base64Url.GetMaxDecodedLength(encoded.Length);
        var rented = ArrayPool<byte>.Shared.Rent(maxLength);
        try
        {
            if (Base64Url.DecodeFromChars(encoded, rented, out var consumed, out var written) != OperationStatus.Done
                || consumed != encoded.Length)
            {
                return JwtRefusal.BadEncoding;
            }

            var reader = new Utf8JsonReader(rented.AsSpan(0, written), new JsonReaderOptions
            {
                MaxDepth = _maxDepth,
                CommentHandling = JsonCommentHandling.Disallow,
                AllowTrailingCommas = false,
            });

            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return JwtRefusal.BadJson;
            }

            var names = new Stack<HashSet<string>>();
            names.Push(new HashSet<string>(StringComparer.Ordinal));
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.PropertyName:
                        var name = reader.GetString()!;
                        if (!names.Peek().Add(name))
                        {
                            return JwtRefusal.DuplicateMember;
                        }

                        if (reader.CurrentDepth == 1)
                        {
                            if (!reader.Read())
                            {
                                return JwtRefusal.BadJson;
                            }

                            var refusal = visitor(ref reader, name);
                            if (refusal != JwtRefusal.None)
                            {
                                return refusal;
                            }

                            if (reader.TokenType == JsonTokenType.StartObject)
                            {
                                names.Push(new HashSet<string>(StringComparer.Ordinal));
                            }
                        }

                        break;
                    case JsonTokenType.StartObject:
                        names.Push(new HashSet<string>(StringComparer.Ordinal));
                        break;
                    case JsonTokenType.EndObject:
                        names.Pop();
                        break;
                    default:
                        break;
                }
            }

            // A complete object, and nothing after it.
            return names.Count == 0 && reader.BytesConsumed == written ? JwtRefusal.None : JwtRefusal.BadJson;
        }
        catch (JsonException)
        {
            return JwtRefusal.BadJson;
        }
        catch (InvalidOperationException)
        {
            return JwtRefusal.BadJson;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static bool IsNumericDate(ref Utf8JsonReader reader) =>
        reader.TokenType == JsonTokenType.Number
        && reader.TryGetDouble(out var value)
        && double.IsFinite(value)
        && value is >= 0 and <= MaxNumericDate;

    private static bool IsStringOrStringArray(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            return true;
        }

        if (reader.TokenType != JsonTokenType.StartArray)
        {
            return false;
        }

        // Peek through a copy so the outer walk still sees the array.
        var copy = reader;
        while (copy.Read())
        {
            if (copy.TokenType == JsonTokenType.EndArray)
            {
                return true;
            }

            if (copy.TokenType != JsonTokenType.String)
            {
                return false;
            }
        }

        return false;
    }

    private static bool IsBase64Url(ReadOnlySpan<char> segment)
    {
        foreach (var c in segment)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c != '-' && c != '_')
            {
                return false;
            }
        }

        return segment.Length % 4 != 1;
    }
}
