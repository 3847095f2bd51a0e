using System.Diagnostics;
using System.Net;
using System.Security.Claims;
using System.Threading.RateLimiting;
using AuthPatterns.Authorization;
using AuthPatterns.Infrastructure;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AuthPatterns.ApiKeys;

/// <summary>The result of one verification: an outcome code and, when the key was found, its record.</summary>
internal sealed record ApiKeyVerification(string Outcome, string? KeyId, ApiKeyRecord? Record = null, SharedClaims? Claims = null)
{
    public static readonly ApiKeyVerification Malformed = new(ApiKeyOutcomes.Malformed, null);

    public bool Succeeded => string.Equals(Outcome, ApiKeyOutcomes.Valid, StringComparison.Ordinal);
}

/// <summary>
/// Verifies presented keys, cheapest check first: format and checksum (no I/O), the verified-key cache (a
/// <see cref="CredentialCache{TValue}"/> keyed by an HMAC of the whole key under a per-process secret, bounded by
/// <c>CacheSizeLimit</c> entries, least recently used evicted first so new keys keep being cached when it is full),
/// the memory of unknown ids (a <see cref="CredentialIdMemory"/>, which also remembers removals), the store, the key's state, the per-key
/// and per-address budgets, and only then Argon2id, under a concurrency limit that sheds load rather than queueing
/// without bound. Concurrent first uses of one key share one Argon2id verification. State (expiry, revocation,
/// networks) is checked on every request, cached or not.
/// <para>
/// The budgets throttle guesses, not keys. Each client address may cost <c>MaxVerificationsPerAddress</c> hashes per
/// window, whatever the keys. Each key id may cost <c>MaxVerificationsPerKey</c> hashes per window from all addresses
/// together; once that is spent, each address that has not sent a wrong secret for that id in the window still gets one
/// reserved verification, so the owner of a key under attack, calling from an address of its own, verifies and is
/// cached, while the guessing addresses are refused without a hash. A cache hit never consults a budget. Hash work per
/// key id per window is thus at most its budget plus one per distinct address, and each address stays within its own.
/// The budgets are counted by <see cref="IApiKeyAttemptBudgets"/>: on this instance, or shared by all instances.
/// </para>
/// </summary>
internal sealed class ApiKeyVerifier : IDisposable
{
    private readonly IApiKeyStore _store;
    private readonly ApiKeyTelemetry _telemetry;
    private readonly ApiKeyHasher _hasher;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ApiKeyAuthenticationOptions _options;
    private readonly CredentialCache<CachedKey> _verified;
    private readonly CredentialIdMemory _ids;
    private readonly ConcurrencyLimiter _hashSlots;
    private readonly ShedWarning _shedWarning;
    private readonly IApiKeyAttemptBudgets _budgets;
    private readonly OutageLog _storeOutage;

    public ApiKeyVerifier(
        IApiKeyStore store,
        ApiKeyHasher hasher,
        IApiKeyAttemptBudgets budgets,
        IOptionsMonitor<ApiKeyAuthenticationOptions> options,
        TimeProvider time,
        ILogger<ApiKeyVerifier> logger,
        ApiKeyTelemetry telemetry)
    {
        _telemetry = telemetry;
        _store = store;
        _hasher = hasher;
        _budgets = budgets;
        _time = time;
        _logger = logger;
        _options = options.Get(ApiKeyAuthenticationDefaults.AuthenticationScheme);
        _storeOutage = new OutageLog(time);
        _shedWarning = new ShedWarning(time);

        // One entry counts one unit: the budget is a number of keys.
        _verified = new CredentialCache<CachedKey>(_options.CacheSizeLimit, time);
        telemetry.CachedKeys.Observe(ApiKeyAuthenticationDefaults.AuthenticationScheme, () => _verified.Count);
        _ids = new CredentialIdMemory(_options.CacheSizeLimit, time);
        _hashSlots = new ConcurrencyLimiter(new ConcurrencyLimiterOptions
        {
            PermitLimit = _options.MaxConcurrentVerifications,
            QueueLimit = _options.MaxQueuedVerifications,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        });
    }

    public ApiKeyAuthenticationOptions Options => _options;

    public int CachedCount => _verified.Count;

