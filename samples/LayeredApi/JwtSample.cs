using AuthPatterns;
using AuthPatterns.Issuing;

namespace LayeredApi;

/// <summary>
/// The sample's JWT setup. With <c>LayeredAuth:Jwt:JwksUri</c> (or <c>:Authority</c>/<c>:MetadataAddress</c>),
/// <c>:Issuer</c> and <c>:Audience</c> set, it validates tokens from that issuer. With none set, in Development, it
/// runs its own development issuer (the key ring <c>authpatterns token mint</c> uses too) and serves its JWKS; the
/// startup guide prints a ready token and a curl line. Elsewhere, without configuration, the JWT scheme is off.
/// </summary>
public static class JwtSample
{
    /// <summary>The audience of the sample API when none is configured.</summary>
    public const string DefaultAudience = "layered-api";

    /// <summary>Adds the JWT scheme as configured, or the development issuer.</summary>
    /// <param name="layered">The layered authentication builder.</param>
    /// <param name="builder">The application builder (configuration and environment).</param>
    /// <returns>The layered builder.</returns>
    public static LayeredAuthBuilder AddJwtSample(this LayeredAuthBuilder layered, WebApplicationBuilder builder)
    {
        var jwt = builder.Configuration.GetSection("LayeredAuth:Jwt");
        if (!string.IsNullOrEmpty(jwt["JwksUri"]) || !string.IsNullOrEmpty(jwt["Authority"]) || !string.IsNullOrEmpty(jwt["MetadataAddress"]))
        {
            return layered.AddJwt();
        }

        if (!builder.Environment.IsDevelopment())
        {
            return layered;
        }

        var keyDirectory = jwt["DevelopmentKeyDirectory"];
        builder.Services.AddSigningKeyRing(ring => DevelopmentSigningKeys.Configure(ring, string.IsNullOrEmpty(keyDirectory) ? null : keyDirectory));
        builder.Services.AddServiceTokenIssuer(issuer =>
        {
            issuer.Issuer = DevelopmentSigningKeys.Issuer;
            issuer.DefaultSubject = "layered-api-dev";
        });
        return layered.AddJwt(options =>
        {
            options.UseLocalSigningKeys = true;
            options.Issuer = DevelopmentSigningKeys.Issuer;
            options.Audience ??= DefaultAudience;
        });
    }

    /// <summary>In development-issuer mode: maps the JWKS (the guide printed at startup shows a ready token).</summary>
    /// <param name="app">The application.</param>
    /// <returns>The application.</returns>
    public static WebApplication UseJwtSample(this WebApplication app)
    {
        if (app.Services.GetService<IServiceTokenIssuer>() is not null)
        {
            app.MapJwks();
        }

        return app;
    }
}
