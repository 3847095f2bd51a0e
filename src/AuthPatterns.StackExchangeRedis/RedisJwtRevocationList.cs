using System.Collections.Concurrent;
using AuthPatterns.Jwt;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AuthPatterns.StackExchangeRedis;

/// <summary>
/// The deny list shared through Redis: a sorted set of token ids scored by when they may be forgotten (the token's
/// expiry plus an hour, as the in-memory list), and a local copy on each instance fed by the revocation channel. A
/// lookup reads only the local copy, so a cached token is validated without a Redis round trip; the token handler
/// consults the list on every cache hit, so a denied token is refused even when it is cached.
/// </summary>
internal sealed class RedisJwtRevocationList : IJwtRevocationList
{
    /// <summary>The most token ids the local copy holds.</summary>
    internal const int Capacity = 100_000;

    private static readonly TimeSpan Margin = TimeSpan.FromHours(1);
    private static readonly TimeSpan SweepInterval = TimeSpan.FromMinutes(1);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _revoked = new(StringComparer.Ordinal);
    private readonly IConnectionMultiplexer _redis;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly TimeSpan _timeout;
    private readonly RedisKey _key;
    private readonly RedisChannel _channel;
    private DateTimeOffset _nextSweep = DateTimeOffset.MinValue;

    public RedisJwtRevocationList(IConnectionMultiplexer redis, IOptions<LayeredAuthRedisOptions> options, TimeProvider time, ILogger<RedisJwtRevocationList> logger)
    {
        _redis = redis;
        _time = time;
        _logger = logger;
        _timeout = options.Value.OperationTimeout;
        _key = options.Value.KeyPrefix + ":jwt-deny";
        _channel = RedisChannel.Literal(options.Value.KeyPrefix + ":revocations");
    }

    public ValueTask<bool> IsRevokedAsync(string tokenId, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(!_revoked.IsEmpty && _revoked.TryGetValue(tokenId, out var until) && until > _time.GetUtcNow());

    public async ValueTask RevokeAsync(string tokenId, DateTimeOffset expiresAt, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(tokenId);
        var until = expiresAt + Margin;
        Remember(tokenId, until);
        if (!_redis.IsConnected)
        {
            _logger.TokenRevocationNotBroadcast(tokenId, exception: null);
            throw NotBroadcast(tokenId, inner: null);
        }

        var score = until.ToUnixTimeMilliseconds();
        try
        {
            var database = _redis.GetDatabase();
            await database.SortedSetAddAsync(_key, tokenId, score).WaitAsync(_timeout, _time, cancellationToken);
            await database.SortedSetRemoveRangeByScoreAsync(_key, double.NegativeInfinity, _time.GetUtcNow().ToUnixTimeMilliseconds()).WaitAsync(_timeout, _time, cancellationToken);
            await _redis.GetSubscriber().PublishAsync(_channel, $"j:{score}:{tokenId}").WaitAsync(_timeout, _time, cancellationToken);
        }
        catch (Exception exception) when (exception is RedisException or TimeoutException)
        {
            _logger.TokenRevocationNotBroadcast(tokenId, exception);
            throw NotBroadcast(tokenId, exception);
        }
    }

    /// <summary>
    /// Adds a token id to the local copy (from this instance or a message of another). Anyone who can publish on the
    /// channel writes here, so the copy holds at most <see cref="Capacity"/> ids: when it is full even after dropping
    /// the expired ones, a new id is not kept and the refusal is logged.
    /// </summary>
    public void Remember(string tokenId, DateTimeOffset until)
    {
        var now = _time.GetUtcNow();
        if (until <= now)
        {
            return;
        }

        if (now >= _nextSweep || (_revoked.Count >= Capacity && !_revoked.ContainsKey(tokenId)))
        {
            // Expired ids are dropped once a minute, or when the copy is full, not at every message.
            _nextSweep = now + SweepInterval;
            foreach (var pair in _revoked)
            {
                if (pair.Value <= now)
                {
                    _revoked.TryRemove(pair);
                }
            }

            if (_revoked.Count >= Capacity && !_revoked.ContainsKey(tokenId))
            {
                _logger.DenyListFull(Capacity);
                return;
            }
        }

        _revoked[tokenId] = until;
    }

    /// <summary>Copies the shared list into the local one (at startup and after Redis was unreachable).</summary>
    public async Task LoadAsync()
    {
        try
        {
            var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
            var entries = await _redis.GetDatabase().SortedSetRangeByScoreWithScoresAsync(_key, now, double.PositiveInfinity, Exclude.Start);
            foreach (var entry in entries)
            {
                Remember(entry.Element!, DateTimeOffset.FromUnixTimeMilliseconds((long)entry.Score));
            }
        }
        catch (Exception exception) when (exception is RedisException or TimeoutException)
        {
            _logger.DenyListLoadFailed(exception);
        }
    }

    private static InvalidOperationException NotBroadcast(string tokenId, Exception? inner) => new(
        $"The revocation of token id {tokenId} is stored on this instance but not broadcast: Redis is unreachable. Other instances accept the token until it expires; revoke it again when Redis is back.",
        inner);
}