    /// <summary>The ids remembered as unknown or removed (tests observe its bound).</summary>
    internal CredentialIdMemory Ids => _ids;

    /// <summary>The Argon2id slots (tests hold them to observe shedding).</summary>
    internal ConcurrencyLimiter HashSlots => _hashSlots;

    public async ValueTask<ApiKeyVerification> VerifyAsync(string presented, IPAddress? address, CancellationToken cancellationToken)
    {
        if (!ApiKeyFormat.TryParse(presented, _options.Prefix, out var parsed) || (parsed.IsTest && !_options.AcceptTestKeys))
        {
            return ApiKeyVerification.Malformed;
        }

        var now = _time.GetUtcNow();
        var cacheKey = _verified.KeyOf(presented);
        if (_verified.TryGet(cacheKey, out var cached))
        {
            _telemetry.CacheLookup(hit: true);
            return CheckState(cached.Record, cached.Networks, address, now, cached.Claims);
        }

        _telemetry.CacheLookup(hit: false);
        if (_ids.IsUnknown(parsed.KeyId))
        {
            return new ApiKeyVerification(ApiKeyOutcomes.NotFound, parsed.KeyId);
        }

        // Every Argon2id slot and queue place is taken: this request would be shed after its lookup anyway. Shedding it
        // before the store is asked keeps a burst of first uses, and the retries its Retry-After brings back, from
        // costing a query each. No key id is reported: nothing was looked up.
        if (AreHashSlotsFull())
        {
            return Shed(null);
        }

        // A revocation that lands while this verification runs must not be undone by caching the record read before it.
        var epoch = _ids.Generation;
        ApiKeyRecord? record;
        try
        {
            record = await _store.FindByIdAsync(parsed.KeyId, cancellationToken);
        }
        catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
        {
            // Fail closed, and say so: a store outage is a 503 the caller can retry, never a 500 or a valid key. The
            // outage is logged in full once, then summed up once a minute: every uncached request fails the same way.
            var step = _storeOutage.Failed();
            switch (step.Kind)
            {
                case OutageStepKind.First:
                    _logger.StoreUnavailable(parsed.KeyId, exception);
                    break;
                case OutageStepKind.Summary:
                    _logger.StoreStillUnavailable(step.Duration.TotalSeconds, step.FailuresSinceLastLine);
                    break;
                default:
                    _logger.StoreUnavailableAgain(parsed.KeyId);
                    break;
            }

            return new ApiKeyVerification(ApiKeyOutcomes.StoreUnavailable, parsed.KeyId);
        }

        if (_storeOutage.Recovered(out var outage, out var refused))
        {
            _logger.StoreAvailableAgain(outage.TotalSeconds, refused);
        }

        if (record is null)
        {
            _ids.RememberUnknown(parsed.KeyId, now + _options.NotFoundCacheLifetime);
            return new ApiKeyVerification(ApiKeyOutcomes.NotFound, parsed.KeyId);
        }

        // A dead key costs no hash: its state is refused before Argon2id runs.
        var networks = ParseNetworks(record.AllowedNetworks);
        var state = CheckState(record, networks, address, now);
        if (!state.Succeeded)
        {
            return state;
        }

        var partition = address?.ToString() ?? "unknown";

        // The shared verification is not cancelled by one caller going away: others may be waiting for it.
        var result = await _verified.ShareAsync(
            cacheKey,
            (Verifier: this, Presented: presented, Key: cacheKey, Record: record, Networks: networks, Partition: partition, Epoch: epoch),
            static state => state.Verifier.VerifyHashAsync(state.Presented, state.Key, state.Record, state.Networks, state.Partition, state.Epoch),
            cancellationToken);
        return result.Succeeded ? CheckState(result.Record!, networks, address, _time.GetUtcNow(), result.Claims) : result;
    }

