namespace AuthPatterns.ApiKeys;

/// <summary>
/// One stored API key. Holds the Argon2id hash of the key as a PHC string, never the key itself. Stores persist it;
/// the <see cref="ApiKeyManager"/> never hands it out (it returns <see cref="ApiKeyInfo"/>, without the hash).
/// </summary>
public sealed class ApiKeyRecord
{
    /// <summary>The public key id (12 base62 characters), also part of the key.</summary>
    public string Id { get; set; } = "";

    /// <summary>Whether this is a <c>test</c> key rather than a <c>live</c> one.</summary>
    public bool IsTest { get; set; }

    /// <summary>The owner: becomes the <c>sub</c> claim.</summary>
    public string OwnerId { get; set; } = "";

    /// <summary>The tenant the key belongs to, if any: becomes the <c>tenant</c> claim.</summary>
    public string? Tenant { get; set; }

    /// <summary>A display name chosen by the owner.</summary>
    public string? Name { get; set; }

    /// <summary>The granted scopes, one <c>scope</c> claim each. A key with no scopes passes no scope check.</summary>
    public List<string> Scopes { get; set; } = [];

    /// <summary>When the key was created.</summary>
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>When the key stops working, if ever.</summary>
    public DateTimeOffset? ExpiresAt { get; set; }

    /// <summary>When the key was revoked, if it was.</summary>
    public DateTimeOffset? RevokedAt { get; set; }

    /// <summary>Why the key was revoked.</summary>
    public string? RevocationReason { get; set; }

    /// <summary>When the key was last used (written in batches, so it may lag by the flush interval).</summary>
    public DateTimeOffset? LastUsedAt { get; set; }

    /// <summary>The client address of the last use.</summary>
    public string? LastUsedAddress { get; set; }

    /// <summary>The networks (CIDR, for example <c>10.0.0.0/8</c>) the key may be used from; empty for anywhere.</summary>
    public List<string> AllowedNetworks { get; set; } = [];

    /// <summary>The id of the key this one replaced by a roll, if any.</summary>
    public string? RolledFromId { get; set; }

    /// <summary>The Argon2id hash of the whole key, as a PHC string (<c>$argon2id$v=19$m=..,t=..,p=..$salt$hash</c>).</summary>
    public string Hash { get; set; } = "";

    /// <summary>
    /// The concurrency stamp: a store writes a change only when the stored record still has the version the change was
    /// made on, and increases it by one; a change made on a stale copy is refused and retried on a fresh one.
    /// </summary>
    public long Version { get; set; }

    /// <summary>Copies the record, so a cached or returned copy is never changed behind its holder's back.</summary>
    /// <returns>A copy.</returns>
    public ApiKeyRecord Clone()
    {
        var copy = (ApiKeyRecord)MemberwiseClone();
        copy.Scopes = [.. Scopes];
        copy.AllowedNetworks = [.. AllowedNetworks];
        return copy;
    }
}

/// <summary>A last-use of a key, as written in batches to the store.</summary>
/// <param name="KeyId">The key id.</param>
/// <param name="UsedAt">When it was used.</param>
/// <param name="Address">The client address, if known.</param>
public sealed record ApiKeyLastUse(string KeyId, DateTimeOffset UsedAt, string? Address);

/// <summary>One authenticated request, kept when usage events are on: which key accessed what, and when.</summary>
public sealed class ApiKeyUsageEvent
{
    /// <summary>The database id.</summary>
    public long Id { get; set; }

    /// <summary>The key id.</summary>
    public string KeyId { get; set; } = "";

    /// <summary>When the request arrived.</summary>
    public DateTimeOffset OccurredAt { get; set; }

    /// <summary>The HTTP method.</summary>
    public string Method { get; set; } = "";

    /// <summary>The route pattern of the endpoint (not the raw path, which may carry identifiers), or the path when none.</summary>
    public string Route { get; set; } = "";

    /// <summary>The response status code.</summary>
    public int StatusCode { get; set; }

    /// <summary>The client address, if known.</summary>
    public string? Address { get; set; }
}

/// <summary>
/// How many requests one key made in one period with one outcome: the aggregated usage a dashboard reads, written in
/// batches off the request path. <see cref="Outcome"/> is <see cref="ApiKeyOutcomes.Valid"/> for a request served, or the
/// outcome a refused attempt with this key's id had (see <see cref="ApiKeyUsageCount.CountedOutcomes"/>).
/// </summary>
public sealed class ApiKeyUsageCount
{
    /// <summary>The length of one period: counts are kept per key and per hour (UTC).</summary>
    public static readonly TimeSpan Period = TimeSpan.FromHours(1);

    /// <summary>
    /// The outcomes that are counted: requests served, and the refused attempts that name a stored key (invalid secret,
    /// expired, revoked, rate-limited, network not allowed, key seen in a query string). Attempts with a malformed key or
    /// an unknown id are not, so guessed ids cannot fill the store.
    /// </summary>
    public static IReadOnlyList<string> CountedOutcomes { get; } =
    [
        ApiKeyOutcomes.Valid,
        ApiKeyOutcomes.InvalidSecret,
        ApiKeyOutcomes.Expired,
        ApiKeyOutcomes.Revoked,
        ApiKeyOutcomes.RateLimited,
        ApiKeyOutcomes.NetworkNotAllowed,
        ApiKeyOutcomes.Exposed,
    ];

    /// <summary>The key id.</summary>
    public string KeyId { get; set; } = "";

    /// <summary>The start of the period (UTC, on the hour).</summary>
    public DateTimeOffset PeriodStart { get; set; }

    /// <summary>The outcome, one of <see cref="CountedOutcomes"/>.</summary>
    public string Outcome { get; set; } = "";

    /// <summary>How many requests.</summary>
    public long Count { get; set; }

    /// <summary>The start of the period holding a time.</summary>
    /// <param name="time">The time.</param>
    /// <returns>The time rounded down to the hour, in UTC.</returns>
    public static DateTimeOffset PeriodOf(DateTimeOffset time) =>
        new(time.UtcTicks - (time.UtcTicks % Period.Ticks), TimeSpan.Zero);
}
