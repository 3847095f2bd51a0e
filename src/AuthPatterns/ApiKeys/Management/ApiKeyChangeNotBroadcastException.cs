namespace AuthPatterns.ApiKeys;

/// <summary>
/// A change of an API key (revoke, roll, scopes, expiry, networks) is stored and applied on this instance, but the
/// announcement to the other instances failed (their broadcast channel, such as Redis, is unreachable). They apply the
/// change when their cache entry for the key expires (<see cref="ApiKeyAuthenticationOptions.CacheLifetime"/>).
/// Revoking the key again once the channel is back announces it again.
/// </summary>
public sealed class ApiKeyChangeNotBroadcastException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="keyId">The key whose change was stored.</param>
    /// <param name="cacheLifetime">How long the other instances may keep the key as it was.</param>
    /// <param name="rolledKey">For a roll, the new key, which is stored and works.</param>
    /// <param name="innerException">Why the announcement failed.</param>
    public ApiKeyChangeNotBroadcastException(string keyId, TimeSpan cacheLifetime, CreatedApiKey? rolledKey, Exception? innerException)
        : base(
            $"The change of API key {keyId} is stored but not yet broadcast to the other instances: the broadcast channel is unreachable. " +
            $"This instance applies it now; the others apply it when their cache entry expires, within {cacheLifetime.TotalSeconds:0} s (LayeredAuth:ApiKeys:CacheLifetime)." +
            (rolledKey is null ? string.Empty : $" The new key {rolledKey.Info.Id} is stored and works."),
            innerException)
    {
        ArgumentException.ThrowIfNullOrEmpty(keyId);
        KeyId = keyId;
        RolledKey = rolledKey;
    }

    /// <summary>The key whose change was stored.</summary>
    public string KeyId { get; }

    /// <summary>
    /// For a roll, the new key: stored, working, and shown only here, since the call that created it failed. Keep it
    /// out of logs like any key.
    /// </summary>
    public CreatedApiKey? RolledKey { get; }
}
