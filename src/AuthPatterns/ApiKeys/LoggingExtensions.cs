using AuthPatterns.Infrastructure;
using Microsoft.Extensions.Logging;

namespace AuthPatterns.ApiKeys;

// Event ids 2000-2099. Keys are named by their public id only: never the key, its secret or its hash. Every value a
// sender chose (a query parameter name, an owner, a reason) goes through LogText.Escape, so it cannot forge a log line:
// those methods are public wrappers of a private source-generated one.
internal static partial class ApiKeyLoggingExtensions
{
    public static void KeyValidated(this ILogger logger, string keyId, string subject) => LogKeyValidated(logger, keyId, LogText.Escape(subject));

    [LoggerMessage(2000, LogLevel.Debug, "API key {KeyId} authenticated {Subject}.", EventName = "ApiKeyValidated")]
    private static partial void LogKeyValidated(ILogger logger, string keyId, string subject);

    [LoggerMessage(2001, LogLevel.Information, "API key {KeyId} refused: {Outcome}.", EventName = "ApiKeyRefused")]
    public static partial void KeyRefused(this ILogger logger, string keyId, string outcome);

    public static void KeyExposed(this ILogger logger, string keyId, string parameter) => LogKeyExposed(logger, keyId, LogText.Escape(parameter));

    [LoggerMessage(2002, LogLevel.Warning, "API key {KeyId} was sent in the query parameter '{Parameter}' and is exposed: refused; rotate it.", EventName = "ApiKeyExposed")]
    private static partial void LogKeyExposed(ILogger logger, string keyId, string parameter);

    [LoggerMessage(2003, LogLevel.Warning, "Shed API-key verifications: {InFlight} are running or queued; {Shed} requests were shed since the last warning.", EventName = "ApiKeyVerificationShed")]
    public static partial void VerificationShed(this ILogger logger, long inFlight, long shed);

    [LoggerMessage(2004, LogLevel.Information, "Upgraded the hash of API key {KeyId} to the configured Argon2id parameters.", EventName = "ApiKeyHashUpgraded")]
    public static partial void HashUpgraded(this ILogger logger, string keyId);

    [LoggerMessage(2005, LogLevel.Error, "Could not store the upgraded hash of API key {KeyId}.", EventName = "ApiKeyHashUpgradeFailed")]
    public static partial void HashUpgradeFailed(this ILogger logger, string keyId, Exception exception);

    public static void KeyCreated(this ILogger logger, string keyId, string owner) => LogKeyCreated(logger, keyId, LogText.Escape(owner));

    [LoggerMessage(2006, LogLevel.Information, "Created API key {KeyId} for {Owner}.", EventName = "ApiKeyCreated")]
    private static partial void LogKeyCreated(ILogger logger, string keyId, string owner);

    public static void KeyRevoked(this ILogger logger, string keyId, string reason) => LogKeyRevoked(logger, keyId, LogText.Escape(reason));

    [LoggerMessage(2007, LogLevel.Information, "Revoked API key {KeyId}: {Reason}.", EventName = "ApiKeyRevoked")]
    private static partial void LogKeyRevoked(ILogger logger, string keyId, string reason);

    [LoggerMessage(2008, LogLevel.Information, "Rolled API key {KeyId} to {NewKeyId}; the old key works until {GraceEnd}.", EventName = "ApiKeyRolled")]
    public static partial void KeyRolled(this ILogger logger, string keyId, string newKeyId, DateTimeOffset graceEnd);

    public static void KeyChanged(this ILogger logger, string keyId, string what) => LogKeyChanged(logger, keyId, LogText.Escape(what));

    [LoggerMessage(2009, LogLevel.Information, "Changed the {What} of API key {KeyId}.", EventName = "ApiKeyChanged")]
    private static partial void LogKeyChanged(ILogger logger, string keyId, string what);

    [LoggerMessage(2010, LogLevel.Error, "Could not write API-key usage to the store; {Count} entries are kept for the next attempt.", EventName = "ApiKeyUsageFlushFailed")]
    public static partial void UsageFlushFailed(this ILogger logger, int count, Exception exception);

    [LoggerMessage(2011, LogLevel.Debug, "Wrote {LastUses} last uses and {Events} usage events.", EventName = "ApiKeyUsageFlushed")]
    public static partial void UsageFlushed(this ILogger logger, int lastUses, int events);

    [LoggerMessage(2012, LogLevel.Warning, "Could not publish the revocation of API key {KeyId}; other instances keep it until their cache expires.", EventName = "ApiKeyRevocationPublishFailed")]
    public static partial void RevocationPublishFailed(this ILogger logger, string keyId, Exception exception);

