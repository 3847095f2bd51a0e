namespace AuthPatterns.ApiKeys;

/// <summary>The body of <c>POST /admin/api-keys/{id}/roll</c>.</summary>
/// <param name="GracePeriodSeconds">How long the old key keeps working (default one day).</param>
internal sealed record ApiKeyRollBody(long? GracePeriodSeconds);
