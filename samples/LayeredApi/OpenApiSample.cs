using Scalar.AspNetCore;

namespace LayeredApi;

/// <summary>
/// The OpenAPI part of the sample: the document (<c>/openapi/v1.json</c>) declares the layered security schemes and
/// each operation's accepted schemes, scopes and 401/403 answers; Scalar (<c>/scalar</c>) lets a developer call the
/// API with a key or a token. Both are served in Development only.
/// </summary>
public static class OpenApiSample
{
    /// <summary>Adds the OpenAPI document with the layered security schemes.</summary>
    /// <param name="services">The services.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddOpenApiSample(this IServiceCollection services) =>
        services.AddOpenApi(options => options.AddLayeredAuthSecuritySchemes());

    /// <summary>Maps the document and the Scalar reference, in Development only, open to anonymous callers.</summary>
    /// <param name="app">The app.</param>
    /// <returns>The app.</returns>
    public static WebApplication MapOpenApiSample(this WebApplication app)
    {
        if (app.Environment.IsDevelopment())
        {
            app.MapOpenApi().AllowAnonymous();
            app.MapScalarApiReference().AllowAnonymous();
        }

        return app;
    }
}
