namespace AuthPatterns.ApiKeys;

/// <summary>The body of <c>POST /admin/api-keys/{id}/revoke</c>.</summary>
/// <param name="Reason">Why.</param>
internal sealed record ApiKeyRevokeBody(string? Reason);
