using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace AuthPatterns.ApiKeys;

/// <summary>The three failed-attempt budgets of <see cref="ApiKeyVerifier"/>.</summary>
internal enum ApiKeyBudget
{
    /// <summary><c>MaxVerificationsPerAddress</c> hashes per window for one client address.</summary>
    Address,

    /// <summary><c>MaxVerificationsPerKey</c> hashes per window for one key id, from all addresses together.</summary>
    Key,

    /// <summary>One verification per window for a key id and an address, once the key's budget is spent.</summary>
    Reserved,
}

/// <summary>
/// Where the failed-attempt budgets are counted: on this instance by default, or shared by every instance (the Redis
/// package). A look never spends; a take spends one permit and says whether there was one.
/// </summary>
internal interface IApiKeyAttemptBudgets
{
    /// <summary>Whether the budget has a permit left, without spending it.</summary>
    ValueTask<bool> HasPermitAsync(ApiKeyBudget budget, string partition);

    /// <summary>Spends one permit of the budget; false when none was left.</summary>
    ValueTask<bool> TryTakeAsync(ApiKeyBudget budget, string partition);
}

/// <summary>
/// The budgets of this instance alone: one token bucket per address, key id or key id and address, created on first
/// look. The partitioned limiter drops a bucket once it has been full (unspent) for 10 seconds, so the buckets held are
/// those spent within the last window (at most one per hash run, and hashes are bounded by the budgets and the Argon2id
/// slots) plus those only looked at in the last 10 seconds: bounded by the request rate, never by how many distinct
/// addresses or ids were ever seen. The partitioned limiter's own 100 ms heartbeat refills them (no
/// auto-replenishment), so a bucket costs no timer of its own.
/// </summary>
internal sealed class LocalApiKeyAttemptBudgets : IApiKeyAttemptBudgets, IDisposable
{
    private readonly PartitionedRateLimiter<string> _perKey;
    private readonly PartitionedRateLimiter<string> _perAddress;
    private readonly PartitionedRateLimiter<string> _reserved;

    public LocalApiKeyAttemptBudgets(IOptionsMonitor<ApiKeyAuthenticationOptions> options)
        : this(options.Get(ApiKeyAuthenticationDefaults.AuthenticationScheme))
    {
    }

    public LocalApiKeyAttemptBudgets(ApiKeyAuthenticationOptions options)
    {
        _perKey = Budget(options.MaxVerificationsPerKey, options.FailedAttemptWindow);
        _perAddress = Budget(options.MaxVerificationsPerAddress, options.FailedAttemptWindow);
        _reserved = Budget(1, options.FailedAttemptWindow);
    }

    public ValueTask<bool> HasPermitAsync(ApiKeyBudget budget, string partition) =>
        ValueTask.FromResult(HasPermit(budget, partition));

    public ValueTask<bool> TryTakeAsync(ApiKeyBudget budget, string partition) =>
        ValueTask.FromResult(TryTake(budget, partition));

    public bool HasPermit(ApiKeyBudget budget, string partition) =>
        LimiterOf(budget).GetStatistics(partition) is not { CurrentAvailablePermits: <= 0 };

    public bool TryTake(ApiKeyBudget budget, string partition)
    {
        // A token bucket's lease gives nothing back when disposed: the permit stays spent for the window.
        using var lease = LimiterOf(budget).AttemptAcquire(partition);
        return lease.IsAcquired;
    }

    public void Dispose()
    {
        _perKey.Dispose();
        _perAddress.Dispose();
        _reserved.Dispose();
    }

    private PartitionedRateLimiter<string> LimiterOf(ApiKeyBudget budget) => budget switch
    {
        ApiKeyBudget.Address => _perAddress,
        ApiKeyBudget.Key => _perKey,
        _ => _reserved,
    };

    private static PartitionedRateLimiter<string> Budget(int permits, TimeSpan window) =>
        PartitionedRateLimiter.Create<string, string>(partition => RateLimitPartition.GetTokenBucketLimiter(
            partition,
            _ => new TokenBucketRateLimiterOptions
            {
                TokenLimit = permits,
                TokensPerPeriod = permits,
                ReplenishmentPeriod = window,
                QueueLimit = 0,
                AutoReplenishment = false,
            }));
}
