using System.Runtime.CompilerServices;
using AuthPatterns.OpenApi;
using Microsoft.AspNetCore.OpenApi;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Describes layered authentication in the OpenAPI document of <c>Microsoft.AspNetCore.OpenApi</c>.</summary>
public static class LayeredAuthOpenApiOptionsExtensions
{
    private static readonly ConditionalWeakTable<OpenApiOptions, object> Registered = [];

    /// <summary>
    /// Declares the security schemes of the layered schemes the application added (<c>ApiKey</c>: an API key in its
    /// header; <c>Bearer</c>: an HTTP bearer JWT; <c>ForwardAuth</c>: the portal's session cookie) and, on every
    /// operation that requires authorization, the schemes it accepts with the scopes it requires, and its
    /// <c>401</c> and <c>403</c> problem-details answers. Everything is read from the endpoint metadata
    /// (<c>RequireScope</c>, <c>AllowSchemes</c>, <c>[Authorize]</c>, the fallback policy); calling this twice is harmless.
    /// </summary>
    /// <param name="options">The options of one OpenAPI document, as given to <c>AddOpenApi(options => ...)</c>.</param>
    /// <returns>The options.</returns>
    public static OpenApiOptions AddLayeredAuthSecuritySchemes(this OpenApiOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (Registered.TryAdd(options, Registered))
        {
            options.AddDocumentTransformer(new LayeredAuthDocumentTransformer());
            options.AddOperationTransformer(new LayeredAuthOperationTransformer());
        }

        return options;
    }
}
