using System.Buffers;
using System.Buffers.Text;
using System.Text.Json;
using System.Text.Unicode;

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
    private readonly string[] _algorithms;
    private readonly string? _requiredType;
    private readonly string? _requiredMediaType;
    private readonly JsonDocumentOptions _strict;
    private readonly JsonDocumentOptions _lenient;

    public JwtStructureValidator(JwtAuthenticationOptions options)
    {
        _maxTokenSize = options.MaxTokenSize;
        _algorithms = options.EffectiveAlgorithms.Where(JwtAlgorithms.IsSupportedAsymmetric).Distinct(StringComparer.Ordinal).ToArray();
        _requiredType = options.RequiredTokenType;
        _requiredMediaType = options.RequiredTokenType is null ? null : "application/" + options.RequiredTokenType;
        _strict = new JsonDocumentOptions { MaxDepth = options.MaxJsonDepth, AllowDuplicateProperties = false };
        _lenient = _strict with { AllowDuplicateProperties = true };
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
        var members = new HeaderMembers(_algorithms, _requiredType is not null);
        var refusal = ReadObject(encoded, ref members);
        if (refusal != JwtRefusal.None)
        {
            return refusal;
        }

        if (members.Algorithm is null)
        {
            return JwtRefusal.AlgorithmNotAllowed;
        }

        if (members.Critical)
        {
            return JwtRefusal.CriticalHeader;
        }

        if (members.Compressed)
        {
            return JwtRefusal.CompressedPayload;
        }

        if (_requiredType is not null
            && !string.Equals(members.Type, _requiredType, StringComparison.OrdinalIgnoreCase)
            && !string.Equals(members.Type, _requiredMediaType, StringComparison.OrdinalIgnoreCase))
        {
            return JwtRefusal.TokenTypeMismatch;
        }

        if (string.IsNullOrEmpty(members.KeyId) || members.KeyId.Length > 256)
        {
            return JwtRefusal.MissingKeyId;
        }

        header = new JwtHeaderInfo(members.Algorithm, members.KeyId);
        return JwtRefusal.None;
    }

    private JwtRefusal ReadPayload(ReadOnlySpan<char> encoded)
    {
        var members = new PayloadMembers();
        var refusal = ReadObject(encoded, ref members);
        if (refusal != JwtRefusal.None)
        {
            return refusal;
        }

        return members.Expiration ? JwtRefusal.None : JwtRefusal.MissingExpiration;
    }

    /// <summary>What a segment's reader does with each of its top-level members; the first refusal stops the walk.</summary>
    private interface IMemberReader
    {
        JwtRefusal Read(JsonProperty member);
    }

    // Decodes one segment and parses it as UTF-8 JSON with no duplicate member names at any level (escaped names
    // compared unescaped), bounded depth, no comments and nothing after the value; the value must be an object, and the
    // reader sees each of its members. The parsed form lives in pooled memory and is given back before returning.
    private JwtRefusal ReadObject<TReader>(ReadOnlySpan<char> encoded, ref TReader reader)
        where TReader : struct, IMemberReader
    {
        var rented = ArrayPool<byte>.Shared.Rent(Base64Url.GetMaxDecodedLength(encoded.Length));
        try
        {
            if (Base64Url.DecodeFromChars(encoded, rented, out var consumed, out var written) != OperationStatus.Done
                || consumed != encoded.Length)
            {
                return JwtRefusal.BadEncoding;
            }

            var json = rented.AsMemory(0, written);
            if (!Utf8.IsValid(json.Span))
            {
                return JwtRefusal.BadJson;
            }

            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(json, _strict);
            }
            catch (JsonException)
            {
                return IsJson(json) ? JwtRefusal.DuplicateMember : JwtRefusal.BadJson;
            }

            using (document)
            {
                if (document.RootElement.ValueKind != JsonValueKind.Object)
                {
                    return JwtRefusal.BadJson;
                }

                foreach (var member in document.RootElement.EnumerateObject())
                {
                    var refusal = reader.Read(member);
                    if (refusal != JwtRefusal.None)
                    {
                        return refusal;
                    }
                }
            }

            return JwtRefusal.None;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    // Whether JSON the strict parse refused parses once duplicate names are allowed: then a duplicate was the reason.
    private bool IsJson(ReadOnlyMemory<byte> json)
    {
        try
        {
            using var _ = JsonDocument.Parse(json, _lenient);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private struct HeaderMembers(string[] algorithms, bool readType) : IMemberReader
    {
        public string? Algorithm { get; private set; }

        public string? Type { get; private set; }

        public string? KeyId { get; private set; }

        public bool Critical { get; private set; }

        public bool Compressed { get; private set; }

        public JwtRefusal Read(JsonProperty member)
        {
            var value = member.Value;
            if (member.NameEquals("alg"u8))
            {
                if (value.ValueKind != JsonValueKind.String)
                {
                    return JwtRefusal.AlgorithmNotAllowed;
                }

                // Matched against the allowed names, so the header keeps the configured string and reads none.
                foreach (var algorithm in algorithms)
                {
                    if (value.ValueEquals(algorithm))
                    {
                        Algorithm = algorithm;
                        return JwtRefusal.None;
                    }
                }

                return JwtRefusal.AlgorithmNotAllowed;
            }

            if (member.NameEquals("typ"u8))
            {
                if (value.ValueKind != JsonValueKind.String)
                {
                    return JwtRefusal.TokenTypeMismatch;
                }

                Type = readType ? value.GetString() : null;
            }
            else if (member.NameEquals("kid"u8))
            {
                if (value.ValueKind != JsonValueKind.String)
                {
                    return JwtRefusal.MissingKeyId;
                }

                KeyId = value.GetString();
            }
            else if (member.NameEquals("crit"u8))
            {
                // No JWS extension is understood here, so any crit list (even an empty one, which RFC 7515 forbids) is refused.
                Critical = true;
            }
            else if (member.NameEquals("zip"u8))
            {
                Compressed = true;
            }

            // jwk, jku, x5u, x5c and anything else: ignored; keys come only from the configured source.
            return JwtRefusal.None;
        }
    }

    private struct PayloadMembers : IMemberReader
    {
        public bool Expiration { get; private set; }

        public JwtRefusal Read(JsonProperty member)
        {
            var value = member.Value;
            if (member.NameEquals("exp"u8))
            {
                Expiration = true;
                return IsNumericDate(value) ? JwtRefusal.None : JwtRefusal.BadClaimType;
            }

            if (member.NameEquals("nbf"u8) || member.NameEquals("iat"u8))
            {
                return IsNumericDate(value) ? JwtRefusal.None : JwtRefusal.BadClaimType;
            }

            if (member.NameEquals("iss"u8) || member.NameEquals("sub"u8) || member.NameEquals("jti"u8)
                || member.NameEquals("client_id"u8) || member.NameEquals("scope"u8))
            {
                return value.ValueKind == JsonValueKind.String ? JwtRefusal.None : JwtRefusal.BadClaimType;
            }

            if (member.NameEquals("aud"u8) || member.NameEquals("scp"u8))
            {
                return IsStringOrStringArray(value) ? JwtRefusal.None : JwtRefusal.BadClaimType;
            }

            return JwtRefusal.None;
        }
    }

    private static bool IsNumericDate(JsonElement value) =>
        value.ValueKind == JsonValueKind.Number
        && value.TryGetDouble(out var number)
        && double.IsFinite(number)
        && number is >= 0 and <= MaxNumericDate;

    private static bool IsStringOrStringArray(JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.String)
        {
            return true;
        }

        if (value.ValueKind != JsonValueKind.Array)
        {
            return false;
        }

        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String)
            {
                return false;
            }
        }

        return true;
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
