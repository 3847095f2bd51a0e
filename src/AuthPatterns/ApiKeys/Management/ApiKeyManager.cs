using AuthPatterns.Authorization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AuthPatterns.ApiKeys;

/// <summary>
/// The one door to the lifecycle of API keys: create (the key is returned once and never stored), list and get
/// (never a key or a hash), revoke, roll, and change scopes, expiry and networks. Every change drops the key from this
/// instance's cache at once and is announced to the others through <see cref="IApiKeyRevocationNotifier"/>; when the
/// announcement fails, the change stays stored and the call throws <see cref="ApiKeyChangeNotBroadcastException"/>.
/// </summary>
/// <remarks>
/// The manager trusts its caller (the application's own code, the tool): it checks what is asked for, not who asks.
/// <c>MapApiKeyManagement</c> adds the checks of the HTTP caller. Every text is validated before anything is written
/// (lengths, no control characters), so a change is stored whole or refused whole with an
/// <see cref="ArgumentException"/>. Changes are written with optimistic concurrency: a change made on a copy that
/// someone changed meanwhile is made again on a fresh copy, and a revocation is never undone by a later write. When the
/// store does not answer, every method throws <see cref="ApiKeyStoreUnavailableException"/>, whatever the store threw.
/// </remarks>
public sealed class ApiKeyManager
{
    /// <summary>The longest owner id, tenant and name, in UTF-16 code units.</summary>
    public const int MaxTextLength = 256;

    /// <summary>The longest revocation reason, in UTF-16 code units.</summary>
    public const int MaxRevocationReasonLength = 1024;

    /// <summary>The longest grace period a roll accepts (the old key is never kept past its own expiry anyway).</summary>
    public static readonly TimeSpan MaxGracePeriod = TimeSpan.FromDays(365);

    // How often a change is made again on a fresh copy after another write got in first.
    private const int MaxAttempts = 16;

    private readonly IApiKeyStore _store;
    private readonly ApiKeyHasher _hasher;
    private readonly ApiKeyVerifier _verifier;
    private readonly IApiKeyRevocationNotifier _notifier;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ApiKeyAuthenticationOptions _options;

    internal ApiKeyManager(
        IApiKeyStore store,
        ApiKeyHasher hasher,
        ApiKeyVerifier verifier,
        IApiKeyRevocationNotifier notifier,
        IOptionsMonitor<ApiKeyAuthenticationOptions> options,
        TimeProvider time,
        ILogger<ApiKeyManager> logger)
    {
        _store = store;
        _hasher = hasher;
        _verifier = verifier;
        _notifier = notifier;
        _time = time;
        _logger = logger;
        _options = options.Get(ApiKeyAuthenticationDefaults.AuthenticationScheme);
    }

    /// <summary>Creates a key. The returned <see cref="CreatedApiKey.Key"/> is the only copy: show it once.</summary>
    /// <param name="request">What to create.</param>
    /// <param name="cancellationToken">Cancels the creation.</param>
    /// <returns>The key and its information.</returns>
    /// <exception cref="ArgumentException">A text is too long or holds control characters, a scope or network is invalid, or the lifetime is not positive or too long.</exception>
    public Task<CreatedApiKey> CreateAsync(ApiKeyCreateRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        CheckText(request.OwnerId, MaxTextLength, "owner id", nameof(request), required: true);
        CheckText(request.Tenant, MaxTextLength, "tenant", nameof(request), required: false);
        CheckText(request.Name, MaxTextLength, "name", nameof(request), required: false);
        var now = _time.GetUtcNow();
        var lifetime = request.Lifetime ?? _options.DefaultKeyLifetime;
        if (lifetime is { } value && value <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(request), "The lifetime must be positive.");
        }

        if (lifetime is { } span && span > DateTimeOffset.MaxValue - now)
        {
            throw new ArgumentOutOfRangeException(nameof(request), "The lifetime reaches past the last representable date; give a shorter one, or none for a key that never expires.");
        }

