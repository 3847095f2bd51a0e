namespace AuthPatterns.Infrastructure;

/// <summary>
/// Decides how much of an outage reaches the log: its first failure in full (with the exception), then at most one
/// summary per <see cref="SummaryInterval"/> with the number of failures since the last line, and one line when it is
/// over. A store or Redis that is down fails every request or flush; logging each one would bury the one line that
/// matters and cost as much as the requests themselves.
/// </summary>
internal sealed class OutageLog
{
    /// <summary>The default pause between two summaries of one outage.</summary>
    public static readonly TimeSpan DefaultSummaryInterval = TimeSpan.FromMinutes(1);

    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private bool _down;
    private long _failuresSinceLine;
    private long _failures;
    private DateTimeOffset _since;
    private DateTimeOffset _nextSummary;

    public OutageLog(TimeProvider time, TimeSpan? summaryInterval = null)
    {
        _time = time;
        SummaryInterval = summaryInterval ?? DefaultSummaryInterval;
    }

    public TimeSpan SummaryInterval { get; }

    /// <summary>Whether an outage is going on (a failure was reported and no success since).</summary>
    public bool IsDown => Volatile.Read(ref _down);

    /// <summary>Reports a failure and says what to log for it.</summary>
    public OutageStep Failed()
    {
        lock (_lock)
        {
            var now = _time.GetUtcNow();
            _failures++;
            if (!_down)
            {
                Volatile.Write(ref _down, true);
                _since = now;
                _failures = 1;
                _failuresSinceLine = 0;
                _nextSummary = now + SummaryInterval;
                return new OutageStep(OutageStepKind.First, 1, TimeSpan.Zero);
            }

            _failuresSinceLine++;
            if (now < _nextSummary)
            {
                return new OutageStep(OutageStepKind.Quiet, _failuresSinceLine, now - _since);
            }

            var count = _failuresSinceLine;
            _failuresSinceLine = 0;
            _nextSummary = now + SummaryInterval;
            return new OutageStep(OutageStepKind.Summary, count, now - _since);
        }
    }

    /// <summary>
    /// Reports a success. Returns <see langword="true"/> once, for the first success after failures, with how long the
    /// outage lasted and how many failures it had; cheap (one read) while nothing is down.
    /// </summary>
    public bool Recovered(out TimeSpan duration, out long failures)
    {
        duration = TimeSpan.Zero;
        failures = 0;
        if (!Volatile.Read(ref _down))
        {
            return false;
        }

        lock (_lock)
        {
            if (!_down)
            {
                return false;
            }

            Volatile.Write(ref _down, false);
            duration = _time.GetUtcNow() - _since;
            failures = _failures;
            return true;
        }
    }
}

/// <summary>What to log for one failure of an outage.</summary>
internal enum OutageStepKind
{
    /// <summary>The first failure: log it in full, with the exception.</summary>
    First,

    /// <summary>The summary that is due: log the count of failures since the last line.</summary>
    Summary,

    /// <summary>Nothing beyond Debug: the outage was logged and its next summary is not due.</summary>
    Quiet,
}

/// <summary>What to log for one failure, the failures since the last line, and how long the outage has lasted.</summary>
internal readonly record struct OutageStep(OutageStepKind Kind, long FailuresSinceLastLine, TimeSpan Duration);
