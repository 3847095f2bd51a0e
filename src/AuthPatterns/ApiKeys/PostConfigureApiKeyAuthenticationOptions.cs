using Microsoft.Extensions.Options;

namespace AuthPatterns.ApiKeys;

/// <summary>Derives defaults of the API-key options after configuration: trims names, keeps the queue bound sane.</summary>
internal sealed class PostConfigureApiKeyAuthenticationOptions : IPostConfigureOptions<ApiKeyAuthenticationOptions>
{
    public void PostConfigure(string? name, ApiKeyAuthenticationOptions options)
    {
        options.HeaderName = options.HeaderName?.Trim() ?? "";
        options.Prefix = options.Prefix?.Trim() ?? "";

        // Binding appends to the default list; the same name twice changes nothing but costs a comparison per request.
        var names = options.QueryParameterNames.Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        options.QueryParameterNames.Clear();
        foreach (var parameter in names)
        {
            options.QueryParameterNames.Add(parameter);
        }
    }
}
