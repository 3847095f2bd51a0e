using System.Numerics;
using System.Runtime.InteropServices;

namespace AuthPatterns.Infrastructure;

/// <summary>
/// How often each credential key was looked up lately, approximately, in a fixed amount of memory (16 to 32 bytes per
/// expected key): a count-min sketch of four rows of counters (a byte each, saturating at 15), indexed by the four
/// words of the key, which an HMAC already made uniformly random. Every ten additions per expected key all counters are
/// halved, so old popularity fades. Updates are not atomic: a lost increment under contention only makes an estimate a
/// little low. It also holds the admission floor, the estimate a key must beat to be admitted, which fades with them.
/// </summary>
internal sealed class FrequencySketch
{
    /// <summary>The largest estimate a counter holds.</summary>
    public const int MaxFrequency = 15;

    private const int Rows = 4;

    private readonly byte[] _counters;
    private readonly int _width;
    private readonly int _sampleSize;
    private int _additions;
    private int _resets;
    private int _floor;

    /// <param name="expectedKeys">
    /// About how many distinct keys are live at once (the cache's entry bound). Each row has four counters per expected
    /// key and the counters are halved every ten additions per expected key, so a key never looked up reads 0 or 1.
    /// </param>
    public FrequencySketch(int expectedKeys)
    {
        expectedKeys = Math.Clamp(expectedKeys, 16, 1 << 20);
        _width = (int)BitOperations.RoundUpToPowerOf2((uint)expectedKeys * 4);
        _counters = new byte[_width * Rows];
        _sampleSize = expectedKeys * 10;
    }

    /// <summary>How many times the counters have been halved.</summary>
    public int Resets => Volatile.Read(ref _resets);

    /// <summary>Whether <paramref name="key"/> was looked up more often lately than the admission floor.</summary>
    public bool Admits(in CredentialKey key) => Estimate(key) > Volatile.Read(ref _floor);

    /// <summary>
    /// Sets the admission floor to the median estimate of what an eviction let go (counts by estimate), kept below the
    /// largest estimate so a key in steady use can always pass it.
    /// </summary>
    public void SetFloor(ReadOnlySpan<int> evictedByFrequency, int evicted)
    {
        var floor = 0;
        for (var seen = evictedByFrequency[0]; seen * 2 < evicted; seen += evictedByFrequency[floor])
        {
            floor++;
        }

        Volatile.Write(ref _floor, Math.Min(floor, MaxFrequency - 1));
    }

    /// <summary>
    /// Counts one lookup of <paramref name="key"/>: only its lowest counters move (a conservative update), so keys that
    /// share a counter with it read less high.
    /// </summary>
    public void Increment(in CredentialKey key)
    {
        ref var a = ref Counter(0, key.A);
        ref var b = ref Counter(1, key.B);
        ref var c = ref Counter(2, key.C);
        ref var d = ref Counter(3, key.D);
        var least = Math.Min(Math.Min(a, b), Math.Min(c, d));
        if (least < MaxFrequency)
        {
            Bump(ref a, least);
            Bump(ref b, least);
            Bump(ref c, least);
            Bump(ref d, least);
        }

        if (Interlocked.Increment(ref _additions) >= _sampleSize && Interlocked.Exchange(ref _additions, 0) >= _sampleSize)
        {
            Halve();
        }
    }

    /// <summary>About how many times <paramref name="key"/> was looked up lately (0 to <see cref="MaxFrequency"/>).</summary>
    public int Estimate(in CredentialKey key) =>
        Math.Min(Math.Min(Read(0, key.A), Read(1, key.B)), Math.Min(Read(2, key.C), Read(3, key.D)));

    private ref byte Counter(int row, ulong word) => ref _counters[(row * _width) + (int)(word & (ulong)(_width - 1))];

    private int Read(int row, ulong word) => Counter(row, word);

    private static void Bump(ref byte counter, byte least)
    {
        if (counter == least)
        {
            counter++;
        }
    }

    private void Halve()
    {
        // Eight counters at a time: shift each byte right by one, keeping no bit that crossed from its neighbour.
        foreach (ref var word in MemoryMarshal.Cast<byte, ulong>(_counters.AsSpan()))
        {
            word = (word >> 1) & 0x7F7F7F7F7F7F7F7FUL;
        }

        // The floor is an estimate too: halved with the counters, unless an eviction has just set a new one.
        var floor = Volatile.Read(ref _floor);
        Interlocked.CompareExchange(ref _floor, floor >> 1, floor);
        Interlocked.Increment(ref _resets);
    }
}
