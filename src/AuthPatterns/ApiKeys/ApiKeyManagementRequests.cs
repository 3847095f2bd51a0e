namespace AuthPatterns.ApiKeys;

/// <summary>The body of <c>POST /admin/api-keys</c>.</summary>
/// <param name="OwnerId">The owner; the caller's <c>sub</c> when omitted.</param>
/// <param name="Scopes">The scopes to grant.</param>
/// <param name="Tenant">The tenant (ignored for callers bound to a tenant: theirs is used).</param>
/// <param name="Name">A display name.</param>
/// <param name="ExpiresInSeconds">The lifetime in seconds, or none.</param>
/// <param name="AllowedNetworks">CIDR networks, or none for anywhere.</param>
/// <param name="IsTest">Create a test key.</param>
public sealed record ApiKeyCreateBody(
    string? OwnerId,
    IReadOnlyList<string>? Scopes,
    string? Tenant = null,
    string? Name = null,
    long? ExpiresInSeconds = null,
    IReadOnlyList<string>? AllowedNetworks = null,
    bool IsTest = false);

/// <summary>The body of <c>POST /admin/api-keys/{id}/revoke</c>.</summary>
/// <param name="Reason">Why.</param>
public sealed record ApiKeyRevokeBody(string? Reason);

/// <summary>The body of <c>POST /admin/api-keys/{id}/roll</c>.</summary>
/// <param name="GracePeriodSeconds">How long the old key keeps working (default one day).</param>
public sealed record ApiKeyRollBody(long? GracePeriodSeconds);

/// <summary>The body of <c>PUT /admin/api-keys/{id}/scopes</c>.</summary>
/// <param name="Scopes">The new scopes.</param>
public sealed record ApiKeyScopesBody(IReadOnlyList<string>? Scopes);

/// <summary>The body of <c>PUT /admin/api-keys/{id}/expiry</c>.</summary>
/// <param name="ExpiresAt">The new expiry, or <see langword="null"/> for never.</param>
public sealed record ApiKeyExpiryBody(DateTimeOffset? ExpiresAt);

/// <summary>The body of <c>PUT /admin/api-keys/{id}/networks</c>.</summary>
/// <param name="AllowedNetworks">The CIDR networks; empty for anywhere.</param>
public sealed record ApiKeyNetworksBody(IReadOnlyList<string>? AllowedNetworks);
