using System.Text.Json.Serialization;

namespace AuthPatterns.ApiKeys;

/// <summary>The answer of <c>POST /admin/api-keys</c> and <c>POST /admin/api-keys/{id}/roll</c>: the key, shown once, and its record.</summary>
/// <param name="Key">The plaintext key.</param>
/// <param name="Info">The key's record.</param>
internal sealed record ApiKeyCreatedBody(
    [property: JsonPropertyName("key")] string Key,
    [property: JsonPropertyName("info")] ApiKeyInfo Info)
{
    public override string ToString() => $"ApiKeyCreatedBody {{ Id = {Info.Id} }}";
}
