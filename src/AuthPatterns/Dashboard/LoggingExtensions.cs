using AuthPatterns.Infrastructure;
using Microsoft.Extensions.Logging;

namespace AuthPatterns.Dashboard;

// Event ids 2050-2059, within the API-key area the dashboard manages. Paths are the sender's: escaped.
internal static partial class DashboardLoggingExtensions
{
    public static void DashboardCrossSiteRefused(this ILogger logger, string method, string path) =>
        LogCrossSiteRefused(logger, LogText.Escape(method), LogText.Escape(path));

    [LoggerMessage(2050, LogLevel.Warning, "Refused a dashboard action {Method} {Path}: it did not come from the dashboard's own origin.", EventName = "DashboardCrossSiteRefused")]
    private static partial void LogCrossSiteRefused(ILogger logger, string method, string path);
}
