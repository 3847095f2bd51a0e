using System.Diagnostics.Metrics;
using AuthPatterns.Infrastructure;

namespace AuthPatterns.ApiKeys;

/// <summary>API-key instruments on the application's <c>AuthPatterns</c> meter.</summary>
internal sealed class ApiKeyTelemetry
{
    private readonly Counter<long> _cacheLookups;
    private readonly Histogram<double> _hashDuration;
    private readonly Counter<long> _usageEventsDropped;

    public ApiKeyTelemetry(IMeterFactory meterFactory)
    {
        var meter = LayeredAuthMetrics.CreateMeter(meterFactory);
        _cacheLookups = meter.CreateCounter<long>(
            "authpatterns.api_keys.cache_lookups", unit: "{lookup}", description: "Verified API-key cache look-ups.");
        _hashDuration = meter.CreateHistogram<double>(
            "authpatterns.api_keys.hash_duration", unit: "ms", description: "Time spent in Argon2id verifications.");
        _usageEventsDropped = meter.CreateCounter<long>(
            "authpatterns.api_keys.usage_dropped", unit: "{event}", description: "API-key usage events dropped.");
        CachedKeys = new CacheGauge(
            meter, "authpatterns.api_keys.cache_entries", "{key}", "Verified API keys in the cache (limit: CacheSizeLimit).");
    }

    /// <summary>The verified-key cache's entries, per scheme.</summary>
    public CacheGauge CachedKeys { get; }

    /// <summary>Counts a verified-key cache look-up, tagged <c>result</c> (<c>hit</c> or <c>miss</c>).</summary>
    public void CacheLookup(bool hit) => _cacheLookups.Add(1, new KeyValuePair<string, object?>("result", hit ? "hit" : "miss"));

    /// <summary>Records one Argon2id verification's duration, tagged <c>result</c>.</summary>
    public void HashVerified(double milliseconds, bool valid) =>
        _hashDuration.Record(milliseconds, new KeyValuePair<string, object?>("result", valid ? "valid" : "invalid"));

    /// <summary>Counts usage events dropped, tagged <c>reason</c> (<c>refused</c> by the store, or <c>overflow</c> of the queue).</summary>
    public void UsageEventsDropped(int count, string reason) =>
        _usageEventsDropped.Add(count, new KeyValuePair<string, object?>("reason", reason));
}
