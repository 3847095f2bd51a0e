using AuthPatterns.Jwt;
using Microsoft.IdentityModel.Tokens;

namespace AuthPatterns.Issuing;

/// <summary>Verification keys taken straight from this application's own <see cref="SigningKeyRing"/> (public halves only).</summary>
internal sealed class LocalSigningKeySource : IJwtKeySource
{
    private readonly SigningKeyRing _ring;

    public LocalSigningKeySource(SigningKeyRing ring) => _ring = ring;

    /// <summary>The ring the keys come from (for the health check).</summary>
    public SigningKeyRing Ring => _ring;

    public ValueTask<bool> EnsureKeyAsync(string keyId, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_ring.GetSnapshot().Find(keyId) is not null || _ring.Reload().Find(keyId) is not null);

    public IReadOnlyList<SecurityKey> Resolve(string keyId, string algorithm)
    {
        var key = _ring.GetSnapshot().Find(keyId);
        return key is not null && JwtAlgorithms.IsRsa(algorithm) && algorithm.StartsWith("RS", StringComparison.Ordinal)
            ? [key.PublicSecurityKey]
            : [];
    }

    public bool IsPublished(string keyId) => _ring.GetSnapshot().Find(keyId) is not null;
}
