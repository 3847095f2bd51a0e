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
    /// Rewrites the identity's <c>scope</c> and <c>scp</c> claims into one <c>scope</c> claim per distinct, valid scope.
    /// Scope strings are split on the ASCII space only (RFC 6749 §3.3); a token that is not exactly a valid scope
    /// (<see cref="IsValidScope"/>: a tab, a no-break space, a non-ASCII letter, a quote) grants nothing and is dropped,
    /// never trimmed into validity. Calling it again changes nothing.
    /// </summary>
    /// <param name="identity">The identity to normalize in place.</param>
    public static void Normalize(ClaimsIdentity identity) => NormalizeCore(identity);

    /// <summary>Normalizes the identity's scope claims and tells how many scope tokens were dropped as invalid.</summary>
    internal static int NormalizeCore(ClaimsIdentity identity)
    {
        ArgumentNullException.ThrowIfNull(identity);
        var invalid = Read(identity.Claims, out var sources, out var normalized);
        if (normalized is not null)
        {
            foreach (var claim in sources!)
            {
                identity.TryRemoveClaim(claim);
            }

            identity.AddClaims(normalized);
        }

        return invalid;
    }

    /// <summary>
    /// Normalizes the scope claims of a claim list a handler is building, as <see cref="Normalize"/> does an identity's:
    /// the sources leave the list, the normalized claims are appended. Tells how many scope tokens were dropped.
    /// </summary>
    internal static int NormalizeCore(List<Claim> claims)
    {
        var invalid = Read(claims, out _, out var normalized);
        if (normalized is not null)
        {
            claims.RemoveAll(static claim => IsScopeSource(claim.Type));
            claims.AddRange(normalized);
        }

        return invalid;
    }

    // The scope claims among the claims, and the claims to put in their place: one per distinct valid scope, in order
    // (null when there is nothing to rewrite: no scope claim, or already one claim per scope). Returns how many scope
    // tokens were invalid.
    private static int Read(IEnumerable<Claim> claims, out List<Claim>? sources, out List<Claim>? normalized)
    {
        sources = null;
        normalized = null;
        foreach (var claim in claims)
        {
            if (IsScopeSource(claim.Type))
            {
                (sources ??= []).Add(claim);
            }
        }

        if (sources is null)
        {
            return 0;
        }

        var scopes = new List<string>(sources.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var invalid = 0;
        foreach (var claim in sources)
        {
            foreach (var scope in Split(claim.Value))
            {
                if (!IsValidScope(scope))
                {
                    invalid++;
                }
                else if (seen.Add(scope))
                {
                    scopes.Add(scope);
                }
            }
        }

        if (!IsAlreadyNormal(sources, scopes))
        {
            var issuer = sources[0].Issuer;
            normalized = scopes.ConvertAll(scope => new Claim(LayeredClaimTypes.Scope, scope, ClaimValueTypes.String, issuer));
        }

        return invalid;
    }

    /// <summary>
    /// Splits a scope string into its tokens on the ASCII space (RFC 6749 §3.3 <c>scope-token *( SP scope-token )</c>),
    /// dropping empty entries. Nothing is trimmed: a token with a tab or a no-break space stays as it is, and
    /// <see cref="IsValidScope"/> refuses it.
    /// </summary>
    /// <param name="value">The scope string.</param>
    /// <returns>The tokens, in order.</returns>
    public static IEnumerable<string> Split(string? value) =>
        string.IsNullOrEmpty(value) ? [] : value.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>
    /// Adds one <c>scope</c> claim per scope to an identity a handler is building; a scope that is not exactly a valid
    /// scope token (<see cref="IsValidScope"/>) is not added.
    /// </summary>
    /// <param name="identity">The identity.</param>
    /// <param name="scopes">The granted scopes.</param>
    public static void AddScopes(ClaimsIdentity identity, IEnumerable<string> scopes)
    {
        ArgumentNullException.ThrowIfNull(identity);
        ArgumentNullException.ThrowIfNull(scopes);
        foreach (var scope in scopes)
        {
            if (IsValidScope(scope))
            {
                identity.AddClaim(new Claim(LayeredClaimTypes.Scope, scope));
            }
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

    private static bool IsAlreadyNormal(List<Claim> sources, List<string> scopes)
    {
        if (sources.Count != scopes.Count)
        {
            return false;
        }

        for (var i = 0; i < sources.Count; i++)
        {
            if (!string.Equals(sources[i].Type, LayeredClaimTypes.Scope, StringComparison.Ordinal)
                || !string.Equals(sources[i].Value, scopes[i], StringComparison.Ordinal))
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
