namespace AuthPatterns.ApiKeys;

/// <summary>The body of <c>PUT /admin/api-keys/{id}/expiry</c>.</summary>
/// <param name="ExpiresAt">The new expiry, or <see langword="null"/> for never.</param>
internal sealed record ApiKeyExpiryBody(DateTimeOffset? ExpiresAt);
