namespace AuthPatterns.Jwt;

/// <summary>The asymmetric JWS algorithms the scheme can verify, and which keys fit each.</summary>
internal static class JwtAlgorithms
{
    public static bool IsSupportedAsymmetric(string? algorithm) => algorithm is
        "RS256" or "RS384" or "RS512" or "PS256" or "PS384" or "PS512" or "ES256" or "ES384" or "ES512";

    public static bool IsRsa(string algorithm) => algorithm.StartsWith("RS", StringComparison.Ordinal) || algorithm.StartsWith("PS", StringComparison.Ordinal);

    /// <summary>The curve an ECDSA algorithm requires (RFC 7518 §3.4), or null for other algorithms.</summary>
    public static string? CurveOf(string algorithm) => algorithm switch
    {
        "ES256" => "P-256",
        "ES384" => "P-384",
        "ES512" => "P-521",
        _ => null,
    };
}
