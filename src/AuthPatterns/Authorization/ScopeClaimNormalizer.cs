using System.Security.Claims;

namespace AuthPatterns.Authorization;

/// <summary>
/// Turns the scope claims credentials arrive with (<c>scope</c> as a space-separated string, <c>scp</c> as a string or
/// an array) into one <see cref="LayeredClaimTypes.Scope"/> claim per scope, so scope checks read the same shape
/// whichever scheme authenticated the caller.
/// </summary>
public static class ScopeClaimNormalizer
{
    /// <summary>The claim type some issuers (Azure AD, Okta) use for scopes.</summary>
    public const string ScpClaimType = "scp";

    /// <summary>
    /// Rewrites the identity's <c>scope</c> and <c>scp</c> claims into one <c>scope</c> claim per distinct scope.
    /// Calling it again changes nothing.
    /// </summary>
    /// <param name="identity">The identity to normalize in place.</param>
    public static void Normalize(ClaimsIdentity identity)
    {
        ArgumentNullException.ThrowIfNull(identity);

        List<Claim>? sources = null;
        var needsRewrite = false;
        foreach (var claim in identity.Claims)
        {
            if (IsScopeSource(claim.Type))
            {
                (sources ??= []).Add(claim);
                needsRewrite |= !string.Equals(claim.Type, LayeredClaimTypes.Scope, StringComparison.Ordinal)
                    || claim.Value.AsSpan().IndexOfAny(' ', '\t') >= 0
                    || claim.Value.Length == 0;
            }
        }

        if (sources is null)
        {
            return;
        }

        var scopes = new List<string>(sources.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var claim in sources)
        {
            foreach (var scope in Split(claim.Value))
            {
                if (seen.Add(scope))
                {
                    scopes.Add(scope);
                }
            }
        }

        if (!needsRewrite && scopes.Count == sources.Count)
        {
            return;
        }

        foreach (var claim in sources)
        {
            identity.TryRemoveClaim(claim);
        }

        var issuer = sources[0].Issuer;
        foreach (var scope in scopes)
        {
            identity.AddClaim(new Claim(LayeredClaimTypes.Scope, scope, ClaimValueTypes.String, issuer));
        }
    }

    /// <summary>Splits a space-separated scope string (RFC 6749 §3.3) into its scopes, dropping empty entries.</summary>
    /// <param name="value">The scope string.</param>
    /// <returns>The scopes, in order.</returns>
    public static IEnumerable<string> Split(string? value) =>
        string.IsNullOrWhiteSpace(value)
            ? []
            : value.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>Adds one <c>scope</c> claim per scope to an identity a handler is building.</summary>
    /// <param name="identity">The identity.</param>
    /// <param name="scopes">The granted scopes.</param>
    public static void AddScopes(ClaimsIdentity identity, IEnumerable<string> scopes)
    {
        ArgumentNullException.ThrowIfNull(identity);
        ArgumentNullException.ThrowIfNull(scopes);
        foreach (var scope in scopes)
        {
            identity.AddClaim(new Claim(LayeredClaimTypes.Scope, scope));
        }
    }

    /// <summary>
    /// Tells whether a string is a valid scope token (RFC 6749 §3.3: printable ASCII without space, <c>"</c> or <c>\</c>).
    /// </summary>
    /// <param name="scope">The candidate scope.</param>
    /// <returns><see langword="true"/> when the scope is well-formed.</returns>
    public static bool IsValidScope(string? scope)
    {
        if (string.IsNullOrEmpty(scope))
        {
            return false;
        }

        foreach (var c in scope)
        {
            if (c < 0x21 || c > 0x7E || c == '"' || c == '\\')
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsScopeSource(string type) =>
        string.Equals(type, LayeredClaimTypes.Scope, StringComparison.Ordinal)
        || string.Equals(type, ScpClaimType, StringComparison.Ordinal)
        || string.Equals(type, "http://schemas.microsoft.com/identity/claims/scope", StringComparison.Ordinal);
}