    [LoggerMessage(2013, LogLevel.Error, "The API-key store could not be read while verifying key {KeyId}; the request is refused with 503.", EventName = "ApiKeyStoreUnavailable")]
    public static partial void StoreUnavailable(this ILogger logger, string keyId, Exception exception);

    [LoggerMessage(2014, LogLevel.Error, "The API-key store has been unreachable for so long that {Count} of the oldest usage events were dropped.", EventName = "ApiKeyUsageEventsDropped")]
    public static partial void UsageEventsDropped(this ILogger logger, int count);

    [LoggerMessage(2015, LogLevel.Error, "The API-key store refused a usage event of key {KeyId} ({Method} {Route}) while it accepted others; that event was dropped.", EventName = "ApiKeyUsageEventRefused")]
    private static partial void LogUsageEventRefused(ILogger logger, string keyId, string method, string route, Exception exception);

    [LoggerMessage(2016, LogLevel.Error, "Could not delete the API-key usage events older than the retention; the next flush tries again.", EventName = "ApiKeyUsagePruneFailed")]
    public static partial void UsagePruneFailed(this ILogger logger, Exception exception);

    [LoggerMessage(2017, LogLevel.Warning, "API-key usage still cannot be written to the store, {Seconds:0} s into the outage: {Failures} more writes failed since the last line; {Count} entries are kept for the next attempt.", EventName = "ApiKeyUsageFlushStillFailing")]
    public static partial void UsageFlushStillFailing(this ILogger logger, double seconds, long failures, int count);

    [LoggerMessage(2018, LogLevel.Information, "API-key usage is written to the store again after {Seconds:0} s and {Failures} failed writes; nothing kept was lost.", EventName = "ApiKeyUsageFlushRecovered")]
    public static partial void UsageFlushRecovered(this ILogger logger, double seconds, long failures);

    [LoggerMessage(2019, LogLevel.Warning, "The API-key store is still unreachable, {Seconds:0} s into the outage: {Failures} more verifications were refused with 503 since the last line.", EventName = "ApiKeyStoreStillUnavailable")]
    public static partial void StoreStillUnavailable(this ILogger logger, double seconds, long failures);

    [LoggerMessage(2020, LogLevel.Information, "The API-key store answers again after {Seconds:0} s; {Failures} verifications were refused with 503 meanwhile.", EventName = "ApiKeyStoreAvailableAgain")]
    public static partial void StoreAvailableAgain(this ILogger logger, double seconds, long failures);

    [LoggerMessage(2021, LogLevel.Debug, "The API-key store is still unreachable; key {KeyId} was refused with 503.", EventName = "ApiKeyStoreUnavailableAgain")]
    public static partial void StoreUnavailableAgain(this ILogger logger, string keyId);

    [LoggerMessage(2022, LogLevel.Debug, "API-key usage still cannot be written to the store; {Count} entries are kept for the next attempt.", EventName = "ApiKeyUsageFlushFailedAgain")]
    public static partial void UsageFlushFailedAgain(this ILogger logger, int count);

    [LoggerMessage(2030, LogLevel.Error, "Key management failed: {Failure} The caller is told to try again.", EventName = "ApiKeyManagementStoreUnavailable")]
    public static partial void ManagementStoreUnavailable(this ILogger logger, string failure, Exception exception);

    public static void UsageEventRefused(this ILogger logger, ApiKeyUsageEvent usage, Exception exception) =>
        LogUsageEventRefused(logger, LogText.Escape(usage.KeyId), LogText.Escape(usage.Method), LogText.Escape(usage.Route), exception);

    [LoggerMessage(2040, LogLevel.Debug, "Wrote {Count} API-key usage counts.", EventName = "ApiKeyUsageCountsFlushed")]
    public static partial void UsageCountsFlushed(this ILogger logger, int count);

    [LoggerMessage(2041, LogLevel.Warning, "Could not write {Count} API-key usage counts; they are kept for the next flush.", EventName = "ApiKeyUsageCountsFlushFailed")]
    public static partial void UsageCountsFlushFailed(this ILogger logger, int count, Exception exception);

    [LoggerMessage(2042, LogLevel.Error, "Could not delete the API-key usage counts older than the retention; the next flush tries again.", EventName = "ApiKeyUsageCountsPruneFailed")]
    public static partial void UsageCountsPruneFailed(this ILogger logger, Exception exception);
}
