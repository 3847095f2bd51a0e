using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace AuthPatterns.Infrastructure;

/// <summary>
/// The <c>AuthPatterns</c> meter and activity source. Every scheme reports its outcomes here.
/// </summary>
internal static class LayeredAuthTelemetry
{
    public const string Name = "AuthPatterns";

    public static readonly ActivitySource ActivitySource = new(Name, typeof(LayeredAuthTelemetry).Assembly.GetName().Version?.ToString());

    public static readonly Meter Meter = new(Name, typeof(LayeredAuthTelemetry).Assembly.GetName().Version?.ToString());

    /// <summary>Counts authentication outcomes, tagged <c>scheme</c> and <c>outcome</c>.</summary>
    public static readonly Counter<long> Outcomes = Meter.CreateCounter<long>(
        "authpatterns.authentication.outcomes", unit: "{request}", description: "Authentication outcomes per scheme.");

    /// <summary>Counts requests refused before any handler ran, tagged <c>reason</c>.</summary>
    public static readonly Counter<long> Selections = Meter.CreateCounter<long>(
        "authpatterns.selection.refusals", unit: "{request}", description: "Requests refused by scheme selection.");

    public static void RecordOutcome(string scheme, string outcome) =>
        Outcomes.Add(1, new KeyValuePair<string, object?>("scheme", scheme), new KeyValuePair<string, object?>("outcome", outcome));
}
