using Microsoft.Extensions.Logging;

namespace AuthPatterns;

// Event ids: 1000-1099 layered selection and authorization; 2000-2099 API keys; 3000-3099 JWT; 4000-4099 forward-auth.
internal static partial class LoggingExtensions
{
    [LoggerMessage(1000, LogLevel.Information, "Refused a request carrying more than one credential (schemes: {Schemes}).", EventName = "AmbiguousCredentials")]
    public static partial void AmbiguousCredentials(this ILogger logger, string schemes);

    [LoggerMessage(1001, LogLevel.Information, "A {Scheme} credential was presented to an endpoint that accepts only {AllowedSchemes}.", EventName = "SchemeNotAllowed")]
    public static partial void SchemeNotAllowed(this ILogger logger, string scheme, string allowedSchemes);

    [LoggerMessage(1002, LogLevel.Debug, "Forwarding authentication to the {Scheme} scheme.", EventName = "SchemeSelected")]
    public static partial void SchemeSelected(this ILogger logger, string scheme);

    [LoggerMessage(1003, LogLevel.Information, "Forbidden: the {Scheme} caller lacks {Match} of the scopes {Scopes}.", EventName = "InsufficientScope")]
    public static partial void InsufficientScope(this ILogger logger, string scheme, string match, string scopes);

    [LoggerMessage(1004, LogLevel.Warning, "Endpoint '{Endpoint}' allows the scheme '{Scheme}', which is not registered with AddLayeredAuth(); no credential of it can succeed.", EventName = "UnknownAllowedScheme")]
    public static partial void UnknownAllowedScheme(this ILogger logger, string endpoint, string scheme);
}
