using System.Diagnostics.Metrics;
using AuthPatterns.Infrastructure;

namespace AuthPatterns.Jwt;

/// <summary>The JWT scheme's instruments on the shared <c>AuthPatterns</c> meter.</summary>
internal static class JwtTelemetry
{
    public static readonly Counter<long> JwksFetches = LayeredAuthTelemetry.Meter.CreateCounter<long>(
        "authpatterns.jwt.jwks_fetches", unit: "{fetch}", description: "JWKS fetches, tagged result (ok, failed) and reason (scheduled, unknown_kid, initial).");

    public static readonly Counter<long> CacheLookups = LayeredAuthTelemetry.Meter.CreateCounter<long>(
        "authpatterns.jwt.cache_lookups", unit: "{lookup}", description: "Validated-token cache lookups, tagged result (hit, miss).");

    public static void RecordFetch(string result, string reason) =>
        JwksFetches.Add(1, new KeyValuePair<string, object?>("result", result), new KeyValuePair<string, object?>("reason", reason));
}
