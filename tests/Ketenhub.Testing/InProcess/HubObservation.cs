using System.Collections.Concurrent;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Ketenhub.Testing.InProcess;

/// <summary>
/// Everything a hub started by a <see cref="HubFactory"/> wrote to its logs (at Debug, with scopes and
/// structured values), and the BSNs the test's clients sent. Set <see cref="Current"/> before the factory is
/// created; the factory then logs at Debug into it and registers itself in <see cref="Factories"/>.
/// </summary>
public sealed class HubObservation
{
    private static readonly AsyncLocal<HubObservation?> CurrentObservation = new();

    public static HubObservation? Current
    {
        get => CurrentObservation.Value;
        set => CurrentObservation.Value = value;
    }

    public ConcurrentQueue<string> Lines { get; } = new();

    public ConcurrentDictionary<string, bool> SentBsns { get; } = new(StringComparer.Ordinal);

    public ConcurrentQueue<HubFactory> Factories { get; } = new();

    public ILoggerProvider LoggerProvider() => new CapturingProvider(this);

    private sealed class CapturingProvider(HubObservation observation) : ILoggerProvider, ISupportExternalScope
    {
        private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

        public ILogger CreateLogger(string categoryName) => new CapturingLogger(observation, categoryName, () => _scopes);

        public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

        public void Dispose()
        {
        }
    }

    private sealed class CapturingLogger(HubObservation observation, string category, Func<IExternalScopeProvider> scopes) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => scopes().Push(state);

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var line = new StringBuilder();
            line.Append(logLevel).Append(' ').Append(category).Append(": ").Append(formatter(state, exception));
            if (state is IEnumerable<KeyValuePair<string, object?>> values)
            {
                foreach (var (key, value) in values)
                {
                    line.Append(" | ").Append(key).Append('=').Append(value);
                }
            }

            scopes().ForEachScope((scope, builder) => builder.Append(" | scope: ").Append(scope), line);
            if (exception is not null)
            {
                line.Append(" | exception: ").Append(exception);
            }

            observation.Lines.Enqueue(line.ToString());
        }
    }
}
