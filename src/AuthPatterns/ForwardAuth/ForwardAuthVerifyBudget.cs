using AuthPatterns.Infrastructure;

namespace AuthPatterns.ForwardAuth;

/// <summary>
/// The verify calls one scheme may make per second on this instance (<c>MaxVerificationsPerSecond</c>), so a flood of
/// made-up cookies, each new and so never answered from a cache, costs the portal a bounded rate of calls instead of as
/// many as it can answer. A window of one second counts two shares: an open one any cookie may spend, and a reserved
/// quarter (at least one call when the budget is two or more) that only sessions the portal vouched for recently may
/// spend once the open share is gone, so a signed-in user whose cached answer just expired is still asked about during
/// a flood.
/// </summary>
/// <remarks>
/// The window is read from the library's <see cref="TimeProvider"/> only: it turns when a request finds that a second
/// has passed since it began, and both shares are whole again (an idle minute earns one second's budget, never a
/// minute's). System.Threading.RateLimiting's limiters read the process's <c>Stopwatch</c> for their windows and refuse
/// a window they would not time themselves, so they cannot follow that clock; two counters do the same work with no
/// timer. Two requests racing at the turn may let a call of the old window count in the new one; never more than the
/// calls in flight.
/// </remarks>
internal sealed class ForwardAuthVerifyBudget
{
    private readonly TimeProvider _time;
    private readonly int _open;
    private readonly long _second;
    private int _openLeft;
    private int _reservedLeft;
    private long _windowStart;
    private readonly ShedWarning _warning;

    public ForwardAuthVerifyBudget(int perSecond, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(perSecond, 1);
        _time = time;
        _second = time.TimestampFrequency;
        PerSecond = perSecond;
        Reserved = perSecond >= 2 ? Math.Max(1, perSecond / 4) : 0;
        _open = perSecond - Reserved;
        _openLeft = _open;
        _reservedLeft = Reserved;

        var now = time.GetTimestamp();
        _windowStart = now;
        _warning = new ShedWarning(time);
    }

    /// <summary>The calls per second, both shares together.</summary>
    public int PerSecond { get; }

    /// <summary>The calls per second only recently valid sessions may spend.</summary>
    public int Reserved { get; }

    /// <summary>Spends one call of the current second's open share; false when it is gone.</summary>
    public bool TryTake()
    {
        Turn();
        return Take(ref _openLeft);
    }

    /// <summary>
    /// Spends one call of the current second's reserved share, for a session the portal vouched for recently, once
    /// <see cref="TryTake"/> found the open share gone; false when the reserve is gone too (or there is none).
    /// </summary>
    public bool TryTakeReserved() => Take(ref _reservedLeft);

    /// <summary>
    /// Counts a shed request and says whether to log it: at most once a second, with the number shed since the last
    /// warning, so a flood writes one line a second rather than one per request.
    /// </summary>
    public bool ShouldWarn(out long shed) => _warning.ShouldWarn(out shed);

    private void Turn()
    {
        var now = _time.GetTimestamp();
        var start = Volatile.Read(ref _windowStart);
        if (now - start >= _second && Interlocked.CompareExchange(ref _windowStart, now, start) == start)
        {
            Volatile.Write(ref _openLeft, _open);
            Volatile.Write(ref _reservedLeft, Reserved);
        }
    }

    // Never below zero, however many requests a flood sends in one second.
    private static bool Take(ref int left)
    {
        var seen = Volatile.Read(ref left);
        while (seen > 0)
        {
            var before = Interlocked.CompareExchange(ref left, seen - 1, seen);
            if (before == seen)
            {
                return true;
            }

            seen = before;
        }

        return false;
    }
}
