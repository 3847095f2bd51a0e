using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace AuthPatterns.OpenApi;

/// <summary>Declares the security schemes of the layered schemes the application added, keeping any it declared itself.</summary>
internal sealed class LayeredAuthDocumentTransformer : IOpenApiDocumentTransformer
{
    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        foreach (var name in LayeredAuthSecuritySchemes.Added(context.ApplicationServices))
        {
            if (LayeredAuthSecuritySchemes.Create(context.ApplicationServices, name) is { } scheme)
            {
                document.Components ??= new OpenApiComponents();
                document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>(StringComparer.Ordinal);
                document.Components.SecuritySchemes.TryAdd(name, scheme);
            }
        }

        return Task.CompletedTask;
    }
}
