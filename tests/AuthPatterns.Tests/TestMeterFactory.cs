using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace AuthPatterns.Tests;

/// <summary>
/// An <see cref="IMeterFactory"/> of a test's own: it records the meters it creates (each scoped to this factory, so a
/// listener can tell them from another host's) and disposes them with itself.
/// </summary>
internal sealed class TestMeterFactory : IMeterFactory
{
    public ConcurrentQueue<Meter> Meters { get; } = new();

    /// <summary>A factory for code built by hand in a test (the platform's, from <c>AddMetrics()</c>).</summary>
    public static IMeterFactory Create() => new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<IMeterFactory>();

    public Meter Create(MeterOptions options)
    {
        var meter = new Meter(options.Name, options.Version, options.Tags, scope: this);
        Meters.Enqueue(meter);
        return meter;
    }

    public void Dispose()
    {
        foreach (var meter in Meters)
        {
            meter.Dispose();
        }
    }
}
