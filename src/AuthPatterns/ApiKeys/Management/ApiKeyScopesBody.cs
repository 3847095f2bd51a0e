namespace AuthPatterns.ApiKeys;

/// <summary>The body of <c>PUT /admin/api-keys/{id}/scopes</c>.</summary>
/// <param name="Scopes">The new scopes.</param>
internal sealed record ApiKeyScopesBody(IReadOnlyList<string>? Scopes);
