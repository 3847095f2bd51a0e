using Microsoft.Extensions.Options;

namespace AuthPatterns.Jwt;

/// <summary>Runs <see cref="JwtValidationOptions.Validate"/> for the scheme's named options, so mistakes fail at startup.</summary>
internal sealed class ValidateJwtValidationOptions : IValidateOptions<JwtValidationOptions>
{
    public ValidateOptionsResult Validate(string? name, JwtValidationOptions options)
    {
        if (!string.Equals(name, LayeredAuthSchemes.Bearer, StringComparison.Ordinal))
        {
            return ValidateOptionsResult.Skip;
        }

        try
        {
            options.Validate();
            return ValidateOptionsResult.Success;
        }
        catch (InvalidOperationException exception)
        {
            return ValidateOptionsResult.Fail(exception.Message);
        }
    }
}
