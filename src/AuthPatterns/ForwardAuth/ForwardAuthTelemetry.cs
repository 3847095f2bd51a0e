using System.Diagnostics.Metrics;
using AuthPatterns.Infrastructure;

namespace AuthPatterns.ForwardAuth;

/// <summary>The forward-auth instruments on the application's <c>AuthPatterns</c> meter.</summary>
internal sealed class ForwardAuthTelemetry
{
    private readonly Counter<long> _verifications;
    private readonly Counter<long> _cacheLookups;
    private readonly Counter<long> _refusals;

    public ForwardAuthTelemetry(IMeterFactory meterFactory)
    {
        var meter = LayeredAuthMetrics.CreateMeter(meterFactory);

        // Verify calls made to the portal, tagged outcome (signed_in, not_signed_in, forbidden, timeout, unreachable, portal_error, overloaded, rate_limited).
        _verifications = meter.CreateCounter<long>(
            "authpatterns.forward_auth.verifications", unit: "{call}", description: "Verify calls to the portal, by outcome.");

        // Answer-cache lookups, tagged result (hit, miss).
        _cacheLookups = meter.CreateCounter<long>(
            "authpatterns.forward_auth.cache_lookups", unit: "{lookup}", description: "Lookups of the portal answer cache.");

        // Requests refused or ignored before the portal was asked, tagged reason (csrf, untrusted_headers, missing_proof).
        _refusals = meter.CreateCounter<long>(
            "authpatterns.forward_auth.refusals", unit: "{request}", description: "Requests refused by the forward-auth scheme before verification.");
        CachedAnswers = new CacheGauge(
            meter, "authpatterns.forward_auth.cache_entries", "{answer}", "Signed-in portal answers in the answer cache (limit: CacheSizeLimit).");
        CachedRefusals = new CacheGauge(
            meter, "authpatterns.forward_auth.not_signed_in_entries", "{session}", "Sessions the portal did not know, remembered for NotSignedInCacheDuration (limit: CacheSizeLimit).");
    }

    /// <summary>The answer cache's entries, per scheme.</summary>
    public CacheGauge CachedAnswers { get; }

    /// <summary>The not-signed-in cache's entries, per scheme.</summary>
    public CacheGauge CachedRefusals { get; }

    public void Verification(string outcome) =>
        _verifications.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    public void CacheLookup(bool hit) =>
        _cacheLookups.Add(1, new KeyValuePair<string, object?>("result", hit ? "hit" : "miss"));

    public void Refusal(string reason) =>
        _refusals.Add(1, new KeyValuePair<string, object?>("reason", reason));
}
