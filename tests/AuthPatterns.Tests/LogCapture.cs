using System.Collections.Concurrent;

namespace AuthPatterns.Tests;

/// <summary>
/// Captures every log entry (message, state values, exception) and every scope written through the host's loggers, so
/// tests can look for an event id and check that no secret reached any of them.
/// </summary>
internal sealed class LogCapture : ILoggerProvider
{
    public ConcurrentQueue<LogEntry> Entries { get; } = new();

    /// <summary>Each entry as one line: level, category, <c>[event id]</c>, message, state values, exception.</summary>
    public IEnumerable<string> Lines => Entries.Select(e => $"{e.Level} {e.Category} [{e.EventId}] {e.Message} | {string.Join(";", e.Values)} | {e.Exception}");

    public ILogger CreateLogger(string categoryName) => new CaptureLogger(this, categoryName);

    public bool Any(int eventId) => Entries.Any(e => e.EventId == eventId);

    public IEnumerable<string> AllText() => Lines;

    public void Dispose()
    {
    }

    private sealed class CaptureLogger(LogCapture owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull
        {
            owner.Entries.Enqueue(new LogEntry(category, LogLevel.None, 0, $"scope: {state}", [], null));
            return null;
        }

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var values = state is IEnumerable<KeyValuePair<string, object?>> pairs
                ? pairs.Select(p => $"{p.Key}={p.Value}").ToArray()
                : [];
            owner.Entries.Enqueue(new LogEntry(category, logLevel, eventId.Id, formatter(state, exception), values, exception?.ToString()));
        }
    }
}

internal sealed record LogEntry(string Category, LogLevel Level, int EventId, string Message, string[] Values, string? Exception);
