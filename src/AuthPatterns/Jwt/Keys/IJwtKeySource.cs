using Microsoft.IdentityModel.Tokens;

namespace AuthPatterns.Jwt;

/// <summary>Where the <see cref="LayeredAuthSchemes.Bearer"/> scheme's verification keys come from. Never from the token.</summary>
internal interface IJwtKeySource
{
    /// <summary>
    /// Makes sure the key set is loaded and, when <paramref name="keyId"/> is unknown, refreshes it once (subject to the
    /// cooldown) so a newly published key is found on its first use.
    /// </summary>
    ValueTask<bool> EnsureKeyAsync(string keyId, CancellationToken cancellationToken);

    /// <summary>The keys published under exactly this id that fit the algorithm (kty, alg, use, curve, size).</summary>
    IReadOnlyList<SecurityKey> Resolve(string keyId, string algorithm);

    /// <summary>Whether a key with this id is still published (cached tokens signed by a withdrawn key are dropped).</summary>
    bool IsPublished(string keyId);
}
