using System.Security.Claims;
using AuthPatterns.Authorization;
using AuthPatterns.Infrastructure;

namespace AuthPatterns.ForwardAuth;

/// <summary>Who the portal or proxy says the user is. Immutable, so a cached one can be shared; principals are built per request.</summary>
internal sealed class ForwardAuthIdentity(string user, string? name, string? email, IReadOnlyList<string> groups)
{
    private ClaimsFor? _claims;

    public string User { get; } = user;

    public string? Name { get; } = name;

    public string? Email { get; } = email;

    public IReadOnlyList<string> Groups { get; } = groups;

    private const int MaxValueLength = 1024;

    public static ForwardAuthIdentity? From(Func<string, string?> header, ForwardAuthAuthenticationOptions options)
    {
        var user = header(options.UserHeader!)?.Trim();
        // A comma means the header came twice (or a list was sent): no single user to vouch for.
        if (string.IsNullOrEmpty(user) || user.Length > MaxValueLength || user.Contains(',', StringComparison.Ordinal))
        {
            return null;
        }

        var groups = new List<string>();
        var rawGroups = header(options.GroupsHeader!);
        if (!string.IsNullOrEmpty(rawGroups))
        {
            foreach (var group in rawGroups.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (group.Length <= MaxValueLength && !groups.Contains(group, StringComparer.Ordinal))
                {
                    groups.Add(group);
                }
            }
        }

        return new ForwardAuthIdentity(user, Clean(header(options.NameHeader!)), Clean(header(options.EmailHeader!)), groups);
    }

    /// <summary>
    /// A new principal for one request. The claims are built once per options instance and then read (never copied)
    /// by every request this identity serves from the answer cache; a reload of the options builds them again.
    /// </summary>
    public ClaimsPrincipal ToPrincipal(string scheme, ForwardAuthAuthenticationOptions options)
    {
        var claims = _claims;
        if (claims is null || !ReferenceEquals(claims.Options, options))
        {
            // Two requests may build them at once; either result is the same.
            claims = new ClaimsFor(options, new SharedClaims(Claims(options), scheme, LayeredClaimTypes.Subject, LayeredClaimTypes.Group));
            _claims = claims;
        }

        return new ClaimsPrincipal(claims.Shared.CreateIdentity(scheme));
    }

    /// <summary>A principal for an identity that serves one request only (read from trusted proxy headers).</summary>
    public ClaimsPrincipal ToPrincipalOnce(string scheme, ForwardAuthAuthenticationOptions options) =>
        new(new ClaimsIdentity(Claims(options), scheme, LayeredClaimTypes.Subject, LayeredClaimTypes.Group));

    private List<Claim> Claims(ForwardAuthAuthenticationOptions options)
    {
        var claims = new List<Claim>(4 + Groups.Count)
        {
            new(LayeredClaimTypes.Subject, User),
            new(LayeredClaimTypes.Name, Name ?? User),
        };
        if (Email is not null)
        {
            claims.Add(new Claim(LayeredClaimTypes.Email, Email));
        }

        var scopes = new List<string>();
        foreach (var group in Groups)
        {
            claims.Add(new Claim(LayeredClaimTypes.Group, group));
            if (options.GroupScopes.TryGetValue(group, out var granted))
            {
                AddDistinct(scopes, granted);
            }
        }

        if (options.UserScopes.TryGetValue(User, out var userScopes))
        {
            AddDistinct(scopes, userScopes);
        }

        var identity = new ClaimsIdentity(claims);
        ScopeClaimNormalizer.AddScopes(identity, scopes);
        return [.. identity.Claims];
    }

    private static void AddDistinct(List<string> scopes, string granted)
    {
        foreach (var scope in ScopeClaimNormalizer.Split(granted))
        {
            if (!scopes.Contains(scope, StringComparer.Ordinal))
            {
                scopes.Add(scope);
            }
        }
    }

    private static string? Clean(string? value)
    {
        var trimmed = value?.Trim();
        return string.IsNullOrEmpty(trimmed) || trimmed.Length > MaxValueLength ? null : trimmed;
    }

    private sealed record ClaimsFor(ForwardAuthAuthenticationOptions Options, SharedClaims Shared);
}
