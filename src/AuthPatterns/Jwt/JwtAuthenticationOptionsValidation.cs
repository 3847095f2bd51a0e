using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace AuthPatterns.Jwt;

/// <summary>Runs <see cref="JwtAuthenticationOptions.Validate"/> for the scheme's named options, so mistakes fail at startup.</summary>
internal sealed class ValidateJwtAuthenticationOptions : IValidateOptions<JwtAuthenticationOptions>
{
    private readonly IServiceProvider _services;

    public ValidateJwtAuthenticationOptions(IServiceProvider services) => _services = services;

    public ValidateOptionsResult Validate(string? name, JwtAuthenticationOptions options)
    {
        if (!string.Equals(name, LayeredAuthSchemes.Bearer, StringComparison.Ordinal))
        {
            return ValidateOptionsResult.Skip;
        }

        try
        {
            options.Validate();
            var requireHttps = options.RequireHttpsMetadata ?? _services.GetService<IHostEnvironment>()?.IsDevelopment() != true;
            if (requireHttps)
            {
                // Keys fetched over plain HTTP can be replaced by anyone on the path: refuse at startup, not on every token.
                RequireHttps(options.JwksUri?.ToString(), "JwksUri");
                RequireHttps(options.Authority, "Authority");
                RequireHttps(options.MetadataAddress?.ToString(), "MetadataAddress");
            }

            if (options.UseLocalSigningKeys && _services.GetService<Issuing.LocalSigningKeySource>() is null)
            {
                return ValidateOptionsResult.Fail(
                    "LayeredAuth:Jwt:UseLocalSigningKeys needs the application's signing key ring: call services.AddSigningKeyRing().");
            }

            return ValidateOptionsResult.Success;
        }
        catch (InvalidOperationException exception)
        {
            return ValidateOptionsResult.Fail(exception.Message);
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
