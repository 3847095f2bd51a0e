using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;

namespace AuthPatterns.Jwt;

/// <summary>A token that passed every check: the claims to copy into each request's principal, and when it stops being valid.</summary>
internal sealed record ValidatedToken(JsonWebToken Token, IReadOnlyList<Claim> Claims, string KeyId, string? TokenId, DateTimeOffset ExpiresAt);

/// <summary>The SHA-256 of a token: the cache never holds the token itself.</summary>
[StructLayout(LayoutKind.Sequential)]
internal readonly record struct TokenHash(ulong A, ulong B, ulong C, ulong D)
{
    public static TokenHash Of(string token)
    {
        Span<byte> hash = stackalloc byte[32];
        var maxBytes = Encoding.UTF8.GetMaxByteCount(token.Length);
        if (maxBytes <= 4096)
        {
            Span<byte> utf8 = stackalloc byte[maxBytes];
            var length = Encoding.UTF8.GetBytes(token, utf8);
            SHA256.HashData(utf8[..length], hash);
        }
        else
        {
            SHA256.HashData(Encoding.UTF8.GetBytes(token), hash);
        }

        var words = MemoryMarshal.Cast<byte, ulong>(hash);
        return new TokenHash(words[0], words[1], words[2], words[3]);
    }
}

/// <summary>
/// Validated tokens keyed by their SHA-256, bounded in size. An entry is never returned at or after the token's
/// <c>exp</c>; failures are never stored; callers copy the claims into a new principal per request.
/// </summary>
internal sealed class JwtValidatedTokenCache
{
    private readonly ConcurrentDictionary<TokenHash, ValidatedToken> _entries = new();
    private readonly int _capacity;
    private readonly TimeProvider _time;
    private int _evicting;

    public JwtValidatedTokenCache(int capacity, TimeProvider time)
    {
        _capacity = capacity;
        _time = time;
    }

    public int Count => _entries.Count;

    public bool TryGet(TokenHash key, out ValidatedToken? entry)
    {
        if (_entries.TryGetValue(key, out entry))
        {
            if (_time.GetUtcNow() < entry.ExpiresAt)
            {
                return true;
            }

            _entries.TryRemove(key, out _);
        }

        entry = null;
        return false;
    }

    public void Add(TokenHash key, ValidatedToken entry)
    {
        if (_time.GetUtcNow() >= entry.ExpiresAt)
        {
            return;
        }

        if (_entries.Count >= _capacity)
        {
            Evict();
            if (_entries.Count >= _capacity)
            {
                return;
            }
        }

        _entries[key] = entry;
    }

    public void Remove(TokenHash key) => _entries.TryRemove(key, out _);

    /// <summary>Drops every entry (after deny-list changes may have been missed).</summary>
    public void Clear() => _entries.Clear();

    // Drops expired entries; when that is not enough, drops about a quarter of the rest. One evictor at a time.
    private void Evict()
    {
        if (Interlocked.Exchange(ref _evicting, 1) == 1)
        {
            return;
        }

        try
        {
            var now = _time.GetUtcNow();
            foreach (var pair in _entries)
            {
                if (now >= pair.Value.ExpiresAt)
                {
                    _entries.TryRemove(pair.Key, out _);
                }
            }

            if (_entries.Count >= _capacity)
            {
                var toDrop = Math.Max(1, _capacity / 4);
                foreach (var pair in _entries)
                {
                    if (toDrop-- <= 0)
                    {
                        break;
                    }

                    _entries.TryRemove(pair.Key, out _);
                }
            }
        }
        finally
        {
            Volatile.Write(ref _evicting, 0);
        }
    }
}
