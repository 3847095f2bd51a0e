namespace AuthPatterns.Posture;

/// <summary>Computes the application's <see cref="AuthPostureReport"/>. Registered by <c>AddLayeredAuth()</c>.</summary>
public interface IAuthPostureReporter
{
    /// <summary>
    /// Computes the report from the endpoints' metadata, the schemes' options and the key store. Each call reads the
    /// current state: keys created or used since the last call are seen.
    /// </summary>
    /// <param name="cancellationToken">Cancels the key-store read.</param>
    /// <returns>The report.</returns>
    Task<AuthPostureReport> GetReportAsync(CancellationToken cancellationToken = default);
}
