using StackExchange.Redis;

namespace AuthPatterns.StackExchangeRedis;

/// <summary>How the instances reach the Redis they share (section <c>LayeredAuth:Redis</c>).</summary>
public sealed class LayeredAuthRedisOptions
{
    /// <summary>The configuration section under <c>LayeredAuth</c>: <c>Redis</c>.</summary>
    public const string ConfigurationSection = "Redis";

    /// <summary>
    /// A StackExchange.Redis configuration string, for example <c>redis.internal:6379,password=...</c>
    /// (<c>LayeredAuth:Redis:Configuration</c>). Required. <c>abortConnect</c> is always turned off: the application
    /// starts while Redis is down and connects when it is back.
    /// </summary>
    public string? Configuration { get; set; }

    /// <summary>
    /// The prefix of the channel and keys the library uses (<c>{prefix}:revocations</c>, <c>{prefix}:jwt-deny</c>,
    /// <c>{prefix}:forward-auth-secret</c>, <c>{prefix}:signing-key-rotation</c> and the budgets under
    /// <c>{prefix}:budget:</c>); applications sharing one Redis keep theirs apart with different prefixes. These keys
    /// must not be evicted: use a Redis whose <c>maxmemory-policy</c> is <c>noeviction</c> or a <c>volatile-*</c> one.
    /// Default <c>authpatterns</c>.
    /// </summary>
    public string KeyPrefix { get; set; } = "authpatterns";

    /// <summary>
    /// How long a request waits for Redis (a failed-attempt budget, a revocation or sign-out broadcast) before it goes on
    /// without it (<c>LayeredAuth:Redis:OperationTimeout</c>): a budget is then counted on this instance alone for a few
    /// seconds, a broadcast fails with a clear error. A Redis that hangs without dropping its connections would otherwise
    /// hold each such request for StackExchange.Redis's own timeout (5 s). Between 10 ms and 5 s; default 250 ms.
    /// </summary>
    public TimeSpan OperationTimeout { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// Checks the options, naming the option at fault; never repeats the configuration string (it may hold a password).
    /// </summary>
    /// <exception cref="InvalidOperationException">An option is missing or invalid.</exception>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Configuration))
        {
            throw new InvalidOperationException(
                "LayeredAuth:Redis:Configuration is required: a StackExchange.Redis configuration string such as 'redis.internal:6379'.");
        }

        try
        {
            _ = ConfigurationOptions.Parse(Configuration);
        }
        catch (ArgumentException)
        {
            throw new InvalidOperationException(
                "LayeredAuth:Redis:Configuration is not a valid StackExchange.Redis configuration string (the value is not shown: it may hold a password).");
        }

        if (string.IsNullOrWhiteSpace(KeyPrefix) || KeyPrefix.Any(char.IsWhiteSpace))
        {
            throw new InvalidOperationException("LayeredAuth:Redis:KeyPrefix must be a non-empty string without spaces.");
        }

        if (OperationTimeout < TimeSpan.FromMilliseconds(10) || OperationTimeout > TimeSpan.FromSeconds(5))
        {
            throw new InvalidOperationException(
                $"LayeredAuth:Redis:OperationTimeout must be between 10 ms and 5 s (it is {OperationTimeout}): requests wait this long for Redis before going on without it.");
        }
    }
}
