namespace AuthPatterns.Infrastructure;

/// <summary>
/// Counts requests shed by a bound and says when to log them: at most once a second on the library's
/// <see cref="TimeProvider"/>, with the number shed since the last line, so a flood writes one line a second rather than
/// one per request (a log that grows with an attacker's request rate is a second flood).
/// </summary>
internal sealed class ShedWarning
{
    private readonly TimeProvider _time;
    private readonly long _second;
    private long _lastWarning;
    private long _shedSinceWarning;

    public ShedWarning(TimeProvider time)
    {
        _time = time;
        _second = time.TimestampFrequency;
        _lastWarning = time.GetTimestamp() - _second;
    }

    /// <summary>Counts one shed request; true (with the number shed since the last line) when a line is due.</summary>
    public bool ShouldWarn(out long shed)
    {
        Interlocked.Increment(ref _shedSinceWarning);
        var now = _time.GetTimestamp();
        var last = Volatile.Read(ref _lastWarning);
        if (now - last < _second || Interlocked.CompareExchange(ref _lastWarning, now, last) != last)
        {
            shed = 0;
            return false;
        }

        shed = Interlocked.Exchange(ref _shedSinceWarning, 0);
        return true;
    }
}
