using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace AuthPatterns.Jwt;

/// <summary>
/// What the scheme checks at startup: <see cref="JwtAuthenticationOptions.Validate"/>, then what depends on the
/// application (https key addresses outside Development, the signing key ring for local keys).
/// </summary>
internal static class JwtAuthenticationOptionsValidation
{
    public static void Validate(JwtAuthenticationOptions options, IServiceProvider services)
    {
        RefuseUserJwtsSection(services);
        options.Validate();
        var requireHttps = options.RequireHttpsMetadata ?? services.GetService<IHostEnvironment>()?.IsDevelopment() != true;
        if (requireHttps)
        {
            // Keys fetched over plain HTTP can be replaced by anyone on the path: refuse at startup, not on every token.
            RequireHttps(options.JwksUri?.ToString(), "JwksUri");
            RequireHttps(options.Authority, "Authority");
            RequireHttps(options.MetadataAddress?.ToString(), "MetadataAddress");
        }

        if (options.UseLocalSigningKeys && services.GetService<Issuing.LocalSigningKeySource>() is null)
        {
            throw new InvalidOperationException(
                "LayeredAuth:Jwt:UseLocalSigningKeys needs the application's signing key ring: call services.AddSigningKeyRing().");
        }
    }

    /// <summary>
    /// <c>dotnet user-jwts</c> writes <c>Authentication:Schemes:Bearer</c> (issuers, audiences and an HMAC signing key in
    /// user secrets). The scheme never accepts HMAC-signed tokens, and reading that section in Development only would make
    /// development accept what production refuses; so the section is refused, not silently ignored.
    /// </summary>
    private static void RefuseUserJwtsSection(IServiceProvider services)
    {
        var configuration = services.GetService<IAuthenticationConfigurationProvider>()?.AuthenticationConfiguration;
        if (configuration?.GetSection("Schemes:" + LayeredAuthSchemes.Bearer).Exists() == true)
        {
            throw new InvalidOperationException(
                "Authentication:Schemes:Bearer (what 'dotnet user-jwts' writes) is not read by the layered Bearer scheme: its tokens are "
                + "HMAC-signed, which the scheme never accepts. Remove the section (and 'dotnet user-jwts clear'), configure "
                + "LayeredAuth:Jwt (Issuer or ValidIssuers, Audience or ValidAudiences, and JwksUri, Authority or UseLocalSigningKeys), "
                + "and mint development tokens with 'authpatterns token mint'.");
        }
    }

    private static void RequireHttps(string? address, string option)
    {
        if (address is not null && Uri.TryCreate(address, UriKind.Absolute, out var uri) && uri.Scheme != Uri.UriSchemeHttps)
        {
            throw new InvalidOperationException(
                $"LayeredAuth:Jwt:{option} must be an https address outside Development (or set LayeredAuth:Jwt:RequireHttpsMetadata to false).");
        }
    }
}
