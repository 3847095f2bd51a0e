using System.Security.Cryptography;
using AuthPatterns.Issuing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AuthPatterns.StackExchangeRedis;

/// <summary>
/// The signing-key rotation lock in Redis: <c>SET {prefix}:signing-key-rotation {token} NX PX 30000</c>, released only
/// by its holder (the token is compared before the delete), so two instances sharing a key ring never both create a
/// successor. A holder that dies frees the lock when it expires. While Redis is unreachable the ring rotates under its
/// lock file alone (logged once per outage, as event 5012). Each call to Redis waits at most
/// <see cref="LayeredAuthRedisOptions.OperationTimeout"/>: the ring creates keys under its own lock, on the request that
/// found the current key due, and a Redis that hangs with its connection up would otherwise hold it for
/// StackExchange.Redis's own timeout.
/// </summary>
internal sealed class RedisSigningKeyRotationLock : ISigningKeyRotationLock
{
    /// <summary>Longer than any key creation; a holder that died frees the lock after this.</summary>
    internal static readonly TimeSpan Expiry = TimeSpan.FromSeconds(30);

    private readonly IConnectionMultiplexer _redis;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly TimeSpan _timeout;
    private int _unreachable;

    public RedisSigningKeyRotationLock(IConnectionMultiplexer redis, IOptions<LayeredAuthRedisOptions> options, TimeProvider time, ILogger<RedisSigningKeyRotationLock> logger)
    {
        _redis = redis;
        _logger = logger;
        _time = time;
        _timeout = options.Value.OperationTimeout;
        Key = options.Value.KeyPrefix + ":signing-key-rotation";
    }

    public RedisKey Key { get; }

    public IDisposable? Acquire(TimeSpan wait)
    {
        var token = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        var attempts = Math.Max(1, (int)(wait.TotalMilliseconds / 20));
        for (var attempt = 0; attempt < attempts; attempt++)
        {
            if (!_redis.IsConnected)
            {
                return Unreachable(exception: null);
            }

            try
            {
                if (Take(token))
                {
                    Interlocked.Exchange(ref _unreachable, 0);
                    return new Held(this, token);
                }
            }
            catch (Exception exception) when (exception is RedisException or TimeoutException)
            {
                return Unreachable(exception);
            }

            // Not a clock reading: a pause before the next attempt, as for the lock file.
            Thread.Sleep(Random.Shared.Next(5, 35));
        }

        throw new TimeoutException(
            $"Another instance held the signing-key rotation lock in Redis ({Key}) for longer than {wait.TotalSeconds:0} s; no key was created. It expires by itself after {Expiry.TotalSeconds:0} s.");
    }

    // A take that answers after the timeout may still have set the lock: it is released as soon as it answers, so
    // the other instances do not wait for its expiry. The release is scheduled whenever the wait timed out, even if
    // the take answered in the meantime: a take that completed between the timeout and this catch set the lock too.
    private bool Take(string token)
    {
        var taking = _redis.GetDatabase().LockTakeAsync(Key, token, Expiry);
        try
        {
            return taking.WaitAsync(_timeout, _time).GetAwaiter().GetResult();
        }
        catch (TimeoutException)
        {
            _ = ReleaseLateAsync(taking, token);
            throw;
        }
    }

    private async Task ReleaseLateAsync(Task<bool> taking, string token)
    {
        try
        {
            if (await taking)
            {
                await _redis.GetDatabase().LockReleaseAsync(Key, token);
            }
        }
        catch (Exception exception) when (exception is RedisException or TimeoutException)
        {
            // The lock expires by itself.
        }
    }

    private IDisposable? Unreachable(Exception? exception)
    {
        if (Interlocked.Exchange(ref _unreachable, 1) == 0)
        {
            _logger.RotationLockUnreachable(exception);
        }

        return null;
    }

    private void Release(string token)
    {
        try
        {
            _redis.GetDatabase().LockReleaseAsync(Key, token).WaitAsync(_timeout, _time).GetAwaiter().GetResult();
        }
        catch (Exception exception) when (exception is RedisException or TimeoutException)
        {
            // The lock expires by itself.
            _logger.RotationLockUnreachable(exception);
        }
    }

    private sealed class Held(RedisSigningKeyRotationLock owner, string token) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                owner.Release(token);
            }
        }
    }
}
