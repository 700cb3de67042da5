using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Ketenhub.Hub.Audit;

/// <summary>
/// The canonical form of an audit event: compact JSON with a fixed member order, times as UTC with seven
/// fractional digits, absent values as <c>null</c> and lists always present. The chain hashes exactly these
/// bytes, and the store keeps exactly these bytes, so verification never depends on serialising again.
/// </summary>
public static class AuditCanonical
{
    /// <summary>The version of the canonical form, written as its first member.</summary>
    public const int Version = 1;

    private static readonly JsonWriterOptions WriterOptions = new() { Indented = false, SkipValidation = false };

    [ThreadStatic]
    private static Scratch? t_scratch;

    /// <summary>The canonical UTF-8 text of <paramref name="auditEvent"/> at chain position <paramref name="sequence"/>.</summary>
    public static string Write(long sequence, AuditEvent auditEvent)
    {
        var buffer = Render(sequence, auditEvent, previousHash: null);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>
    /// Writes <paramref name="previousHash"/> and a line feed (when not null), then the canonical form, into this thread's scratch
    /// buffer and returns it; valid until the thread's next call. Events are appended inside store writes, many per
    /// second on the same few threads, so reusing one buffer per thread spares a new buffer (and its growth) per event.
    /// </summary>
    internal static ArrayBufferWriter<byte> Render(long sequence, AuditEvent auditEvent, string? previousHash)
    {
        ArgumentNullException.ThrowIfNull(auditEvent);
        var scratch = t_scratch ??= new Scratch();
        var buffer = scratch.Buffer;
        buffer.ResetWrittenCount();
        if (previousHash is not null)
        {
            var span = buffer.GetSpan(Encoding.UTF8.GetMaxByteCount(previousHash.Length) + 1);
            var count = Encoding.UTF8.GetBytes(previousHash, span);
            span[count] = (byte)'\n';
            buffer.Advance(count + 1);
        }

        // Reset clears whatever an event that failed halfway left in the writer, as ResetWrittenCount does the buffer.
        var w = scratch.Writer;
        w.Reset(buffer);
        WriteEvent(w, sequence, auditEvent);
        w.Flush();
        return buffer;
    }

    private static void WriteEvent(Utf8JsonWriter w, long sequence, AuditEvent auditEvent)
    {
        w.WriteStartObject();
        w.WriteNumber("v", Version);
        w.WriteNumber("seq", sequence);
        w.WriteString("id", auditEvent.Id);
        w.WriteString("time", Time(auditEvent.Time));
        w.WriteString("type", auditEvent.EventType);
        w.WriteString("action", AuditCodes.Of(auditEvent.Action));
        w.WriteString("party", auditEvent.ActorParty);
        Nullable(w, "user", auditEvent.ActorUser);
        Strings(w, "roles", auditEvent.ActorRoles);
        Nullable(w, "client", auditEvent.Client);
        Nullable(w, "purpose", auditEvent.Purpose);
        w.WriteStartArray("checks");
        foreach (var check in auditEvent.Checks)
        {
            w.WriteStartObject();
            w.WriteString("kind", AuditCodes.Of(check.Kind));
            w.WriteString("ref", check.Reference);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteString("outcome", AuditCodes.Of(auditEvent.Outcome));
        Nullable(w, "reason", auditEvent.Reason);
        Strings(w, "resources", auditEvent.Resources);
        Nullable(w, "request", auditEvent.RequestId);
        Nullable(w, "trace", auditEvent.TraceId);
        Nullable(w, "source", auditEvent.Source);
        w.WriteEndObject();
    }

    /// <summary>Reads a canonical text back: the chain position it names and the event. Throws <see cref="FormatException"/> when it is not one.</summary>
    public static (long Sequence, AuditEvent Event) Parse(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.GetProperty("v").GetInt32() != Version)
            {
                throw new FormatException("Unknown canonical audit form version.");
            }

            var auditEvent = new AuditEvent
            {
                Id = root.GetProperty("id").GetString()!,
                Time = DateTimeOffset.ParseExact(root.GetProperty("time").GetString()!, "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal),
                EventType = root.GetProperty("type").GetString()!,
                Action = AuditCodes.ActionOf(root.GetProperty("action").GetString()!),
                ActorParty = root.GetProperty("party").GetString()!,
                ActorUser = root.GetProperty("user").GetString(),
                ActorRoles = [.. root.GetProperty("roles").EnumerateArray().Select(r => r.GetString()!)],
                Client = root.GetProperty("client").GetString(),
                Purpose = root.GetProperty("purpose").GetString(),
                Checks = [.. root.GetProperty("checks").EnumerateArray().Select(c => new AuditCheck(AuditCodes.CheckKindOf(c.GetProperty("kind").GetString()!), c.GetProperty("ref").GetString()!))],
                Outcome = AuditCodes.OutcomeOf(root.GetProperty("outcome").GetString()!),
                Reason = root.GetProperty("reason").GetString(),
                Resources = [.. root.GetProperty("resources").EnumerateArray().Select(r => r.GetString()!)],
                RequestId = root.GetProperty("request").GetString(),
                TraceId = root.GetProperty("trace").GetString(),
                Source = root.GetProperty("source").GetString(),
            };
            return (root.GetProperty("seq").GetInt64(), auditEvent);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or ArgumentException)
        {
            throw new FormatException("The text is not a canonical audit event.", ex);
        }
    }

    /// <summary>A time as the canonical form writes it: UTC, seven fractional digits, <c>Z</c>.</summary>
    public static string Time(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    private static void Strings(Utf8JsonWriter w, string name, IReadOnlyList<string> values)
    {
        w.WriteStartArray(name);
        for (var i = 0; i < values.Count; i++)
        {
            w.WriteStringValue(values[i]);
        }

        w.WriteEndArray();
    }

    private static void Nullable(Utf8JsonWriter w, string name, string? value)
    {
        if (value is null)
        {
            w.WriteNull(name);
        }
        else
        {
            w.WriteString(name, value);
        }
    }

    private sealed class Scratch
    {
        public ArrayBufferWriter<byte> Buffer { get; } = new(4096);

        public Utf8JsonWriter Writer { get; } = new(new ArrayBufferWriter<byte>(1), WriterOptions);
    }
}
