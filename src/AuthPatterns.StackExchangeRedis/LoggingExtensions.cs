using Microsoft.Extensions.Logging;

namespace AuthPatterns.StackExchangeRedis;

internal static partial class RedisLoggingExtensions
{
    [LoggerMessage(5000, LogLevel.Warning, "Redis is unreachable ({FailureType}); revocations reach the other instances only when their caches expire, and this instance drops its cached verifications when Redis is back.", EventName = "RedisConnectionLost")]
    public static partial void ConnectionLost(this ILogger logger, string failureType, Exception? exception);

    [LoggerMessage(5001, LogLevel.Information, "Redis is reachable again after {Seconds:0} s; this instance dropped its cached verifications and reloaded the token deny list, since it cannot know which revocations it missed.", EventName = "RedisConnectionRestored")]
    public static partial void ConnectionRestored(this ILogger logger, double seconds);

    [LoggerMessage(5002, LogLevel.Warning, "Could not subscribe to the revocation channel; it is subscribed when Redis is reachable.", EventName = "RedisSubscribeFailed")]
    public static partial void SubscribeFailed(this ILogger logger, Exception exception);

    [LoggerMessage(5003, LogLevel.Warning, "The revocation of token id {TokenId} is stored on this instance but not in Redis nor broadcast; the other instances do not refuse it.", EventName = "RedisTokenRevocationNotBroadcast")]
    public static partial void TokenRevocationNotBroadcast(this ILogger logger, string tokenId, Exception? exception);

    [LoggerMessage(5004, LogLevel.Warning, "Could not load the token deny list from Redis; this instance knows only the revocations it received.", EventName = "RedisDenyListLoadFailed")]
    public static partial void DenyListLoadFailed(this ILogger logger, Exception exception);

    [LoggerMessage(5005, LogLevel.Warning, "Ignored a malformed message on the revocation channel.", EventName = "RedisMalformedMessage")]
    public static partial void MalformedMessage(this ILogger logger);

    [LoggerMessage(5006, LogLevel.Error, "The local token deny list holds {Capacity} ids; a revocation from the channel was not kept. Someone may be flooding the revocation channel.", EventName = "RedisDenyListFull")]
    public static partial void DenyListFull(this ILogger logger, int capacity);

    [LoggerMessage(5007, LogLevel.Error, "A change announced on the revocation channel could not be applied on this instance; its caches keep the entry until it expires.", EventName = "RedisChangeNotApplied")]
    public static partial void ChangeNotApplied(this ILogger logger, Exception exception);

    [LoggerMessage(5008, LogLevel.Warning, "Redis is unreachable; failed-attempt budgets are counted on this instance alone until it is back, so a guesser spreading attempts over the instances gets one budget per instance.", EventName = "RedisBudgetsPerInstance")]
    public static partial void BudgetsPerInstance(this ILogger logger, Exception? exception);

    [LoggerMessage(5009, LogLevel.Information, "Redis is reachable again; failed-attempt budgets are shared by every instance.", EventName = "RedisBudgetsShared")]
    public static partial void BudgetsSharedAgain(this ILogger logger);

    [LoggerMessage(5010, LogLevel.Warning, "A sign-out through forward-auth scheme {Scheme} was applied on this instance but not broadcast (Redis is unreachable); the other instances keep their cached answer for the session until it expires (CacheDuration).", EventName = "RedisSignOutNotBroadcast")]
    public static partial void SignOutNotBroadcast(this ILogger logger, string scheme, Exception? exception);

    [LoggerMessage(5011, LogLevel.Warning, "Could not read the forward-auth cache secret the instances share; sign-outs are broadcast once Redis is reachable.", EventName = "RedisSignOutSecretLoadFailed")]
    public static partial void SignOutSecretLoadFailed(this ILogger logger, Exception exception);

    [LoggerMessage(5015, LogLevel.Warning, "The forward-auth cache secret the instances share, at {Key} in Redis, is shorter than 32 bytes and is not used; sign-outs are not shared until it is replaced. Delete that key: the next instance to connect creates a new one.", EventName = "RedisSignOutSecretRejected")]
    public static partial void SignOutSecretRejected(this ILogger logger, string key);

    [LoggerMessage(5012, LogLevel.Warning, "The signing-key rotation lock in Redis is unreachable; keys are created under the key directory's lock file alone, which instances on other machines may not honour.", EventName = "RedisRotationLockUnreachable")]
    public static partial void RotationLockUnreachable(this ILogger logger, Exception? exception);

    [LoggerMessage(5013, LogLevel.Warning, "Redis is still unreachable, {Seconds:0} s into the outage: {Failures} more reconnection attempts failed since the last line.", EventName = "RedisStillUnreachable")]
    public static partial void StillUnreachable(this ILogger logger, double seconds, long failures);

    [LoggerMessage(5014, LogLevel.Debug, "Redis is still unreachable ({FailureType}).", EventName = "RedisReconnectionFailed")]
    public static partial void ReconnectionFailed(this ILogger logger, string failureType);
}
