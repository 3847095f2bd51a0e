using System.Collections.Concurrent;

namespace AuthPatterns.Jwt;

/// <summary>The in-process deny list: entries are forgotten an hour after the token's expiry.</summary>
internal sealed class InMemoryJwtRevocationList : IJwtRevocationList
{
    private static readonly TimeSpan Margin = TimeSpan.FromHours(1);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _revoked = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;

    public InMemoryJwtRevocationList(TimeProvider time) => _time = time;

    public ValueTask<bool> IsRevokedAsync(string tokenId, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(!_revoked.IsEmpty && _revoked.ContainsKey(tokenId));

    public ValueTask RevokeAsync(string tokenId, DateTimeOffset expiresAt, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(tokenId);
        var now = _time.GetUtcNow();
        _revoked[tokenId] = expiresAt + Margin;
        foreach (var pair in _revoked)
        {
            if (pair.Value < now)
            {
                _revoked.TryRemove(pair);
            }
        }

        return ValueTask.CompletedTask;
    }
}