        var record = new ApiKeyRecord
        {
            OwnerId = request.OwnerId,
            Tenant = request.Tenant,
            Name = request.Name,
            Scopes = CheckScopes(request.Scopes),
            CreatedAt = now,
            ExpiresAt = lifetime is null ? null : now + lifetime.Value,
            AllowedNetworks = CheckNetworks(request.AllowedNetworks),
        };
        return StoreNewAsync(record, request.IsTest, cancellationToken);
    }

    /// <summary>Gets a key's information.</summary>
    /// <param name="keyId">The key id.</param>
    /// <param name="cancellationToken">Cancels the look-up.</param>
    /// <returns>The information, or <see langword="null"/> (also for a string that is not a key id).</returns>
    public async Task<ApiKeyInfo?> GetAsync(string keyId, CancellationToken cancellationToken = default)
    {
        var record = await FindAsync(keyId, cancellationToken);
        return record is null ? null : ApiKeyInfo.From(record);
    }

    /// <summary>Lists keys, optionally of one owner or tenant.</summary>
    /// <param name="ownerId">The owner, or <see langword="null"/>.</param>
    /// <param name="tenant">The tenant, or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the look-up.</param>
    /// <returns>The keys' information, newest first.</returns>
    public async Task<IReadOnlyList<ApiKeyInfo>> ListAsync(string? ownerId = null, string? tenant = null, CancellationToken cancellationToken = default)
    {
        CheckText(ownerId, MaxTextLength, "owner id", nameof(ownerId), required: false);
        CheckText(tenant, MaxTextLength, "tenant", nameof(tenant), required: false);
        var records = await StoreAsync(static (store, state, ct) => store.ListAsync(state.ownerId, state.tenant, ct), (ownerId, tenant), "The API-key store did not answer when the keys were listed.", cancellationToken);
        return [.. records.Select(ApiKeyInfo.From)];
    }

    /// <summary>
    /// Revokes a key: refused on this instance from the next request on. The reason is checked before anything is
    /// written, so a reason the store could not hold refuses the call as a whole instead of failing half-way; revoking a
    /// revoked key changes nothing (the first time and reason stay).
    /// </summary>
    /// <param name="keyId">The key id.</param>
    /// <param name="reason">Why, for the audit trail: at most <see cref="MaxRevocationReasonLength"/> characters, no control characters.</param>
    /// <param name="cancellationToken">Cancels the revocation.</param>
    /// <returns><see langword="false"/> when there is no such key.</returns>
    /// <exception cref="ArgumentException">The reason is empty, too long or holds control characters.</exception>
    /// <exception cref="ApiKeyChangeNotBroadcastException">The change is stored and applied on this instance, but announcing it to the other instances failed.</exception>
    public async Task<bool> RevokeAsync(string keyId, string reason, CancellationToken cancellationToken = default) =>
        await RevokeCoreAsync(keyId, reason, guard: null, cancellationToken) is not null;

    /// <summary>
    /// Rolls a key: issues a new one with the same owner, tenant, name, scopes and networks (and the same lifetime, when
    /// the old one had one), and lets the old one work for <paramref name="gracePeriod"/> more, never past its own expiry.
    /// The new key and the old key's shortened expiry are stored in one transaction, which fails as a whole when the old
    /// key was revoked meanwhile.
    /// </summary>
    /// <param name="keyId">The key to replace.</param>
    /// <param name="gracePeriod">How long the old key keeps working, up to <see cref="MaxGracePeriod"/>; <see cref="TimeSpan.Zero"/> to stop it now.</param>
    /// <param name="cancellationToken">Cancels the roll.</param>
    /// <returns>The new key, or <see langword="null"/> when there is no such key.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The grace period is negative or longer than <see cref="MaxGracePeriod"/>.</exception>
    /// <exception cref="InvalidOperationException">The key is revoked or expired.</exception>
    /// <exception cref="ApiKeyChangeNotBroadcastException">The change is stored and applied on this instance, but announcing it to the other instances failed.</exception>
    public Task<CreatedApiKey?> RollAsync(string keyId, TimeSpan gracePeriod, CancellationToken cancellationToken = default) =>
        RollCoreAsync(keyId, gracePeriod, guard: null, cancellationToken);

    /// <summary>Replaces a key's scopes.</summary>
    /// <param name="keyId">The key id.</param>
    /// <param name="scopes">The new scopes; at least one.</param>
    /// <param name="cancellationToken">Cancels the change.</param>
    /// <returns>The updated information, or <see langword="null"/> when there is no such key.</returns>
    /// <exception cref="ApiKeyChangeNotBroadcastException">The change is stored and applied on this instance, but announcing it to the other instances failed.</exception>
    public Task<ApiKeyInfo?> SetScopesAsync(string keyId, IReadOnlyList<string> scopes, CancellationToken cancellationToken = default) =>
        SetScopesCoreAsync(keyId, scopes, guard: null, cancellationToken);

    /// <summary>Sets or clears a key's expiry.</summary>
    /// <param name="keyId">The key id.</param>
    /// <param name="expiresAt">The new expiry, or <see langword="null"/> for never.</param>
    /// <param name="cancellationToken">Cancels the change.</param>
    /// <returns>The updated information, or <see langword="null"/> when there is no such key.</returns>
    /// <exception cref="ApiKeyChangeNotBroadcastException">The change is stored and applied on this instance, but announcing it to the other instances failed.</exception>
    public Task<ApiKeyInfo?> SetExpiryAsync(string keyId, DateTimeOffset? expiresAt, CancellationToken cancellationToken = default) =>
        SetExpiryCoreAsync(keyId, expiresAt, guard: null, cancellationToken);

    /// <summary>Replaces the networks a key may be used from.</summary>
    /// <param name="keyId">The key id.</param>
    /// <param name="networks">CIDR networks; empty for anywhere.</param>
    /// <param name="cancellationToken">Cancels the change.</param>
    /// <returns>The updated information, or <see langword="null"/> when there is no such key.</returns>
    /// <exception cref="ApiKeyChangeNotBroadcastException">The change is stored and applied on this instance, but announcing it to the other instances failed.</exception>
    public Task<ApiKeyInfo?> SetAllowedNetworksAsync(string keyId, IReadOnlyList<string> networks, CancellationToken cancellationToken = default) =>
        SetAllowedNetworksCoreAsync(keyId, networks, guard: null, cancellationToken);

    // The *CoreAsync methods take a guard: called with the key as read, just before each attempt to write, it throws to
    // refuse. The management endpoints pass the HTTP caller's rules, so they hold for the very version that is written.
    // Returns the key as revoked (or as found, when it already was), so a caller need not read it again.
    internal async Task<ApiKeyInfo?> RevokeCoreAsync(string keyId, string reason, Action<ApiKeyInfo>? guard, CancellationToken cancellationToken)
    {
        CheckText(reason, MaxRevocationReasonLength, "revocation reason", nameof(reason), required: true);
        var now = _time.GetUtcNow();
        var (record, written, notBroadcast) = await ChangeAsync(keyId, guard, r =>
        {
            if (r.RevokedAt is not null)
            {
                return false;
            }

            r.RevokedAt = now;
            r.RevocationReason = reason;
            return true;
        }, cancellationToken);
        if (record is null)
        {
            return null;
        }

        if (written)
        {
            _logger.KeyRevoked(record.Id, reason);
        }
        else
        {
            // Revoked already: announced again, so revoking once more after a failed broadcast reaches the others.
            notBroadcast = await AfterChangeAsync(record.Id, cancellationToken);
        }

        ThrowIfNotBroadcast(record.Id, notBroadcast, rolledKey: null);
        return ApiKeyInfo.From(record);
    }

    internal async Task<CreatedApiKey?> RollCoreAsync(string keyId, TimeSpan gracePeriod, Action<ApiKeyInfo>? guard, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(gracePeriod, TimeSpan.Zero);
        if (gracePeriod > MaxGracePeriod)
        {
            throw new ArgumentOutOfRangeException(nameof(gracePeriod), $"The grace period can be at most {MaxGracePeriod.TotalDays:0} days.");
        }

        string? key = null;
        string? hash = null;
        var successorId = ApiKeyFormat.NewKeyId();
        for (var attempt = 1; ; attempt++)
        {
            var old = await FindAsync(keyId, cancellationToken);
            if (old is null)
            {
                return null;
            }

            guard?.Invoke(ApiKeyInfo.From(old));
            var now = _time.GetUtcNow();
            if (old.RevokedAt is not null || old.ExpiresAt <= now)
            {
                throw new InvalidOperationException("A revoked or expired key cannot be rolled.");
            }

            if (key is null)
            {
                key = ApiKeyFormat.Create(_options.Prefix, old.IsTest, successorId);
                hash = await _hasher.HashAsync(key, _options.HashParameters);
            }

            var successor = new ApiKeyRecord
            {
                Id = successorId,
                IsTest = old.IsTest,
                OwnerId = old.OwnerId,
                Tenant = old.Tenant,
                Name = old.Name,
                Scopes = [.. old.Scopes],
                AllowedNetworks = [.. old.AllowedNetworks],
                CreatedAt = now,
                ExpiresAt = old.ExpiresAt is { } expires ? AddClamped(now, expires - old.CreatedAt) : null,
                RolledFromId = old.Id,
                Hash = hash!,
            };
            var graceEnd = AddClamped(now, gracePeriod);
            old.ExpiresAt = old.ExpiresAt is { } oldExpiry && oldExpiry < graceEnd ? oldExpiry : graceEnd;
            if (await StoreAsync(static (store, state, ct) => store.RollAsync(state.successor, state.old, ct), (successor, old), $"The API-key store did not answer when the roll of key {old.Id} was written; the roll is not confirmed.", cancellationToken))
            {
                _verifier.Evict(successor.Id);
                var notBroadcast = await AfterChangeAsync(old.Id, cancellationToken);
                _logger.KeyCreated(successor.Id, successor.OwnerId);
                _logger.KeyRolled(old.Id, successor.Id, old.ExpiresAt.Value);
                var created = new CreatedApiKey(key, ApiKeyInfo.From(successor));
                ThrowIfNotBroadcast(old.Id, notBroadcast, created);
                return created;
            }

            ThrowIfTooManyAttempts(attempt, keyId);
        }
    }

    internal async Task<ApiKeyInfo?> SetScopesCoreAsync(string keyId, IReadOnlyList<string> scopes, Action<ApiKeyInfo>? guard, CancellationToken cancellationToken)
    {
        var checkedScopes = CheckScopes(scopes);
        return await ChangeAndLogAsync(keyId, "scopes", guard, r => r.Scopes = [.. checkedScopes], cancellationToken);
    }

    internal Task<ApiKeyInfo?> SetExpiryCoreAsync(string keyId, DateTimeOffset? expiresAt, Action<ApiKeyInfo>? guard, CancellationToken cancellationToken) =>
        ChangeAndLogAsync(keyId, "expiry", guard, r => r.ExpiresAt = expiresAt, cancellationToken);

    internal async Task<ApiKeyInfo?> SetAllowedNetworksCoreAsync(string keyId, IReadOnlyList<string> networks, Action<ApiKeyInfo>? guard, CancellationToken cancellationToken)
    {
        var checkedNetworks = CheckNetworks(networks);
        return await ChangeAndLogAsync(keyId, "allowed networks", guard, r => r.AllowedNetworks = [.. checkedNetworks], cancellationToken);
    }

    private async Task<ApiKeyInfo?> ChangeAndLogAsync(string keyId, string what, Action<ApiKeyInfo>? guard, Action<ApiKeyRecord> change, CancellationToken cancellationToken)
    {
        var (record, _, notBroadcast) = await ChangeAsync(keyId, guard, r =>
        {
            change(r);
            return true;
        }, cancellationToken);
        if (record is null)
        {
            return null;
        }

        _logger.KeyChanged(record.Id, what);
        ThrowIfNotBroadcast(record.Id, notBroadcast, rolledKey: null);
        return ApiKeyInfo.From(record);
    }

    // Reads, changes and writes with the version read; when another write got in first, starts again from a fresh
    // read, so the change is made on what is stored (a revocation made meanwhile included). `change` returns false when
    // there is nothing to write. A failed announcement is returned, to be thrown once the change is logged.
    private async Task<(ApiKeyRecord? Record, bool Written, Exception? NotBroadcast)> ChangeAsync(
        string keyId, Action<ApiKeyInfo>? guard, Func<ApiKeyRecord, bool> change, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var record = await FindAsync(keyId, cancellationToken);
            if (record is null)
            {
                return (null, false, null);
            }

            guard?.Invoke(ApiKeyInfo.From(record));
            var (revokedAt, reason) = (record.RevokedAt, record.RevocationReason);
            if (!change(record))
            {
                return (record, false, null);
            }

            if (revokedAt is not null)
            {
                // Revoked stays revoked, whatever the change.
                (record.RevokedAt, record.RevocationReason) = (revokedAt, reason);
            }

            if (await StoreAsync(static (store, record, ct) => store.UpdateAsync(record, ct), record, $"The API-key store did not answer when the change of key {record.Id} was written; the change is not confirmed.", cancellationToken))
            {
                record.Version++;
                return (record, true, await AfterChangeAsync(record.Id, cancellationToken));
            }

            ThrowIfTooManyAttempts(attempt, keyId);
        }
    }

    private static void ThrowIfTooManyAttempts(int attempt, string keyId)
    {
        if (attempt >= MaxAttempts)
        {
            throw new InvalidOperationException($"The key {keyId} was changed by other writers {MaxAttempts} times while this change was being made; nothing was written. Try again.");
        }
    }

    private async Task<CreatedApiKey> StoreNewAsync(ApiKeyRecord record, bool test, CancellationToken cancellationToken)
    {
        record.Id = ApiKeyFormat.NewKeyId();
        record.IsTest = test;
        var key = ApiKeyFormat.Create(_options.Prefix, test, record.Id);
        record.Hash = await _hasher.HashAsync(key, _options.HashParameters);
        await StoreAsync(
            static async (store, record, ct) =>
            {
                await store.CreateAsync(record, ct);
                return true;
            },
            record,
            "The API-key store did not answer when the new key was written; the key is not confirmed to exist.",
            cancellationToken);
        _verifier.Evict(record.Id);
        _logger.KeyCreated(record.Id, record.OwnerId);
        return new CreatedApiKey(key, ApiKeyInfo.From(record));
    }

    // Drops the key here and announces the change; returns why the announcement failed, or null.
    private async Task<Exception?> AfterChangeAsync(string keyId, CancellationToken cancellationToken)
    {
        _verifier.Evict(keyId);
        try
        {
            await _notifier.PublishAsync(keyId, cancellationToken);
            return null;
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            _logger.RevocationPublishFailed(keyId, exception);
            return exception;
        }
    }

    // The change is stored and applied here; the caller learns that the other instances do not know of it yet.
    private void ThrowIfNotBroadcast(string keyId, Exception? notBroadcast, CreatedApiKey? rolledKey)
    {
        if (notBroadcast is not null)
        {
            throw new ApiKeyChangeNotBroadcastException(keyId, _options.CacheLifetime, rolledKey, notBroadcast);
        }
    }

    // A string that cannot be a key id names no key: answered without a look-up (and without sending the database a
    // NUL byte or a megabyte of text).
    private async Task<ApiKeyRecord?> FindAsync(string keyId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(keyId);
        return IsKeyId(keyId) ? await StoreAsync(static (store, keyId, ct) => store.FindByIdAsync(keyId, ct), keyId, $"The API-key store did not answer when key {keyId} was read; nothing was changed.", cancellationToken) : null;
    }

    // Whatever the store throws when it does not answer (a refused connection, a timeout, a provider's "transient
    // failure" wrapped in an InvalidOperationException) becomes one exception that says so: never mistaken for a refused
    // change (409) nor a bug (500). A write that failed this way may still have reached the store, hence "not confirmed".
    private async Task<TResult> StoreAsync<TState, TResult>(
        Func<IApiKeyStore, TState, CancellationToken, Task<TResult>> operation, TState state, string failure, CancellationToken cancellationToken)
    {
        try
        {
            return await operation(_store, state, cancellationToken);
        }
        catch (Exception exception) when (!cancellationToken.IsCancellationRequested && exception is not ApiKeyStoreUnavailableException)
        {
            _logger.ManagementStoreUnavailable(failure, exception);
            throw new ApiKeyStoreUnavailableException(
                failure + " Try again when the store is back (the 'apikey-store' health check reports it).",
                exception);
        }
    }

    private static bool IsKeyId(string keyId)
    {
        if (keyId.Length != ApiKeyFormat.KeyIdLength)
        {
            return false;
        }

        foreach (var c in keyId)
        {
            if (!char.IsAsciiLetterOrDigit(c))
            {
                return false;
            }
        }

        return true;
    }

    private static DateTimeOffset AddClamped(DateTimeOffset time, TimeSpan span) =>
        span >= DateTimeOffset.MaxValue - time ? DateTimeOffset.MaxValue : time + span;

    /// <summary>
    /// Checks a text the store keeps: bounded in length and free of control characters (NUL, escapes, new lines) and of
    /// unpaired surrogates, which PostgreSQL refuses and terminals and logs misrender. The value itself is not repeated
    /// in the message.
    /// </summary>
    internal static void CheckText(string? value, int maxLength, string what, string parameter, bool required)
    {
        if (value is null || (value.Length == 0 && !required))
        {
            if (required)
            {
                throw new ArgumentException($"The {what} is required.", parameter);
            }

            return;
        }

        if (string.IsNullOrWhiteSpace(value))
        {
            throw new ArgumentException($"The {what} is empty or only white space.", parameter);
        }

        if (value.Length > maxLength)
        {
            throw new ArgumentException($"The {what} is {value.Length} characters long; at most {maxLength} are allowed.", parameter);
        }

        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsControl(c))
            {
                throw new ArgumentException($"The {what} contains a control character (U+{(int)c:X4} at position {i}); control characters are not allowed.", parameter);
            }

            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(c))
            {
                throw new ArgumentException($"The {what} contains an unpaired surrogate (U+{(int)c:X4} at position {i}); it is not valid text.", parameter);
            }
        }
    }

    internal static List<string> CheckScopes(IReadOnlyList<string> scopes)
    {
        ArgumentNullException.ThrowIfNull(scopes);
        if (scopes.Count == 0)
        {
            throw new ArgumentException("A key needs at least one scope; a key without scopes would pass no scope check.", nameof(scopes));
        }

        foreach (var scope in scopes)
        {
            if (!ScopeClaimNormalizer.IsValidScope(scope))
            {
                throw new ArgumentException($"'{scope}' is not a valid scope.", nameof(scopes));
            }
        }

        return [.. scopes.Distinct(StringComparer.Ordinal)];
    }

    private static List<string> CheckNetworks(IReadOnlyList<string> networks)
    {
        ArgumentNullException.ThrowIfNull(networks);
        var result = new List<string>(networks.Count);
        foreach (var network in networks)
        {
            if (!System.Net.IPNetwork.TryParse(network, out var parsed))
            {
                throw new ArgumentException($"'{network}' is not a CIDR network (for example 10.0.0.0/8).", nameof(networks));
            }

            result.Add(parsed.ToString());
        }

        return result;
    }
}
