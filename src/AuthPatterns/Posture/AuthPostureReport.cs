using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using AuthPatterns.Infrastructure;

namespace AuthPatterns.Posture;

/// <summary>
/// The application's authentication posture: every endpoint with the schemes and scopes it accepts, and the findings
/// that flag risky choices. Served as JSON by <c>MapAuthPosture()</c> and read by <c>authpatterns posture</c>.
/// </summary>
public sealed class AuthPostureReport
{
    /// <summary>
    /// The JSON shape of the report: camelCase names, severities as lower-case strings. Its metadata is source-generated,
    /// so the report reads and writes without reflection, in trimmed and native AOT applications too.
    /// </summary>
    public static JsonSerializerOptions JsonOptions { get; } = CreateJsonOptions();

    /// <summary>When the report was computed.</summary>
    public required DateTimeOffset GeneratedAt { get; init; }

    /// <summary>The endpoints, ordered by route and methods.</summary>
    public required IReadOnlyList<AuthPostureEndpoint> Endpoints { get; init; }

    /// <summary>The findings, most severe first.</summary>
    public required IReadOnlyList<AuthPostureFinding> Findings { get; init; }

    /// <summary>Counts the findings of a severity or a more severe one.</summary>
    /// <param name="severity">The least severity counted.</param>
    /// <returns>The number of findings.</returns>
    public int CountAtLeast(AuthPostureSeverity severity)
    {
        var count = 0;
        foreach (var finding in Findings)
        {
            if (finding.Severity >= severity)
            {
                count++;
            }
        }

        return count;
    }

    /// <summary>The report's source-generated metadata under <see cref="JsonOptions"/>, for reading and writing without reflection.</summary>
    internal static JsonTypeInfo<AuthPostureReport> JsonTypeInfo { get; } = (JsonTypeInfo<AuthPostureReport>)JsonOptions.GetTypeInfo(typeof(AuthPostureReport));

    private static JsonSerializerOptions CreateJsonOptions()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web) { TypeInfoResolver = LayeredAuthJsonContext.Default };
        options.Converters.Add(new JsonStringEnumConverter<AuthPostureSeverity>(JsonNamingPolicy.CamelCase));
        options.MakeReadOnly();
        return options;
    }
}
