using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace AuthPatterns.Infrastructure;

/// <summary>
/// An observable gauge of one kind of cache, one measurement per scheme (tag <c>scheme</c>), read when a listener
/// collects: how full a credential cache is, next to its limit, tells an operator whether the limit fits the traffic
/// before cache misses (Argon2id, RSA, portal calls) show it.
/// </summary>
internal sealed class CacheGauge
{
    private readonly ConcurrentDictionary<string, Func<long>> _schemes = new(StringComparer.Ordinal);

    public CacheGauge(Meter meter, string name, string unit, string description) =>
        meter.CreateObservableGauge(name, Measure, unit, description);

    /// <summary>Measures <paramref name="read"/> under <paramref name="scheme"/> from now on (the last one given wins).</summary>
    public void Observe(string scheme, Func<long> read) => _schemes[scheme] = read;

    private IEnumerable<Measurement<long>> Measure()
    {
        foreach (var (scheme, read) in _schemes)
        {
            yield return new Measurement<long>(read(), new KeyValuePair<string, object?>("scheme", scheme));
        }
    }
}
