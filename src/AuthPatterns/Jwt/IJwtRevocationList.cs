namespace AuthPatterns.Jwt;

/// <summary>
/// A deny list of token ids (<c>jti</c>) for the rare emergency: a revoked token is refused even when it is otherwise
/// valid and already cached. The default keeps the list in memory on this instance; a distributed one can replace it.
/// </summary>
public interface IJwtRevocationList
{
    /// <summary>Tells whether the token id has been revoked.</summary>
    /// <param name="tokenId">The token's <c>jti</c>.</param>
    /// <param name="cancellationToken">Cancels the lookup.</param>
    /// <returns><see langword="true"/> when the token must be refused.</returns>
    ValueTask<bool> IsRevokedAsync(string tokenId, CancellationToken cancellationToken = default);

    /// <summary>Revokes a token id until the token would have expired anyway.</summary>
    /// <param name="tokenId">The token's <c>jti</c>.</param>
    /// <param name="expiresAt">The token's <c>exp</c>: the entry can be forgotten after it (plus clock skew).</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>A task that completes when the revocation is recorded.</returns>
    ValueTask RevokeAsync(string tokenId, DateTimeOffset expiresAt, CancellationToken cancellationToken = default);
}
