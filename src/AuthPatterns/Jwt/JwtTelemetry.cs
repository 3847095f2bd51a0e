using System.Diagnostics.Metrics;
using AuthPatterns.Infrastructure;

namespace AuthPatterns.Jwt;

/// <summary>The JWT scheme's instruments on the application's <c>AuthPatterns</c> meter.</summary>
internal sealed class JwtTelemetry
{
    private readonly Counter<long> _jwksFetches;
    private readonly Counter<long> _cacheLookups;
    private readonly Counter<long> _cacheRefusals;

    public JwtTelemetry(IMeterFactory meterFactory)
    {
        var meter = LayeredAuthMetrics.CreateMeter(meterFactory);
        _jwksFetches = meter.CreateCounter<long>(
            "authpatterns.jwt.jwks_fetches", unit: "{fetch}", description: "JWKS fetches, tagged result (ok, failed) and reason (scheduled, unknown_kid, initial).");
        _cacheLookups = meter.CreateCounter<long>(
            "authpatterns.jwt.cache_lookups", unit: "{lookup}", description: "Validated-token cache lookups, tagged result (hit, miss).");
        _cacheRefusals = meter.CreateCounter<long>(
            "authpatterns.jwt.cache_refusals", unit: "{token}", description: "Validated tokens the cache did not keep: it was nearly full and they were presented less often lately than the entries it let go.");
        CachedTokens = new CacheGauge(
            meter, "authpatterns.jwt.cache_entries", "{token}", "Validated tokens in the cache (limit: TokenCacheSize).");
        CachedBytes = new CacheGauge(
            meter, "authpatterns.jwt.cache_bytes", "By", "Bytes the validated-token cache charges its entries (limit: TokenCacheSizeLimitBytes).");
    }

    /// <summary>The validated-token cache's entries, per scheme.</summary>
    public CacheGauge CachedTokens { get; }

    /// <summary>The bytes the validated-token cache charges, per scheme.</summary>
    public CacheGauge CachedBytes { get; }

    public void RecordFetch(string result, string reason) =>
        _jwksFetches.Add(1, new KeyValuePair<string, object?>("result", result), new KeyValuePair<string, object?>("reason", reason));

    public void CacheRefused() => _cacheRefusals.Add(1);

    public void CacheLookup(bool hit) =>
        _cacheLookups.Add(1, new KeyValuePair<string, object?>("result", hit ? "hit" : "miss"));
}
