using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace AuthPatterns.Jwt;

// Event ids 3000-3099. No token, key material or signature ever appears in a message.
internal static partial class JwtLoggingExtensions
{
    [LoggerMessage(3000, LogLevel.Information, "Refused a bearer token: {Reason}.", EventName = "TokenRefused")]
    public static partial void TokenRefused(this ILogger logger, JwtRefusal reason);

    [LoggerMessage(3001, LogLevel.Information, "Refused a bearer token signed under key id '{KeyId}': {Reason}.", EventName = "TokenRefusedByValidation")]
    public static partial void TokenRefusedByValidation(this ILogger logger, string keyId, string reason);

    [LoggerMessage(3002, LogLevel.Information, "Fetched the signing keys from {Address}: {KeyCount} usable, {SkippedCount} skipped; next refresh in {RefreshIn}.", EventName = "JwksFetched")]
    public static partial void JwksFetched(this ILogger logger, Uri address, int keyCount, int skippedCount, TimeSpan refreshIn);

    [LoggerMessage(3003, LogLevel.Warning, "Fetching the signing keys from {Address} failed ({Reason}); keeping the last good set of {KeyCount} keys.", EventName = "JwksFetchFailed")]
    public static partial void JwksFetchFailed(this ILogger logger, Uri? address, string reason, int keyCount);

    [LoggerMessage(3004, LogLevel.Debug, "A token names the unknown key id '{KeyId}'; refreshing the signing keys.", EventName = "UnknownKeyIdRefresh")]
    public static partial void UnknownKeyIdRefresh(this ILogger logger, string keyId);

    [LoggerMessage(3005, LogLevel.Debug, "A token names the unknown key id '{KeyId}'; no refresh within the cooldown.", EventName = "UnknownKeyIdThrottled")]
    public static partial void UnknownKeyIdThrottled(this ILogger logger, string keyId);

    [LoggerMessage(3006, LogLevel.Information, "Refused a bearer token whose jti is revoked.", EventName = "TokenRevoked")]
    public static partial void TokenRevoked(this ILogger logger);

    [LoggerMessage(3012, LogLevel.Warning, "A bearer token signed under key id '{KeyId}' carries {Count} scope token(s) that are not valid scopes; they grant nothing.", EventName = "InvalidScopeTokensDropped")]
    public static partial void InvalidScopeTokensDropped(this ILogger logger, string keyId, int count);

    [LoggerMessage(3030, LogLevel.Information, "Ignored the access_token query parameter of a request to {Path}: the endpoint does not accept tokens from the query (AllowAccessTokenFromQuery).", EventName = "QueryTokenIgnored")]
    public static partial void QueryTokenIgnored(this ILogger logger, PathString path);
}