    /// <summary>
    /// The warm path: the verification of a key this instance verified before and still caches, when its state allows
    /// it now (not revoked, not expired, from an allowed network); otherwise <see langword="null"/>, having recorded
    /// nothing, so <see cref="VerifyAsync"/> can decide the request in full. A cached key parsed when it was verified.
    /// </summary>
    internal ApiKeyVerification? TryVerifyCached(string presented, IPAddress? address)
    {
        if (!_verified.TryGet(_verified.KeyOf(presented), out var cached))
        {
            return null;
        }

        var state = CheckState(cached.Record, cached.Networks, address, _time.GetUtcNow(), cached.Claims);
        if (!state.Succeeded)
        {
            return null;
        }

        _telemetry.CacheLookup(hit: true);
        return state;
    }

    /// <summary>Drops a key from every cache of this instance (after a revocation or a change).</summary>
    public void Evict(string keyId)
    {
        // The removal is recorded before the entries go, so a verification caching meanwhile sees one or the other.
        _ids.Removed(keyId);
        _verified.RemoveWhere(keyId, static (cached, id) => string.Equals(cached.Record.Id, id, StringComparison.Ordinal));
    }

    /// <summary>
    /// Drops every key from every cache of this instance: after revocations may have been missed (a broadcast channel
    /// that was down), nothing verified before now is trusted again without the store.
    /// </summary>
    public void EvictAll()
    {
        _ids.RemovedAll();
        _verified.Clear();
    }

    public void Dispose()
    {
        _verified.Dispose();
        _hashSlots.Dispose();
    }

    private async Task<ApiKeyVerification> VerifyHashAsync(string presented, CredentialKey cacheKey, ApiKeyRecord record, IPNetwork[] networks, string partition, long epoch)
    {
        await Task.Yield();

        // A verification that finished between this caller's cache miss and now has already cached the key.
        if (_verified.TryGet(cacheKey, out var cached))
        {
            return new ApiKeyVerification(ApiKeyOutcomes.Valid, record.Id, cached.Record, cached.Claims);
        }

        // Look before taking a slot, so a throttled caller never occupies one; take the permits only when hashing.
        var pair = string.Concat(record.Id, "\n", partition);
        if (!await _budgets.HasPermitAsync(ApiKeyBudget.Address, partition)
            || (!await _budgets.HasPermitAsync(ApiKeyBudget.Key, record.Id) && !await _budgets.HasPermitAsync(ApiKeyBudget.Reserved, pair)))
        {
            return new ApiKeyVerification(ApiKeyOutcomes.RateLimited, record.Id);
        }

        using var slot = await _hashSlots.AcquireAsync(1);
        if (!slot.IsAcquired)
        {
            return Shed(record.Id);
        }

        if (!await _budgets.TryTakeAsync(ApiKeyBudget.Address, partition))
        {
            return new ApiKeyVerification(ApiKeyOutcomes.RateLimited, record.Id);
        }

        // The key's budget first; when guesses spent it, the address's one reserved verification for this key id.
        if (!await _budgets.TryTakeAsync(ApiKeyBudget.Key, record.Id) && !await _budgets.TryTakeAsync(ApiKeyBudget.Reserved, pair))
        {
            return new ApiKeyVerification(ApiKeyOutcomes.RateLimited, record.Id);
        }

        var started = Stopwatch.GetTimestamp();
        var (valid, needsRehash) = await _hasher.VerifyAsync(presented, record.Hash, _options.HashParameters);
        _telemetry.HashVerified(Stopwatch.GetElapsedTime(started).TotalMilliseconds, valid);
        if (!valid)
        {
            // A guessing address loses its reserved verification of this key id for the rest of the window.
            await _budgets.TryTakeAsync(ApiKeyBudget.Reserved, pair);
            return new ApiKeyVerification(ApiKeyOutcomes.InvalidSecret, record.Id);
        }

        if (needsRehash)
        {
            try
            {
                record.Hash = await _hasher.HashAsync(presented, _options.HashParameters);
                await _store.UpdateHashAsync(record.Id, record.Hash);
                _logger.HashUpgraded(record.Id);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                _logger.HashUpgradeFailed(record.Id, exception);
            }
        }

        var verified = Remember(cacheKey, record, networks, epoch);
        return new ApiKeyVerification(ApiKeyOutcomes.Valid, record.Id, record, verified.Claims);
    }

    private bool AreHashSlotsFull()
    {
        var slots = _hashSlots.GetStatistics();
        return slots is { CurrentAvailablePermits: 0 } && slots.CurrentQueuedCount >= _options.MaxQueuedVerifications;
    }

