using System.Security.Claims;

namespace AuthPatterns.ApiKeys;

/// <summary>
/// The rules the management endpoints apply to their HTTP caller, on top of the manager's own checks:
/// <list type="bullet">
/// <item>a caller grants only scopes it holds itself (creating, changing scopes), and changes or rolls only keys whose
/// scopes it holds (a roll hands out a new secret for the same scopes; a revocation only takes, so it needs none);</item>
/// <item>a caller with a <c>tenant</c> claim works within that tenant; a caller without one works on keys without a
/// tenant, unless it holds the admin scope, which then reaches every tenant;</item>
/// <item>without the admin scope a caller works only on its own keys (owner = its <c>sub</c>).</item>
/// </list>
/// A key outside these bounds is answered as not found, so its id is not confirmed.
/// </summary>
internal sealed class ApiKeyManagementCaller
{
    private readonly HashSet<string> _scopes;

    private ApiKeyManagementCaller(string? subject, string? tenant, bool isAdmin, HashSet<string> scopes)
    {
        Subject = subject;
        Tenant = tenant;
        IsAdmin = isAdmin;
        _scopes = scopes;
    }

    public string? Subject { get; }

    public string? Tenant { get; }

    public bool IsAdmin { get; }

    public static ApiKeyManagementCaller From(ClaimsPrincipal user, string adminScope)
    {
        var scopes = new HashSet<string>(user.FindAll(LayeredClaimTypes.Scope).Select(c => c.Value), StringComparer.Ordinal);
        return new ApiKeyManagementCaller(
            user.FindFirstValue(LayeredClaimTypes.Subject) is { Length: > 0 } subject ? subject : null,
            user.FindFirstValue(LayeredClaimTypes.Tenant) is { Length: > 0 } tenant ? tenant : null,
            scopes.Contains(adminScope),
            scopes);
    }

    /// <summary>Whether the key is within the caller's bounds (tenant and owner).</summary>
    public bool CanSee(ApiKeyInfo key) => InTenant(key.Tenant) && (IsAdmin || (Subject is not null && string.Equals(key.OwnerId, Subject, StringComparison.Ordinal)));

    /// <summary>Whether the caller may work in this tenant (<see langword="null"/>: keys without a tenant).</summary>
    public bool InTenant(string? tenant) => Tenant is null ? IsAdmin || tenant is null : string.Equals(tenant, Tenant, StringComparison.Ordinal);

    /// <summary>The scopes the caller does not hold, in the order given, each once.</summary>
    public IReadOnlyList<string> NotHeld(IEnumerable<string> scopes) => [.. scopes.Where(s => !_scopes.Contains(s)).Distinct(StringComparer.Ordinal)];

    /// <summary>A guard for the manager: the key must be within bounds, and (when asked) its scopes held by the caller.</summary>
    public Action<ApiKeyInfo> Guard(bool mustHoldScopes) => key =>
    {
        if (!CanSee(key))
        {
            throw new ApiKeyManagementDeniedException(hidden: true, detail: null);
        }

        if (mustHoldScopes && NotHeld(key.Scopes) is { Count: > 0 } missing)
        {
            throw new ApiKeyManagementDeniedException(hidden: false, NotHeldDetail(missing, "The key has scopes the caller does not hold, so it cannot change or roll it"));
        }
    };

    public static string NotHeldDetail(IReadOnlyList<string> missing, string what) =>
        $"{what}: {string.Join(' ', missing)}. A caller can grant only scopes it holds itself.";
}

/// <summary>A management request the caller's rules refuse: 404 when the key is hidden from the caller, 403 otherwise.</summary>
internal sealed class ApiKeyManagementDeniedException(bool hidden, string? detail) : Exception(detail ?? "Not found.")
{
    public bool Hidden { get; } = hidden;
}
