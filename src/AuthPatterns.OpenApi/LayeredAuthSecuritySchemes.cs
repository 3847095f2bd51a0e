using AuthPatterns.ApiKeys;
using AuthPatterns.ForwardAuth;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;

namespace AuthPatterns.OpenApi;

/// <summary>The OpenAPI security scheme of each built-in layered scheme the application added, built from its options.</summary>
internal static class LayeredAuthSecuritySchemes
{
    /// <summary>The names of the layered schemes the application added, in selection order.</summary>
    public static IReadOnlyList<string> Added(IServiceProvider services) =>
        services.GetService<IOptionsMonitor<LayeredAuthOptions>>()?.Get(LayeredAuthSchemes.Layered).CredentialSchemes.Select(s => s.Name).ToArray() ?? [];

    /// <summary>The security scheme declared for a layered scheme, or <see langword="null"/> for one this package does not know.</summary>
    public static OpenApiSecurityScheme? Create(IServiceProvider services, string scheme)
    {
        switch (scheme)
        {
            case LayeredAuthSchemes.ApiKey:
                var apiKey = services.GetRequiredService<IOptionsMonitor<ApiKeyAuthenticationOptions>>().Get(scheme);
                return new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.ApiKey,
                    In = ParameterLocation.Header,
                    Name = apiKey.HeaderName,
                    Description = $"An API key in the '{apiKey.HeaderName}' header (or 'Authorization: ApiKey <key>'); never in the query string.",
                };
            case LayeredAuthSchemes.Bearer:
                return new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.Http,
                    Scheme = "bearer",
                    BearerFormat = "JWT",
                    Description = "A JWT access token in 'Authorization: Bearer <token>'.",
                };
            case LayeredAuthSchemes.ForwardAuth:
                var forwardAuth = services.GetRequiredService<IOptionsMonitor<ForwardAuthAuthenticationOptions>>().Get(scheme);
                var cookie = forwardAuth.CookieName ?? forwardAuth.TokenCookieName;
                return cookie is null
                    ? null
                    : new OpenApiSecurityScheme
                    {
                        Type = SecuritySchemeType.ApiKey,
                        In = ParameterLocation.Cookie,
                        Name = cookie,
                        Description = "The sign-in portal's session cookie, set by signing in through the portal in a browser; unsafe methods also need the CSRF header.",
                    };
            default:
                return null;
        }
    }
}