    private ApiKeyVerification Shed(string? keyId)
    {
        if (_shedWarning.ShouldWarn(out var shed))
        {
            _logger.VerificationShed(_options.MaxConcurrentVerifications + _options.MaxQueuedVerifications, shed);
        }

        return new ApiKeyVerification(ApiKeyOutcomes.Overloaded, keyId);
    }

    private static ApiKeyVerification CheckState(ApiKeyRecord record, IPNetwork[] networks, IPAddress? address, DateTimeOffset now, SharedClaims? claims = null)
    {
        if (record.RevokedAt is { } revoked && revoked <= now)
        {
            return new ApiKeyVerification(ApiKeyOutcomes.Revoked, record.Id);
        }

        if (record.ExpiresAt is { } expires && expires <= now)
        {
            return new ApiKeyVerification(ApiKeyOutcomes.Expired, record.Id);
        }

        if (networks.Length > 0 && !IsAllowed(networks, address))
        {
            return new ApiKeyVerification(ApiKeyOutcomes.NetworkNotAllowed, record.Id);
        }

        return new ApiKeyVerification(ApiKeyOutcomes.Valid, record.Id, record, claims);
    }

    private static bool IsAllowed(IPNetwork[] networks, IPAddress? address)
    {
        if (address is null)
        {
            return false;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        foreach (var network in networks)
        {
            if (network.Contains(address))
            {
                return true;
            }
        }

        return false;
    }

    internal static IPNetwork[] ParseNetworks(List<string> networks)
    {
        if (networks.Count == 0)
        {
            return [];
        }

        var parsed = new List<IPNetwork>(networks.Count);
        foreach (var network in networks)
        {
            // An unreadable entry allows nothing; it never widens the list.
            if (IPNetwork.TryParse(network, out var value))
            {
                parsed.Add(value);
            }
        }

        // A list of only unreadable entries must still restrict: match no address.
        return parsed.Count > 0 ? [.. parsed] : [new IPNetwork(IPAddress.IPv6None, 128)];
    }

    private CachedKey Remember(CredentialKey cacheKey, ApiKeyRecord record, IPNetwork[] networks, long epoch)
    {
        var verified = new CachedKey(record, networks, ClaimsOf(record));
        if (_ids.WasRemovedSince(record.Id, epoch))
        {
            return verified;
        }

        var until = _time.GetUtcNow() + _options.CacheLifetime;
        if (record.ExpiresAt is { } expires && expires < until)
        {
            until = expires;
        }

        // Full of live keys, the least recently used make room: a new key is always cached.
        _verified.Set(cacheKey, verified, until);

        // An eviction that ran between the check above and the set has either removed the entry or is seen here.
        if (_ids.WasRemovedSince(record.Id, epoch))
        {
            _verified.Remove(cacheKey);
        }

        return verified;
    }

    /// <summary>
    /// The claims of a verified key, kept with it in the cache and read (never copied) by each request's principal: its
    /// owner, id, tenant and name, and one claim per scope.
    /// </summary>
    internal static SharedClaims ClaimsOf(ApiKeyRecord record)
    {
        var identity = new ClaimsIdentity(ApiKeyAuthenticationDefaults.AuthenticationScheme, LayeredClaimTypes.Subject, ClaimsIdentity.DefaultRoleClaimType);
        identity.AddClaim(new Claim(LayeredClaimTypes.Subject, record.OwnerId));
        identity.AddClaim(new Claim(LayeredClaimTypes.KeyId, record.Id));
        if (!string.IsNullOrEmpty(record.Tenant))
        {
            identity.AddClaim(new Claim(LayeredClaimTypes.Tenant, record.Tenant));
        }

        if (!string.IsNullOrEmpty(record.Name))
        {
            identity.AddClaim(new Claim(LayeredClaimTypes.Name, record.Name));
        }

        ScopeClaimNormalizer.AddScopes(identity, record.Scopes);
        return new SharedClaims(identity.Claims, identity.AuthenticationType!, identity.NameClaimType, identity.RoleClaimType);
    }


    private sealed record CachedKey(ApiKeyRecord Record, IPNetwork[] Networks, SharedClaims Claims);
}
