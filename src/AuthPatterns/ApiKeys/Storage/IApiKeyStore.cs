namespace AuthPatterns.ApiKeys;

/// <summary>
/// Where API-key records live. Implementations are singletons and thread-safe; they store what they are given and
/// never see a plaintext key. <see cref="InMemoryApiKeyStore"/> is for tests; <c>AuthPatterns.EntityFrameworkCore</c>
/// stores keys in the application's own database.
/// </summary>
public interface IApiKeyStore
{
    /// <summary>Finds a key by its public id.</summary>
    /// <param name="keyId">The key id.</param>
    /// <param name="cancellationToken">Cancels the look-up.</param>
    /// <returns>The record, or <see langword="null"/> when there is none.</returns>
    Task<ApiKeyRecord?> FindByIdAsync(string keyId, CancellationToken cancellationToken = default);

    /// <summary>Lists keys, optionally of one owner or tenant.</summary>
    /// <param name="ownerId">Only this owner's keys, or <see langword="null"/> for all.</param>
    /// <param name="tenant">Only this tenant's keys, or <see langword="null"/> for all.</param>
    /// <param name="cancellationToken">Cancels the look-up.</param>
    /// <returns>The records, newest first.</returns>
    Task<IReadOnlyList<ApiKeyRecord>> ListAsync(string? ownerId = null, string? tenant = null, CancellationToken cancellationToken = default);

    /// <summary>Adds a new key.</summary>
    /// <param name="record">The record.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the record is stored.</returns>
    Task CreateAsync(ApiKeyRecord record, CancellationToken cancellationToken = default);

    /// <summary>
    /// Stores a change made on a copy read earlier, if nobody changed the key since: writes the lifecycle fields (scopes,
    /// expiry, networks, revocation) and <c>Version + 1</c> only when the stored <see cref="ApiKeyRecord.Version"/>
    /// still equals <paramref name="record"/>'s. A revocation is never undone: a record without
    /// <see cref="ApiKeyRecord.RevokedAt"/> never clears a stored one. The hash and last use have writers of their own
    /// and are left as stored.
    /// </summary>
    /// <param name="record">The changed copy, with the version it was read with.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns><see langword="false"/>, with nothing written, when the key changed meanwhile or no longer exists.</returns>
    Task<bool> UpdateAsync(ApiKeyRecord record, CancellationToken cancellationToken = default);

    /// <summary>
    /// Adds the successor of a rolled key and stores the change to the key it replaces (as <see cref="UpdateAsync"/>
    /// does) in one transaction: both or neither.
    /// </summary>
    /// <param name="successor">The new key's record.</param>
    /// <param name="replaced">The replaced key's changed copy (its shortened expiry), with the version it was read with.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>
    /// <see langword="false"/>, with nothing written, when the replaced key changed meanwhile (revoked, for example) or
    /// no longer exists.
    /// </returns>
    Task<bool> RollAsync(ApiKeyRecord successor, ApiKeyRecord replaced, CancellationToken cancellationToken = default);

    /// <summary>Replaces only a key's hash, after it was upgraded to stronger parameters.</summary>
    /// <param name="keyId">The key id.</param>
    /// <param name="hash">The new PHC string.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the hash is stored.</returns>
    Task UpdateHashAsync(string keyId, string hash, CancellationToken cancellationToken = default);

    /// <summary>Writes a batch of last uses (the latest per key).</summary>
    /// <param name="uses">The uses.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the batch is stored.</returns>
    Task RecordLastUsesAsync(IReadOnlyCollection<ApiKeyLastUse> uses, CancellationToken cancellationToken = default);

    /// <summary>Appends a batch of usage events.</summary>
    /// <param name="events">The events.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the batch is stored.</returns>
    Task AddUsageEventsAsync(IReadOnlyCollection<ApiKeyUsageEvent> events, CancellationToken cancellationToken = default);

    /// <summary>Lists the usage events of a key since a time, oldest first.</summary>
    /// <param name="keyId">The key id.</param>
    /// <param name="since">The earliest time.</param>
    /// <param name="cancellationToken">Cancels the look-up.</param>
    /// <returns>The events.</returns>
    Task<IReadOnlyList<ApiKeyUsageEvent>> ListUsageEventsAsync(string keyId, DateTimeOffset since, CancellationToken cancellationToken = default);

    /// <summary>Deletes usage events older than a time (the retention setting).</summary>
    /// <param name="olderThan">The cut-off.</param>
    /// <param name="cancellationToken">Cancels the delete.</param>
    /// <returns>The number of events deleted.</returns>
    Task<int> DeleteUsageEventsAsync(DateTimeOffset olderThan, CancellationToken cancellationToken = default);

    /// <summary>
    /// Adds a batch of usage counts to the stored ones (same key, period and outcome: the counts are summed). Counts of
    /// keys the store does not hold are ignored. Safe to call from several instances at once.
    /// </summary>
    /// <param name="counts">The counts, at most one per key, period and outcome.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the batch is stored.</returns>
    Task AddUsageCountsAsync(IReadOnlyCollection<ApiKeyUsageCount> counts, CancellationToken cancellationToken = default);

    /// <summary>Lists the usage counts of periods starting at or after a time, of one key or of all, oldest first.</summary>
    /// <param name="keyId">The key id, or <see langword="null"/> for every key.</param>
    /// <param name="since">The earliest period start.</param>
    /// <param name="cancellationToken">Cancels the look-up.</param>
    /// <returns>The counts.</returns>
    Task<IReadOnlyList<ApiKeyUsageCount>> ListUsageCountsAsync(string? keyId, DateTimeOffset since, CancellationToken cancellationToken = default);

    /// <summary>Deletes usage counts of periods that started before a time (the retention setting).</summary>
    /// <param name="olderThan">The cut-off.</param>
    /// <param name="cancellationToken">Cancels the delete.</param>
    /// <returns>The number of counts deleted.</returns>
    Task<int> DeleteUsageCountsAsync(DateTimeOffset olderThan, CancellationToken cancellationToken = default);
}
