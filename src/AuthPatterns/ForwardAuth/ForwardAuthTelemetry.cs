using System.Diagnostics.Metrics;
using AuthPatterns.Infrastructure;

namespace AuthPatterns.ForwardAuth;

/// <summary>The forward-auth instruments on the <c>AuthPatterns</c> meter.</summary>
internal static class ForwardAuthTelemetry
{
    /// <summary>Verify calls made to the portal, tagged <c>outcome</c> (signed_in, not_signed_in, forbidden, timeout, unreachable, portal_error, overloaded).</summary>
    public static readonly Counter<long> Verifications = LayeredAuthTelemetry.Meter.CreateCounter<long>(
        "authpatterns.forward_auth.verifications", unit: "{call}", description: "Verify calls to the portal, by outcome.");

    /// <summary>Answer-cache lookups, tagged <c>result</c> (hit, miss).</summary>
    public static readonly Counter<long> CacheLookups = LayeredAuthTelemetry.Meter.CreateCounter<long>(
        "authpatterns.forward_auth.cache_lookups", unit: "{lookup}", description: "Lookups of the portal answer cache.");

    /// <summary>Requests refused or ignored before the portal was asked, tagged <c>reason</c> (csrf, untrusted_headers).</summary>
    public static readonly Counter<long> Refusals = LayeredAuthTelemetry.Meter.CreateCounter<long>(
        "authpatterns.forward_auth.refusals", unit: "{request}", description: "Requests refused by the forward-auth scheme before verification.");

    public static void Verification(string outcome) =>
        Verifications.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    public static void Cache(bool hit) =>
        CacheLookups.Add(1, new KeyValuePair<string, object?>("result", hit ? "hit" : "miss"));

    public static void Refusal(string reason) =>
        Refusals.Add(1, new KeyValuePair<string, object?>("reason", reason));
}
