using Microsoft.Extensions.Logging;

namespace AuthPatterns.Posture;

// Event ids 1100-1119: the posture report. Findings name endpoints, key ids and scopes, never a secret.
internal static partial class AuthPostureLoggingExtensions
{
    [LoggerMessage(1100, LogLevel.Information, "Auth posture: {High} high, {Warning} warning and {Info} info findings over {Endpoints} endpoints.", EventName = "PostureSummary")]
    public static partial void PostureSummary(this ILogger logger, int high, int warning, int info, int endpoints);

    [LoggerMessage(1101, LogLevel.Warning, "Auth posture {FindingId} on {Subject}: {Message}", EventName = "PostureHighFinding")]
    public static partial void PostureHighFinding(this ILogger logger, string findingId, string subject, string message);

    [LoggerMessage(1102, LogLevel.Warning, "Auth posture: the API-key store could not be read ({ExceptionType}); key findings are missing.", EventName = "PostureKeyStoreUnreadable")]
    public static partial void PostureKeyStoreUnreadable(this ILogger logger, string exceptionType);

    [LoggerMessage(1103, LogLevel.Warning, "Auth posture could not be computed at startup ({ExceptionType}).", EventName = "PostureStartupFailed")]
    public static partial void PostureStartupFailed(this ILogger logger, string exceptionType);
}
