using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.IdentityModel.Tokens;

namespace AuthPatterns.Jwt;

/// <summary>One public verification key of a JWKS, with the metadata that decides which tokens it may verify.</summary>
internal sealed record JwksKey(string KeyId, string KeyType, string? Algorithm, string? Curve, int KeySize, SecurityKey Key)
{
    /// <summary>RFC 7517 §4 and RFC 7518 §3: the key's type, declared algorithm, curve and size must fit the token's <c>alg</c>.</summary>
    public bool Fits(string algorithm, int minimumRsaKeySize)
    {
        if (Algorithm is not null && !string.Equals(Algorithm, algorithm, StringComparison.Ordinal))
        {
            return false;
        }

        if (JwtAlgorithms.IsRsa(algorithm))
        {
            return KeyType == "RSA" && KeySize >= minimumRsaKeySize;
        }

        var curve = JwtAlgorithms.CurveOf(algorithm);
        return curve is not null && KeyType == "EC" && string.Equals(Curve, curve, StringComparison.Ordinal);
    }
}

/// <summary>An immutable set of verification keys, looked up by exact <c>kid</c>.</summary>
internal sealed class JwksKeySet
{
    public static readonly JwksKeySet Empty = new([]);

    private readonly Dictionary<string, JwksKey[]> _byId;

    public JwksKeySet(IEnumerable<JwksKey> keys)
    {
        _byId = keys.GroupBy(k => k.KeyId, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToArray(), StringComparer.Ordinal);
    }

    public int Count => _byId.Count;

    public IEnumerable<string> KeyIds => _byId.Keys;

    public bool Contains(string keyId) => _byId.ContainsKey(keyId);

    public IReadOnlyList<SecurityKey> Resolve(string keyId, string algorithm, int minimumRsaKeySize)
    {
        if (!_byId.TryGetValue(keyId, out var keys))
        {
            return [];
        }

        List<SecurityKey>? fitting = null;
        foreach (var key in keys)
        {
            if (key.Fits(algorithm, minimumRsaKeySize))
            {
                (fitting ??= []).Add(key.Key);
            }
        }

        return fitting ?? (IReadOnlyList<SecurityKey>)[];
    }
}

/// <summary>
/// Reads a JWKS document (RFC 7517 §5). Keeps only public signature keys it can use: RSA of at least the minimum size and
/// EC on P-256/384/521, each with a <c>kid</c>; skips symmetric keys, keys carrying private parts, keys whose <c>use</c>
/// or <c>key_ops</c> exclude verification, and keys it cannot import. Never throws for bad input.
/// </summary>
internal static class JwksDocumentReader
{
    public static JwksKeySet Read(ReadOnlyMemory<byte> json, int minimumRsaKeySize, out int skipped)
    {
        skipped = 0;
        using var document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 16 });
        if (document.RootElement.ValueKind != JsonValueKind.Object
            || !document.RootElement.TryGetProperty("keys", out var keysElement)
            || keysElement.ValueKind != JsonValueKind.Array)
        {
            throw new JsonException("The document has no 'keys' array.");
        }

        var keys = new List<JwksKey>();
        foreach (var element in keysElement.EnumerateArray())
        {
            var key = element.ValueKind == JsonValueKind.Object ? TryRead(element, minimumRsaKeySize) : null;
            if (key is null)
            {
                skipped++;
            }
            else
            {
                keys.Add(key);
            }
        }

        return new JwksKeySet(keys);
    }

    private static JwksKey? TryRead(JsonElement element, int minimumRsaKeySize)
    {
        var kid = GetString(element, "kid");
        var kty = GetString(element, "kty");
        if (string.IsNullOrEmpty(kid) || kty is null)
        {
            return null;
        }

        // A JWKS publishes public keys only; one that carries private or symmetric material is a misconfiguration.
        if (element.TryGetProperty("d", out _) || element.TryGetProperty("k", out _) || element.TryGetProperty("p", out _))
        {
            return null;
        }

        var use = GetString(element, "use");
        if (use is not null && use != "sig")
        {
            return null;
        }

        if (element.TryGetProperty("key_ops", out var ops)
            && (ops.ValueKind != JsonValueKind.Array || !ops.EnumerateArray().Any(o => o.ValueKind == JsonValueKind.String && o.GetString() == "verify")))
        {
            return null;
        }

        var alg = GetString(element, "alg");
        if (alg is not null && !JwtAlgorithms.IsSupportedAsymmetric(alg))
        {
            return null;
        }

        try
        {
            switch (kty)
            {
                case "RSA":
                    var modulus = Decode(GetString(element, "n"));
                    var exponent = Decode(GetString(element, "e"));
                    if (modulus is null || exponent is null || (alg is not null && !JwtAlgorithms.IsRsa(alg)))
                    {
                        return null;
                    }

                    var trimmed = modulus.AsSpan().TrimStart((byte)0);
                    var bits = trimmed.Length == 0 ? 0 : ((trimmed.Length - 1) * 8) + (8 - byte.LeadingZeroCount(trimmed[0]));
                    if (bits < minimumRsaKeySize)
                    {
                        return null;
                    }

                    var rsa = RSA.Create();
                    rsa.ImportParameters(new RSAParameters { Modulus = trimmed.ToArray(), Exponent = exponent });
                    return new JwksKey(kid, kty, alg, null, bits, new RsaSecurityKey(rsa) { KeyId = kid });
                case "EC":
                    var crv = GetString(element, "crv");
                    var x = Decode(GetString(element, "x"));
                    var y = Decode(GetString(element, "y"));
                    var curve = crv switch
                    {
                        "P-256" => ECCurve.NamedCurves.nistP256,
                        "P-384" => ECCurve.NamedCurves.nistP384,
                        "P-521" => ECCurve.NamedCurves.nistP521,
                        _ => (ECCurve?)null,
                    };
                    if (curve is null || x is null || y is null || (alg is not null && JwtAlgorithms.CurveOf(alg) != crv))
                    {
                        return null;
                    }

                    // ImportParameters refuses points that are not on the curve.
                    var ecdsa = ECDsa.Create();
                    ecdsa.ImportParameters(new ECParameters { Curve = curve.Value, Q = new ECPoint { X = x, Y = y } });
                    return new JwksKey(kid, kty, alg, crv, ecdsa.KeySize, new ECDsaSecurityKey(ecdsa) { KeyId = kid });
                default:
                    return null;
            }
        }
        catch (CryptographicException)
        {
            return null;
        }
    }

    private static string? GetString(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static byte[]? Decode(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        try
        {
            return System.Buffers.Text.Base64Url.DecodeFromChars(value);
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
