using AuthPatterns.Authorization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AuthPatterns.ApiKeys;

/// <summary>
/// The one door to the lifecycle of API keys: create (the key is returned once and never stored), list and get
/// (never a key or a hash), revoke, roll, and change scopes, expiry and networks. Every change drops the key from this
/// instance's cache at once and is announced to the others through <see cref="IApiKeyRevocationNotifier"/>.
/// </summary>
public sealed class ApiKeyManager
{
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
    public Task<CreatedApiKey> CreateAsync(ApiKeyCreateRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrWhiteSpace(request.OwnerId);
        var now = _time.GetUtcNow();
        var lifetime = request.Lifetime ?? _options.DefaultKeyLifetime;
        if (lifetime is { } value && value <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(request), "The lifetime must be positive.");
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
    /// <returns>The information, or <see langword="null"/>.</returns>
    public async Task<ApiKeyInfo?> GetAsync(string keyId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(keyId);
        var record = await _store.FindByIdAsync(keyId, cancellationToken);
        return record is null ? null : ApiKeyInfo.From(record);
    }

    /// <summary>Lists keys, optionally of one owner or tenant.</summary>
    /// <param name="ownerId">The owner, or <see langword="null"/>.</param>
    /// <param name="tenant">The tenant, or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the look-up.</param>
    /// <returns>The keys' information, newest first.</returns>
    public async Task<IReadOnlyList<ApiKeyInfo>> ListAsync(string? ownerId = null, string? tenant = null, CancellationToken cancellationToken = default)
    {
        var records = await _store.ListAsync(ownerId, tenant, cancellationToken);
        return [.. records.Select(ApiKeyInfo.From)];
    }

    /// <summary>Revokes a key: refused on this instance from the next request on.</summary>
    /// <param name="keyId">The key id.</param>
    /// <param name="reason">Why, for the audit trail.</param>
    /// <param name="cancellationToken">Cancels the revocation.</param>
    /// <returns><see langword="false"/> when there is no such key.</returns>
    public async Task<bool> RevokeAsync(string keyId, string reason, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        var record = await FindAsync(keyId, cancellationToken);
        if (record is null)
        {
            return false;
        }

        if (record.RevokedAt is null)
        {
            record.RevokedAt = _time.GetUtcNow();
            record.RevocationReason = reason;
            await SaveAsync(record, cancellationToken);
            _logger.KeyRevoked(keyId, reason);
        }

        return true;
    }

    /// <summary>
    /// Rolls a key: issues a new one with the same owner, tenant, name, scopes and networks (and the same lifetime, when
    /// the old one had one), and lets the old one work for <paramref name="gracePeriod"/> more, never past its own expiry.
    /// </summary>
    /// <param name="keyId">The key to replace.</param>
    /// <param name="gracePeriod">How long the old key keeps working; <see cref="TimeSpan.Zero"/> to stop it now.</param>
    /// <param name="cancellationToken">Cancels the roll.</param>
    /// <returns>The new key, or <see langword="null"/> when there is no such key.</returns>
    /// <exception cref="InvalidOperationException">The key is revoked or expired.</exception>
    public async Task<CreatedApiKey?> RollAsync(string keyId, TimeSpan gracePeriod, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(gracePeriod, TimeSpan.Zero);
        var old = await FindAsync(keyId, cancellationToken);
        if (old is null)
        {
            return null;
        }

        var now = _time.GetUtcNow();
        if (old.RevokedAt is not null || old.ExpiresAt <= now)
        {
            throw new InvalidOperationException("A revoked or expired key cannot be rolled.");
        }

        var successor = new ApiKeyRecord
        {
            OwnerId = old.OwnerId,
            Tenant = old.Tenant,
            Name = old.Name,
            Scopes = [.. old.Scopes],
            AllowedNetworks = [.. old.AllowedNetworks],
            CreatedAt = now,
            ExpiresAt = old.ExpiresAt is { } expires ? now + (expires - old.CreatedAt) : null,
            RolledFromId = old.Id,
        };
        var created = await StoreNewAsync(successor, old.IsTest, cancellationToken);

        var graceEnd = now + gracePeriod;
        old.ExpiresAt = old.ExpiresAt is { } oldExpiry && oldExpiry < graceEnd ? oldExpiry : graceEnd;
        await SaveAsync(old, cancellationToken);
        _logger.KeyRolled(old.Id, successor.Id, old.ExpiresAt.Value);
        return created;
    }

    /// <summary>Replaces a key's scopes.</summary>
    /// <param name="keyId">The key id.</param>
    /// <param name="scopes">The new scopes; at least one.</param>
    /// <param name="cancellationToken">Cancels the change.</param>
    /// <returns>The updated information, or <see langword="null"/> when there is no such key.</returns>
    public Task<ApiKeyInfo?> SetScopesAsync(string keyId, IReadOnlyList<string> scopes, CancellationToken cancellationToken = default)
    {
        var checkedScopes = CheckScopes(scopes);
        return ChangeAsync(keyId, "scopes", r => r.Scopes = checkedScopes, cancellationToken);
    }

    /// <summary>Sets or clears a key's expiry.</summary>
    /// <param name="keyId">The key id.</param>
    /// <param name="expiresAt">The new expiry, or <see langword="null"/> for never.</param>
    /// <param name="cancellationToken">Cancels the change.</param>
    /// <returns>The updated information, or <see langword="null"/> when there is no such key.</returns>
    public Task<ApiKeyInfo?> SetExpiryAsync(string keyId, DateTimeOffset? expiresAt, CancellationToken cancellationToken = default) =>
        ChangeAsync(keyId, "expiry", r => r.ExpiresAt = expiresAt, cancellationToken);

    /// <summary>Replaces the networks a key may be used from.</summary>
    /// <param name="keyId">The key id.</param>
    /// <param name="networks">CIDR networks; empty for anywhere.</param>
    /// <param name="cancellationToken">Cancels the change.</param>
    /// <returns>The updated information, or <see langword="null"/> when there is no such key.</returns>
    public Task<ApiKeyInfo?> SetAllowedNetworksAsync(string keyId, IReadOnlyList<string> networks, CancellationToken cancellationToken = default)
    {
        var checkedNetworks = CheckNetworks(networks);
        return ChangeAsync(keyId, "allowed networks", r => r.AllowedNetworks = checkedNetworks, cancellationToken);
    }

    private async Task<ApiKeyInfo?> ChangeAsync(string keyId, string what, Action<ApiKeyRecord> change, CancellationToken cancellationToken)
    {
        var record = await FindAsync(keyId, cancellationToken);
        if (record is null)
        {
            return null;
        }

        change(record);
        await SaveAsync(record, cancellationToken);
        _logger.KeyChanged(keyId, what);
        return ApiKeyInfo.From(record);
    }

    private async Task<CreatedApiKey> StoreNewAsync(ApiKeyRecord record, bool test, CancellationToken cancellationToken)
    {
        record.Id = ApiKeyFormat.NewKeyId();
        record.IsTest = test;
        var key = ApiKeyFormat.Create(_options.Prefix, test, record.Id);
        record.Hash = await _hasher.HashAsync(key, _options.HashParameters);
        await _store.CreateAsync(record, cancellationToken);
        _verifier.Evict(record.Id);
        _logger.KeyCreated(record.Id, record.OwnerId);
        return new CreatedApiKey(key, ApiKeyInfo.From(record));
    }

    private async Task SaveAsync(ApiKeyRecord record, CancellationToken cancellationToken)
    {
        await _store.UpdateAsync(record, cancellationToken);
        _verifier.Evict(record.Id);
        try
        {
            await _notifier.PublishAsync(record.Id, cancellationToken);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            _logger.RevocationPublishFailed(record.Id, exception);
        }
    }

    private Task<ApiKeyRecord?> FindAsync(string keyId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(keyId);
        return _store.FindByIdAsync(keyId, cancellationToken);
    }

    private static List<string> CheckScopes(IReadOnlyList<string> scopes)
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
