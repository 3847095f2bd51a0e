using System.Diagnostics.Metrics;
using AuthPatterns.Infrastructure;

namespace AuthPatterns.ApiKeys;

/// <summary>API-key instruments on the <c>AuthPatterns</c> meter.</summary>
internal static class ApiKeyTelemetry
{
    /// <summary>Verified-key cache look-ups, tagged <c>result</c> (<c>hit</c> or <c>miss</c>).</summary>
    public static readonly Counter<long> CacheLookups = LayeredAuthTelemetry.Meter.CreateCounter<long>(
        "authpatterns.api_keys.cache_lookups", unit: "{lookup}", description: "Verified API-key cache look-ups.");

    /// <summary>Argon2id verifications, tagged <c>result</c>.</summary>
    public static readonly Histogram<double> HashDuration = LayeredAuthTelemetry.Meter.CreateHistogram<double>(
        "authpatterns.api_keys.hash_duration", unit: "ms", description: "Time spent in Argon2id verifications.");

    /// <summary>Usage events dropped, tagged <c>reason</c> (<c>refused</c> by the store, or <c>overflow</c> of the queue).</summary>
    public static readonly Counter<long> UsageEventsDropped = LayeredAuthTelemetry.Meter.CreateCounter<long>(
        "authpatterns.api_keys.usage_dropped", unit: "{event}", description: "API-key usage events dropped.");

    public static void CacheHit() => CacheLookups.Add(1, new KeyValuePair<string, object?>("result", "hit"));

    public static void CacheMiss() => CacheLookups.Add(1, new KeyValuePair<string, object?>("result", "miss"));
}
