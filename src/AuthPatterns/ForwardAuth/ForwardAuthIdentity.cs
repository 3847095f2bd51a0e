using System.Security.Claims;
using AuthPatterns.Authorization;

namespace AuthPatterns.ForwardAuth;

/// <summary>Who the portal or proxy says the user is. Immutable, so a cached one can be shared; principals are built per request.</summary>
internal sealed record ForwardAuthIdentity(string User, string? Name, string? Email, IReadOnlyList<string> Groups)
{
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

    public ClaimsPrincipal ToPrincipal(string scheme, ForwardAuthAuthenticationOptions options)
    {
        var identity = new ClaimsIdentity(scheme, LayeredClaimTypes.Subject, LayeredClaimTypes.Group);
        identity.AddClaim(new Claim(LayeredClaimTypes.Subject, User));
        identity.AddClaim(new Claim(LayeredClaimTypes.Name, Name ?? User));
        if (Email is not null)
        {
            identity.AddClaim(new Claim(LayeredClaimTypes.Email, Email));
        }

        var scopes = new List<string>();
        foreach (var group in Groups)
        {
            identity.AddClaim(new Claim(LayeredClaimTypes.Group, group));
            if (options.GroupScopes.TryGetValue(group, out var granted))
            {
                AddDistinct(scopes, granted);
            }
        }

        if (options.UserScopes.TryGetValue(User, out var userScopes))
        {
            AddDistinct(scopes, userScopes);
        }

        ScopeClaimNormalizer.AddScopes(identity, scopes);
        return new ClaimsPrincipal(identity);
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
}
