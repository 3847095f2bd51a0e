namespace AuthPatterns.ApiKeys;

/// <summary>The body of <c>PUT /admin/api-keys/{id}/networks</c>.</summary>
/// <param name="AllowedNetworks">The CIDR networks; empty for anywhere.</param>
internal sealed record ApiKeyNetworksBody(IReadOnlyList<string>? AllowedNetworks);
