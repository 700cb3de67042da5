using System.Collections.Concurrent;
using Ketenhub.Hub.Common;
using Microsoft.Extensions.Options;

namespace Ketenhub.Hub.Host.Transport;

/// <summary>
/// The log of expected refusals: an unknown caller, a bad token or certificate, a bad request, a call over its rate,
/// and every other coded error the hub answers. Each cause (the error's reason) is written at most once per
/// <see cref="CallLimitOptions.RefusalLogInterval"/>, one line naming where it happened and how many refusals of the
/// same cause were left out since the cause's last line, never with a stack trace. Garbage sent at the hub, however
/// much, therefore costs a few lines a minute; the calls themselves are counted in the answer, and refusals of
/// access to client data are in the audit trail one by one.
/// </summary>
public sealed partial class RefusalLog(ILogger<RefusalLog> logger, TimeProvider time, IOptions<CallLimitOptions> options)
{
    private readonly ConcurrentDictionary<string, Window> _windows = new(StringComparer.Ordinal);
    private readonly TimeSpan _interval = options.Value.RefusalLogInterval;

    /// <summary>Records a refusal: logs it when it is the first of its cause in the interval, else counts it.</summary>
    /// <param name="reason">The cause: the error's reason from the catalogue (docs/errors.md), or a short code of its own.</param>
    /// <param name="where">What was refused: the gRPC method, the inbound endpoint, the TLS handshake. Never a value from the request.</param>
    /// <param name="level">The level of the line.</param>
    public void Refused(string reason, string where, LogLevel level = LogLevel.Information)
    {
        if (reason == ErrorReasons.RateLimited)
        {
            HubMetrics.RateLimitRefusal();
        }

        if (!logger.IsEnabled(level))
        {
            return;
        }

        var now = time.GetTimestamp();
        var window = _windows.GetOrAdd(reason, static _ => new Window());
        long left;
        lock (window)
        {
            if (window.Started is { } started && time.GetElapsedTime(started, now) < _interval)
            {
                window.Left++;
                return;
            }

            left = window.Left;
            window.Left = 0;
            window.Started = now;
        }

        LogRefused(level, where, reason, left);
    }

    [LoggerMessage(Message = "{Where} refused: {Reason} ({LeftOut} more refused for this reason since its last line, not logged one by one)")]
    private partial void LogRefused(LogLevel level, string where, string reason, long leftOut);

    private sealed class Window
    {
        public long? Started { get; set; }

        public long Left { get; set; }
    }
}
