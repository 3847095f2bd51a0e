using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace AuthPatterns.Infrastructure;

/// <summary>
/// The <see cref="LayeredAuthTelemetry.MeterName"/> meter of one application, created through its
/// <see cref="IMeterFactory"/> (so two hosts in one process, or two tests, never see each other's measurements), with
/// the instruments every scheme shares. Each area's own instruments (<c>ApiKeyTelemetry</c>, <c>JwtTelemetry</c>,
/// <c>ForwardAuthTelemetry</c>) are on the same meter: the factory hands out one meter per name and version.
/// </summary>
internal sealed class LayeredAuthMetrics
{
    /// <summary>
    /// The spans' source. Activity sources have no factory: listeners subscribe by name, so one per process is the
    /// platform's own pattern (ASP.NET Core's hosting source is static too).
    /// </summary>
    public static readonly ActivitySource ActivitySource = new(LayeredAuthTelemetry.ActivitySourceName, Version);

    private readonly Counter<long> _outcomes;
    private readonly Counter<long> _selections;

    public LayeredAuthMetrics(IMeterFactory meterFactory)
    {
        var meter = CreateMeter(meterFactory);
        _outcomes = meter.CreateCounter<long>(
            "authpatterns.authentication.outcomes", unit: "{request}", description: "Authentication outcomes per scheme.");
        _selections = meter.CreateCounter<long>(
            "authpatterns.selection.refusals", unit: "{request}", description: "Requests refused by scheme selection.");
    }

    private static string? Version => typeof(LayeredAuthMetrics).Assembly.GetName().Version?.ToString();

    /// <summary>The application's AuthPatterns meter; the factory owns it and disposes it with the service provider.</summary>
    public static Meter CreateMeter(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        return meterFactory.Create(new MeterOptions(LayeredAuthTelemetry.MeterName) { Version = Version });
    }

    /// <summary>Counts one authentication outcome, tagged <c>scheme</c> and <c>outcome</c>.</summary>
    public void RecordOutcome(string scheme, string outcome) =>
        _outcomes.Add(1, new KeyValuePair<string, object?>("scheme", scheme), new KeyValuePair<string, object?>("outcome", outcome));

    /// <summary>Counts one request refused before any handler ran, tagged <c>reason</c>.</summary>
    public void SelectionRefused(string reason) =>
        _selections.Add(1, new KeyValuePair<string, object?>("reason", reason));
}
