namespace AuthPatterns.ApiKeys;

/// <summary>What may be shown about a key: everything but the key and its hash.</summary>
public sealed record ApiKeyInfo
{
    /// <summary>The public key id.</summary>
    public required string Id { get; init; }

    /// <summary>Whether this is a <c>test</c> key.</summary>
    public bool IsTest { get; init; }

    /// <summary>The owner (<c>sub</c>).</summary>
    public required string OwnerId { get; init; }

    /// <summary>The tenant, if any.</summary>
    public string? Tenant { get; init; }

    /// <summary>The display name, if any.</summary>
    public string? Name { get; init; }

    /// <summary>The granted scopes.</summary>
    public required IReadOnlyList<string> Scopes { get; init; }

    /// <summary>When the key was created.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>When the key expires, if ever.</summary>
    public DateTimeOffset? ExpiresAt { get; init; }

    /// <summary>When the key was revoked, if it was.</summary>
    public DateTimeOffset? RevokedAt { get; init; }

    /// <summary>Why the key was revoked.</summary>
    public string? RevocationReason { get; init; }

    /// <summary>When the key was last used (may lag by the flush interval).</summary>
    public DateTimeOffset? LastUsedAt { get; init; }

    /// <summary>The address of the last use.</summary>
    public string? LastUsedAddress { get; init; }

    /// <summary>The networks (CIDR) the key may be used from; empty for anywhere.</summary>
    public required IReadOnlyList<string> AllowedNetworks { get; init; }

    /// <summary>The id of the key this one replaced, if any.</summary>
    public string? RolledFromId { get; init; }

    /// <summary>Copies the showable fields of a record.</summary>
    /// <param name="record">The record.</param>
    /// <returns>The information, without the hash.</returns>
    internal static ApiKeyInfo From(ApiKeyRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return new ApiKeyInfo
        {
            Id = record.Id,
            IsTest = record.IsTest,
            OwnerId = record.OwnerId,
            Tenant = record.Tenant,
            Name = record.Name,
            Scopes = [.. record.Scopes],
            CreatedAt = record.CreatedAt,
            ExpiresAt = record.ExpiresAt,
            RevokedAt = record.RevokedAt,
            RevocationReason = record.RevocationReason,
            LastUsedAt = record.LastUsedAt,
            LastUsedAddress = record.LastUsedAddress,
            AllowedNetworks = [.. record.AllowedNetworks],
            RolledFromId = record.RolledFromId,
        };
    }
}

/// <summary>A key just created: the only time the key itself is available. Show it once; it is not stored.</summary>
/// <param name="Key">The key, to hand to its user.</param>
/// <param name="Info">What is stored about it.</param>
public sealed record CreatedApiKey(string Key, ApiKeyInfo Info)
{
    /// <summary>Hides the key from <c>ToString()</c>, so it is not logged by accident.</summary>
    /// <returns>The key id.</returns>
    public override string ToString() => $"CreatedApiKey {{ Id = {Info.Id} }}";
}

/// <summary>What to create a key with.</summary>
public sealed class ApiKeyCreateRequest
{
    /// <summary>The owner, required: becomes the <c>sub</c> claim.</summary>
    public required string OwnerId { get; init; }

    /// <summary>The scopes to grant; at least one.</summary>
    public required IReadOnlyList<string> Scopes { get; init; }

    /// <summary>The tenant, if any.</summary>
    public string? Tenant { get; init; }

    /// <summary>A display name.</summary>
    public string? Name { get; init; }

    /// <summary>How long the key lives; <see langword="null"/> for the configured default (none: never expires).</summary>
    public TimeSpan? Lifetime { get; init; }

    /// <summary>The networks (CIDR) the key may be used from; empty for anywhere.</summary>
    public IReadOnlyList<string> AllowedNetworks { get; init; } = [];

    /// <summary>Creates a <c>test</c> key instead of a <c>live</c> one.</summary>
    public bool IsTest { get; init; }
}
