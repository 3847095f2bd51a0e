using System.Diagnostics.Metrics;
using System.Threading.RateLimiting;
using AuthPatterns.ApiKeys;
using AuthPatterns.Infrastructure;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RedisRateLimiting;
using StackExchange.Redis;

namespace AuthPatterns.StackExchangeRedis;

/// <summary>
/// The failed-attempt budgets shared by every instance: one token bucket in Redis per address, key id, or key id and
/// address (RedisRateLimiting's token bucket, one Lua script per look or take), so guesses spread over several instances
/// spend one budget. While Redis is unreachable each instance counts on its own budgets instead (the fallback is logged
/// once, counted on the meter, and the Redis health check reports Degraded): no request fails or waits because Redis is
/// down. The Argon2id concurrency limit is never shared; it protects this instance's processor.
/// </summary>
internal sealed class RedisApiKeyAttemptBudgets : IApiKeyAttemptBudgets, IDisposable
{
    /// <summary>How long budgets are counted per instance after Redis did not answer in time, before it is asked again.</summary>
    internal static readonly TimeSpan AskAgainAfterTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Decisions taken on this instance's own budgets because Redis was unreachable, tagged <c>budget</c>.</summary>
    private readonly Counter<long> _fallbacks;

    private readonly TimeSpan _timeout;
    private readonly TimeProvider _time;

    private readonly IConnectionMultiplexer _redis;
    private readonly LocalApiKeyAttemptBudgets _local;
    private readonly ILogger _logger;
    private readonly PartitionedRateLimiter<string> _perKey;
    private readonly PartitionedRateLimiter<string> _perAddress;
    private readonly PartitionedRateLimiter<string> _reserved;
    private int _perInstance;
    private long _askAgainTicks;

    public RedisApiKeyAttemptBudgets(
        IConnectionMultiplexer redis,
        IOptionsMonitor<ApiKeyAuthenticationOptions> options,
        IOptions<LayeredAuthRedisOptions> redisOptions,
        ILogger<RedisApiKeyAttemptBudgets> logger,
        IMeterFactory meterFactory,
        TimeProvider time)
    {
        _timeout = redisOptions.Value.OperationTimeout;
        _time = time;
        _fallbacks = LayeredAuthMetrics.CreateMeter(meterFactory).CreateCounter<long>(
            "authpatterns.redis.budget_fallbacks", unit: "{decision}", description: "Failed-attempt budget decisions taken per instance because Redis was unreachable.");
        _redis = redis;
        _logger = logger;
        var keys = options.Get(ApiKeyAuthenticationDefaults.AuthenticationScheme);
        _local = new LocalApiKeyAttemptBudgets(keys);
        var prefix = redisOptions.Value.KeyPrefix + ":budget:";
        _perKey = Budget(prefix + "key:", keys.MaxVerificationsPerKey, keys.FailedAttemptWindow);
        _perAddress = Budget(prefix + "address:", keys.MaxVerificationsPerAddress, keys.FailedAttemptWindow);
        _reserved = Budget(prefix + "reserved:", 1, keys.FailedAttemptWindow);
    }

    /// <summary>Whether the last decision was taken on this instance's own budgets.</summary>
    public bool IsPerInstance => Volatile.Read(ref _perInstance) == 1;

    public ValueTask<bool> HasPermitAsync(ApiKeyBudget budget, string partition) => DecideAsync(budget, partition, permits: 0);

    public ValueTask<bool> TryTakeAsync(ApiKeyBudget budget, string partition) => DecideAsync(budget, partition, permits: 1);

    public void Dispose()
    {
        _local.Dispose();
        _perKey.Dispose();
        _perAddress.Dispose();
        _reserved.Dispose();
    }

    private void PerInstance(ApiKeyBudget budget, Exception? exception)
    {
        _fallbacks.Add(1, new KeyValuePair<string, object?>("budget", budget switch
        {
            ApiKeyBudget.Address => "address",
            ApiKeyBudget.Key => "key",
            _ => "reserved",
        }));
        if (Interlocked.Exchange(ref _perInstance, 1) == 0)
        {
            _logger.BudgetsPerInstance(exception);
        }
    }

    private void Shared()
    {
        if (Volatile.Read(ref _perInstance) == 1 && Interlocked.Exchange(ref _perInstance, 0) == 1)
        {
            _logger.BudgetsSharedAgain();
        }
    }

    // Asking for no permit spends nothing and answers what is left; asking for one takes it. A Redis that does not answer
    // within OperationTimeout (hung, paused, overloaded: its connection still looks up) is not asked again for a few
    // seconds, so a stuck Redis costs one request the timeout, not every request.
    private async ValueTask<bool> DecideAsync(ApiKeyBudget budget, string partition, int permits)
    {
        if (_redis.IsConnected && _time.GetUtcNow().UtcTicks >= Volatile.Read(ref _askAgainTicks))
        {
            var acquiring = LimiterOf(budget).AcquireAsync(partition, permits).AsTask();
            try
            {
                using var lease = await acquiring.WaitAsync(_timeout, _time);
                Shared();
                return permits == 0
                    ? !lease.TryGetMetadata(RateLimitMetadataName.Remaining, out var remaining) || remaining > 0
                    : lease.IsAcquired;
            }
            catch (TimeoutException) when (!acquiring.IsCompleted)
            {
                Volatile.Write(ref _askAgainTicks, (_time.GetUtcNow() + AskAgainAfterTimeout).UtcTicks);
                _ = acquiring.ContinueWith(ReleaseLate, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
                PerInstance(budget, new TimeoutException(
                    $"Redis did not answer a failed-attempt budget within {_timeout.TotalMilliseconds:0} ms (LayeredAuth:Redis:OperationTimeout); it is asked again in {AskAgainAfterTimeout.TotalSeconds:0} s."));
            }
            catch (Exception exception) when (exception is RedisException or TimeoutException)
            {
                PerInstance(budget, exception);
            }
        }
        else
        {
            PerInstance(budget, exception: null);
        }

        return permits == 0 ? _local.HasPermit(budget, partition) : _local.TryTake(budget, partition);
    }

    // The answer that came after the request went on: its lease is released, its failure observed.
    private static void ReleaseLate(Task<RateLimitLease> late)
    {
        if (late.IsCompletedSuccessfully)
        {
            late.Result.Dispose();
        }
        else
        {
            _ = late.Exception;
        }
    }

    private PartitionedRateLimiter<string> LimiterOf(ApiKeyBudget budget) => budget switch
    {
        ApiKeyBudget.Address => _perAddress,
        ApiKeyBudget.Key => _perKey,
        _ => _reserved,
    };

    // The Redis key of a bucket is rl:tb:{prefix:budget:kind:partition}; a key id and an address are joined by a slash.
    private PartitionedRateLimiter<string> Budget(string prefix, int permits, TimeSpan window) =>
        PartitionedRateLimiter.Create<string, string>(partition => RedisRateLimitPartition.GetTokenBucketRateLimiter(
            prefix + partition.Replace('\n', '/'),
            _ => new RedisTokenBucketRateLimiterOptions
            {
                ConnectionMultiplexerFactory = () => _redis,
                TokenLimit = permits,
                TokensPerPeriod = permits,
                ReplenishmentPeriod = window,
            }));
}
