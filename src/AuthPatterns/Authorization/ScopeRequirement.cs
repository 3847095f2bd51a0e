using Microsoft.AspNetCore.Authorization;

namespace AuthPatterns.Authorization;

/// <summary>
/// Requires the caller to hold scopes, read from the normalized <see cref="LayeredClaimTypes.Scope"/> claims.
/// </summary>
public sealed class ScopeRequirement : IAuthorizationRequirement
{
    /// <summary>Creates a scope requirement.</summary>
    /// <param name="scopes">The scopes; at least one, each a valid scope token.</param>
    /// <param name="match">Whether all scopes or any one of them is required.</param>
    /// <exception cref="ArgumentException">The list is empty or holds an invalid scope.</exception>
    public ScopeRequirement(IEnumerable<string> scopes, ScopeMatch match = ScopeMatch.All)
    {
        ArgumentNullException.ThrowIfNull(scopes);
        var list = new List<string>();
        foreach (var scope in scopes)
        {
            if (!ScopeClaimNormalizer.IsValidScope(scope))
            {
                throw new ArgumentException(
                    $"'{scope}' is not a valid scope: a scope is one or more printable ASCII characters without spaces, quotes or backslashes.",
                    nameof(scopes));
            }

            if (!list.Contains(scope, StringComparer.Ordinal))
            {
                list.Add(scope);
            }
        }

        if (list.Count == 0)
        {
            throw new ArgumentException(
                "A scope requirement needs at least one scope; an empty list would allow every authenticated caller.",
                nameof(scopes));
        }

        Scopes = list;
        Match = match;
    }

    /// <summary>The required scopes.</summary>
    public IReadOnlyList<string> Scopes { get; }

    /// <summary>Whether all scopes or any one of them is required.</summary>
    public ScopeMatch Match { get; }

    /// <inheritdoc />
    public override string ToString() =>
        $"{(Match == ScopeMatch.All ? "All" : "Any")} of the scopes: {string.Join(' ', Scopes)}";
}
