using AuthPatterns.Infrastructure;

namespace AuthPatterns.Jwt;

/// <summary>
/// A token that passed every check, reduced to what a warm request reads: the claims each request's principal reads
/// (shared, never copied), the key that signed it, its <c>jti</c>, its validity and header type. The token itself and its parsed
/// form are not kept.
/// </summary>
internal sealed record ValidatedToken(
    SharedClaims Claims,
    string KeyId,
    string? TokenId,
    string? Issuer,
    string? TokenType,
    DateTime NotBefore,
    DateTimeOffset ExpiresAt)
{
    // What one entry costs besides its strings: this record, the shared claims, their list and the identity they
    // belong to, the cache's entry and dictionary node. No entry is charged less, so the byte budget bounds the count.
    internal const int EntryOverhead = 384;

    // What one claim costs besides its type and value: the Claim object and the headers of its two strings.
    private const int ClaimOverhead = 96;


    /// <summary>An estimate of the bytes this entry holds: its strings (two bytes a character) and its objects.</summary>
    public long EstimateSize()
    {
        long size = EntryOverhead + ((KeyId.Length + (TokenId?.Length ?? 0) + (Issuer?.Length ?? 0)) * 2L);
        foreach (var claim in Claims.Claims)
        {
            size += ClaimOverhead + ((claim.Type.Length + claim.Value.Length) * 2L);
        }

        return size;
    }
}
