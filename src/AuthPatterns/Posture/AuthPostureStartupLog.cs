using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AuthPatterns.Posture;

/// <summary>
/// In Development, logs the posture once the app has started (when every endpoint is mapped): the counts per severity,
/// then each high finding on a line of its own.
/// </summary>
internal sealed class AuthPostureStartupLog : IHostedLifecycleService
{
    private readonly IAuthPostureReporter _reporter;
    private readonly IHostEnvironment _environment;
    private readonly ILogger<AuthPostureStartupLog> _logger;

    public AuthPostureStartupLog(IAuthPostureReporter reporter, IHostEnvironment environment, ILogger<AuthPostureStartupLog> logger)
    {
        _reporter = reporter;
        _environment = environment;
        _logger = logger;
    }

    public async Task StartedAsync(CancellationToken cancellationToken)
    {
        if (!_environment.IsDevelopment())
        {
            return;
        }

        AuthPostureReport report;
        try
        {
            report = await _reporter.GetReportAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A report is advice: it never stops the app from starting.
            _logger.PostureStartupFailed(ex.GetType().Name);
            return;
        }

        Log(_logger, report);
    }

    internal static void Log(ILogger logger, AuthPostureReport report)
    {
        var high = report.Findings.Count(f => f.Severity == AuthPostureSeverity.High);
        var warning = report.Findings.Count(f => f.Severity == AuthPostureSeverity.Warning);
        var info = report.Findings.Count(f => f.Severity == AuthPostureSeverity.Info);
        logger.PostureSummary(high, warning, info, report.Endpoints.Count);
        foreach (var finding in report.Findings.Where(f => f.Severity == AuthPostureSeverity.High))
        {
            logger.PostureHighFinding(finding.Id, finding.Subject, finding.Message);
        }
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
