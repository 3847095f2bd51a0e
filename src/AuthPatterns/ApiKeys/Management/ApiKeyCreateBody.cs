namespace AuthPatterns.ApiKeys;

/// <summary>The body of <c>POST /admin/api-keys</c>.</summary>
/// <param name="OwnerId">The owner; the caller's <c>sub</c> when omitted.</param>
/// <param name="Scopes">The scopes to grant.</param>
/// <param name="Tenant">The tenant (ignored for callers bound to a tenant: theirs is used).</param>
/// <param name="Name">A display name.</param>
/// <param name="ExpiresInSeconds">The lifetime in seconds, or none.</param>
/// <param name="AllowedNetworks">CIDR networks, or none for anywhere.</param>
/// <param name="IsTest">Create a test key.</param>
internal sealed record ApiKeyCreateBody(
    string? OwnerId,
    IReadOnlyList<string>? Scopes,
    string? Tenant = null,
    string? Name = null,
    long? ExpiresInSeconds = null,
    IReadOnlyList<string>? AllowedNetworks = null,
    bool IsTest = false);
