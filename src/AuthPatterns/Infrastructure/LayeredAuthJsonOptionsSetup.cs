using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace AuthPatterns.Infrastructure;

/// <summary>
/// Appends <see cref="LayeredAuthJsonContext"/> to the application's HTTP JSON resolvers, as ASP.NET Core does for its
/// problem details. With reflection on (the default outside trimmed apps) the reflection resolver comes first and
/// answers as before; without it, the library's own types still serialize, after any context the application added.
/// </summary>
internal sealed class LayeredAuthJsonOptionsSetup : IPostConfigureOptions<JsonOptions>
{
    public void PostConfigure(string? name, JsonOptions options)
    {
        // No resolver at all means "reflection, filled in on first use": adding one would turn that off.
        if (options.SerializerOptions.TypeInfoResolver is not null
            && !options.SerializerOptions.TypeInfoResolverChain.Contains(LayeredAuthJsonContext.Default))
        {
            options.SerializerOptions.TypeInfoResolverChain.Add(LayeredAuthJsonContext.Default);
        }
    }
}
