using Microsoft.Extensions.Configuration;

namespace AuthPatterns.Authorization;

/// <summary>
/// Reads the scopes an endpoint requires from a configuration key: one space-separated string
/// (<c>"Orders:Scopes": "orders:read orders:write"</c>) or an array (<c>["orders:read", "orders:write"]</c>).
/// A missing or empty key is a startup error naming the key, never "no scope required".
/// </summary>
internal static class ConfiguredScopes
{
    public static IReadOnlyList<string> Read(IConfiguration? configuration, string key)
    {
        if (configuration is null)
        {
            throw new InvalidOperationException(
                $"The required scopes come from the configuration key '{key}', but the application has no IConfiguration service.");
        }

        var section = configuration.GetSection(key);
        var scopes = new List<string>();
        if (!string.IsNullOrWhiteSpace(section.Value))
        {
            scopes.AddRange(SplitOnWhitespace(section.Value));
        }
        else
        {
            foreach (var child in section.GetChildren())
            {
                scopes.AddRange(SplitOnWhitespace(child.Value));
            }
        }

        if (scopes.Count == 0)
        {
            throw new InvalidOperationException(
                $"The configuration key '{key}' that names the required scopes is missing or empty. Set it to a space-separated list of scopes or to an array of scopes; an empty list would allow every authenticated caller.");
        }

        foreach (var scope in scopes)
        {
            if (!ScopeClaimNormalizer.IsValidScope(scope))
            {
                throw new InvalidOperationException(
                    $"The configuration key '{key}' holds '{scope}', which is not a valid scope: a scope is one or more printable ASCII characters without spaces, quotes or backslashes.");
            }
        }

        return scopes;
    }

    // Configuration files are edited by hand: a tab or a line break between scopes separates them too.
    private static string[] SplitOnWhitespace(string? value) =>
        string.IsNullOrWhiteSpace(value) ? [] : value.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
}
