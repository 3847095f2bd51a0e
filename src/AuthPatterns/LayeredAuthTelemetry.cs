namespace AuthPatterns;

/// <summary>
/// The names AuthPatterns reports telemetry under, for subscribing to it: with OpenTelemetry,
/// <c>metrics.AddMeter(LayeredAuthTelemetry.MeterName)</c> and <c>tracing.AddSource(LayeredAuthTelemetry.ActivitySourceName)</c>;
/// with <c>dotnet-counters</c>, <c>--counters AuthPatterns</c>.
/// </summary>
public static class LayeredAuthTelemetry
{
    /// <summary>
    /// The name of the <see cref="System.Diagnostics.Metrics.Meter"/> every instrument is on (<c>authpatterns.*</c>). The meter
    /// is created through the application's <see cref="System.Diagnostics.Metrics.IMeterFactory"/>, so it belongs to that
    /// application's service provider.
    /// </summary>
    public const string MeterName = "AuthPatterns";

    /// <summary>The name of the <see cref="System.Diagnostics.ActivitySource"/> that starts the <c>AuthPatterns.Authenticate</c> spans.</summary>
    public const string ActivitySourceName = "AuthPatterns";
}
