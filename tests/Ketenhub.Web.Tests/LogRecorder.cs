using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Ketenhub.WebTests;

/// <summary>Keeps every log record the web app writes, with the scopes that were open, for the tests to read.</summary>
public sealed class LogRecorder : ILoggerProvider, ISupportExternalScope
{
    private readonly ConcurrentQueue<Record> _records = new();
    private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

    public IReadOnlyCollection<Record> Records => _records.ToArray();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    public void Dispose()
    {
    }

    /// <summary>One record: its category, level, message and the key/value pairs of its open scopes.</summary>
    public sealed record Record(string Category, LogLevel Level, string Message, IReadOnlyList<KeyValuePair<string, string>> Scope)
    {
        public string? ScopeValue(string key) => Scope.LastOrDefault(p => p.Key == key).Value;

        /// <summary>Everything the record would put in a log line, as text.</summary>
        public string Text => $"{Category} {Message} {string.Join(' ', Scope.Select(p => p.Key + "=" + p.Value))}";
    }

    private sealed class Logger(LogRecorder recorder, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => recorder._scopes.Push(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var scope = new List<KeyValuePair<string, string>>();
            recorder._scopes.ForEachScope(
                (value, list) =>
                {
                    if (value is IEnumerable<KeyValuePair<string, object?>> pairs)
                    {
                        list.AddRange(pairs.Select(p => new KeyValuePair<string, string>(p.Key, p.Value?.ToString() ?? string.Empty)));
                    }
                    else if (value is not null)
                    {
                        list.Add(new KeyValuePair<string, string>(string.Empty, value.ToString() ?? string.Empty));
                    }
                },
                scope);
            recorder._records.Enqueue(new Record(category, logLevel, formatter(state, exception), scope));
        }
    }
}
