using Microsoft.Extensions.Logging;

namespace AuthPatterns.Issuing;

// Event ids 3007, 3008, 3010, 3011 and 3050-3069: the issuing side. No key material, token or
// exception text ever appears in a message: a file is named and its problem is one of fixed sentences.
internal static partial class IssuingLoggingExtensions
{
    [LoggerMessage(3007, LogLevel.Information, "Signing key {KeyId} created; it signs from {ActivatesAt:O}.", EventName = "SigningKeyCreated")]
    public static partial void SigningKeyCreated(this ILogger logger, string keyId, DateTimeOffset activatesAt);

    [LoggerMessage(3008, LogLevel.Information, "Signing key {KeyId} is no longer published and was deleted.", EventName = "SigningKeyDeleted")]
    public static partial void SigningKeyDeleted(this ILogger logger, string keyId);

    [LoggerMessage(3010, LogLevel.Warning, "Obtaining a service token for {Client} failed: {Reason}.", EventName = "ServiceTokenFailed")]
    public static partial void ServiceTokenFailed(this ILogger logger, string client, string reason);

    [LoggerMessage(3011, LogLevel.Debug, "Obtained a service token for {Client}, valid until {ExpiresAt:O}.", EventName = "ServiceTokenObtained")]
    public static partial void ServiceTokenObtained(this ILogger logger, string client, DateTimeOffset expiresAt);

    [LoggerMessage(3050, LogLevel.Warning, "Signing key file {File} is ignored: {Problem}. The other keys keep serving.", EventName = "SigningKeyFileIgnored")]
    public static partial void SigningKeyFileIgnored(this ILogger logger, string file, string problem);

    [LoggerMessage(3051, LogLevel.Warning, "The file of signing key {KeyId} was removed from the key directory; the key is no longer published and no longer signs.", EventName = "SigningKeyFileRemoved")]
    public static partial void SigningKeyFileRemoved(this ILogger logger, string keyId);

    [LoggerMessage(3052, LogLevel.Warning, "Signing key {KeyId} is withdrawn: no longer published, never signs again.", EventName = "SigningKeyRetired")]
    public static partial void SigningKeyRetired(this ILogger logger, string keyId);

    [LoggerMessage(3053, LogLevel.Warning, "Kept {Count} expired signing key file(s): the clock ({Now:O}) disagrees with the key files (a file created in the future, or no key current since they expired). Deletion resumes once the clock and the files agree.", EventName = "SigningKeyDeletionDeferred")]
    public static partial void SigningKeyDeletionDeferred(this ILogger logger, int count, DateTimeOffset now);

    [LoggerMessage(3054, LogLevel.Warning, "The signing key directory {Directory} could not be listed; serving the keys read before.", EventName = "SigningKeyDirectoryUnreadable")]
    public static partial void SigningKeyDirectoryUnreadable(this ILogger logger, string directory);

    [LoggerMessage(3055, LogLevel.Warning, "The signing key ring uses Data Protection keys that are not persisted to a chosen location (no PersistKeysTo... call): in a container without a volume they are lost at each restart, the key files become undecryptable, and instances do not share them. Call services.AddDataProtection().PersistKeysToFileSystem(<a shared, persistent directory>).SetApplicationName(<one name>) (or another shared key repository), or set SigningKeyRingOptions.DataProtectionProvider.", EventName = "SigningKeyDataProtectionNotPersisted")]
    public static partial void SigningKeyDataProtectionNotPersisted(this ILogger logger);

    [LoggerMessage(3056, LogLevel.Error, "{Count} signing key file(s) in {Directory} cannot be decrypted with this application's Data Protection keys (lost at a restart, or another application's): they are neither published nor used. Persist and share the Data Protection key ring (PersistKeysToFileSystem and SetApplicationName, the same for every instance), or remove the files.", EventName = "SigningKeysUndecryptable")]
    public static partial void SigningKeysUndecryptable(this ILogger logger, int count, string directory);
}
