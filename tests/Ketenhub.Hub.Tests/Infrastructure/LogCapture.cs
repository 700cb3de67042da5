using System.Collections.Concurrent;
using Ketenhub.Testing.InProcess;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Ketenhub.HubTests.Infrastructure;

/// <summary>
/// The lines a hub writes to its logs at the levels its configuration enables (the hub's own appsettings, as in
/// Development), for tests of what gets logged. Install with <see cref="Into"/> before the host starts.
/// </summary>
public sealed class LogCapture : ILoggerProvider
{
    public ConcurrentQueue<Line> Lines { get; } = new();

    /// <summary>Adds the capture to the host's logging; the host's level filters apply to it like to any logger.</summary>
    public HubFactory Into(HubFactory hub) => hub.WithServices(services => services.AddSingleton<ILoggerProvider>(this));

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    /// <summary>One log line: its level, category, text and whether an exception (a stack trace) came with it.</summary>
    public sealed record Line(LogLevel Level, string Category, string Text, bool WithException)
    {
        public override string ToString() => $"{Level} {Category}: {Text}{(WithException ? " [with exception]" : string.Empty)}";
    }

    private sealed class Logger(LogCapture capture, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            capture.Lines.Enqueue(new Line(logLevel, category, formatter(state, exception), exception is not null));
    }
}
