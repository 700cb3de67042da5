using System.Buffers.Text;
using System.ComponentModel.DataAnnotations;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Ketenhub.Hub.Audit;
using Ketenhub.Hub.Configuration;
using Microsoft.Extensions.Options;

namespace Ketenhub.Hub.Host.Operations;

/// <summary>
/// The hub's Logboek Dataverwerkingen (Logius, working draft 0.8.0 of 2024-12-13): one record per processing of one
/// client's personal data, written as an OpenTelemetry span of the source <see cref="SourceName"/> and exported over
/// OTLP with the hub's other traces. The span continues the call's trace (its parent is the call's span, so trace id and
/// parent span id are the call's); a call that came with another system's <c>traceparent</c> names that operation in
/// <c>dpl.core.foreign_operation.*</c>; the processing activity points into the configured register
/// (<see cref="ProcessingRegister"/>), and the data subject is the client's id, encrypted (<see cref="LogboekSubjects"/>).
/// docs/privacy.md maps the records to the standard and to the audit trail (NEN 7513).
/// </summary>
public sealed class Logboek(ProcessingRegister register, LogboekSubjects subjects) : IProcessingLog
{
    /// <summary>The activity source of the records.</summary>
    public const string SourceName = "Ketenhub.Logboek";

    /// <summary>What <c>dpl.core.data_subject_id_type</c> says the subject id is.</summary>
    public const string SubjectIdType = "https://ketenhub.nl/id/client-encrypted";

    private static readonly ActivitySource Source = new(SourceName, "0.8.0");

    /// <inheritdoc />
    public void Record(ProcessingRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (!Source.HasListeners())
        {
            return;
        }

        // The standard forbids sampling the records: the record is marked recorded whatever the call's trace flags say,
        // so a sampler that follows the parent (OpenTelemetry's default) keeps it.
        _ = ActivityContext.TryParse(record.TraceParent, null, out var parent);
        if (parent != default)
        {
            parent = new ActivityContext(parent.TraceId, parent.SpanId, parent.TraceFlags | ActivityTraceFlags.Recorded, parent.TraceState, parent.IsRemote);
        }

        var tags = new ActivityTagsCollection
        {
            ["dpl.core.processing_activity_id"] = register.ActivityFor(record).ToString(),
            ["dpl.core.data_subject_id"] = subjects.Encrypt(record.ClientId),
            ["dpl.core.data_subject_id_type"] = SubjectIdType,
            ["ketenhub.audit_event_id"] = record.AuditEventId,
            ["ketenhub.party"] = record.ActorParty,
        };
        Nen7513Attributes.Add(tags, record, (string)tags["dpl.core.data_subject_id"]!);
        if (record.ForeignSpanId is { } foreign && parent != default)
        {
            // The call continued a trace another organisation's system began: that system's operation.
            tags["dpl.core.foreign_operation.trace_id"] = parent.TraceId.ToHexString();
            tags["dpl.core.foreign_operation.span_id"] = foreign;
            tags["dpl.core.foreign_operation.entity"] = "urn:ketenhub:party:" + record.ActorParty;
        }

        using var activity = Source.StartActivity(record.Operation, ActivityKind.Internal, parent, tags, startTime: record.Start);
        if (activity is null)
        {
            return;
        }

        // The standard: Unset for a processing without a server error (a refusal is the caller's), Ok where the
        // organisation marks success explicitly, Error for a server error (a processing that failed so leaves no
        // audit event, and so no record).
        activity.SetStatus(record.Outcome == AuditOutcome.Success ? ActivityStatusCode.Ok : ActivityStatusCode.Unset);
        activity.SetEndTime(record.End.UtcDateTime);
    }
}

/// <summary>
/// The NEN 7513 extension of the Logboek (Logius, <c>logboek-extensie-nen7513</c>): the fields of the hub's audit event
/// that the core attributes do not carry, in the namespace <c>dpl.nen7513</c>. Lists of objects are JSON text, as span
/// attributes hold no objects. No field names a person: the user is the identifier the party gave, the participant the
/// encrypted subject.
/// </summary>
internal static class Nen7513Attributes
{
    public static void Add(ActivityTagsCollection tags, ProcessingRecord record, string subject)
    {
        tags["dpl.nen7513.eventTypeCode"] = record.ActionCode;
        tags["dpl.nen7513.users"] = JsonSerializer.Serialize(new[]
        {
            new Dictionary<string, object?>
            {
                ["userID"] = record.ActorUser ?? record.ActorParty,
                ["alternateUserID"] = record.ActorParty,
                ["userIsRequestor"] = true,
                ["roleIDCode"] = string.Join(',', record.ActorRoles),
                ["purposeOfUse"] = string.Join(',', record.Purposes),
            },
        });
        tags["dpl.nen7513.participants"] = JsonSerializer.Serialize(new[]
        {
            new Dictionary<string, object?>
            {
                ["participantObjectTypeCode"] = "1",
                ["participantObjectTypeCodeRole"] = "1",
                ["participantObjectIDTypeCode"] = Logboek.SubjectIdType,
                ["participantObjectID"] = subject,
            },
        });
        string Of(Ketenhub.Hub.Audit.AuditCheckKind kind) => string.Join(',', record.Checks.Where(c => c.Kind == kind).Select(c => c.Reference));
        tags["dpl.nen7513.autorisatieProtocol"] = Of(Ketenhub.Hub.Audit.AuditCheckKind.Authorisation);
        tags["dpl.nen7513.behandelrelatieProtocol"] = Of(Ketenhub.Hub.Audit.AuditCheckKind.Relationship);
        tags["dpl.nen7513.toestemmingsProfiel"] = Of(Ketenhub.Hub.Audit.AuditCheckKind.Consent);
        tags["dpl.nen7513.controles"] = string.Join(',', record.Checks.Select(c => c.Kind + ":" + c.Reference));
    }
}

/// <summary>
/// The register of processing activities the records point into (<c>config/processing-activities.json</c>, or the file
/// <c>Hub:Logboek:ActivitiesFile</c> names): a processing is placed by the first purpose its audit event names, else by
/// its operation, else under the register's default activity.
/// </summary>
public sealed class ProcessingRegister
{
    private readonly Uri _register;
    private readonly string _default;
    private readonly Dictionary<string, string> _byPurpose = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _byOperation = new(StringComparer.Ordinal);

    private ProcessingRegister(Uri register, string fallback)
    {
        _register = register;
        _default = fallback;
    }

    /// <summary>Every activity id, the default first.</summary>
    public IReadOnlyList<string> Activities => [_default, .. _byPurpose.Values.Concat(_byOperation.Values).Distinct(StringComparer.Ordinal).Where(a => a != _default)];

    /// <summary>The register's address of the activity <paramref name="record"/> belongs to.</summary>
    public Uri ActivityFor(ProcessingRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var id = record.Purposes.Select(p => _byPurpose.GetValueOrDefault(p)).FirstOrDefault(a => a is not null)
            ?? _byOperation.GetValueOrDefault(record.Operation)
            ?? _default;
        return new Uri(_register, Uri.EscapeDataString(id));
    }

    /// <summary>Reads a register file; a file that does not hold one is an <see cref="InvalidDataException"/> naming what is wrong.</summary>
    public static ProcessingRegister Load(string path)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        var root = document.RootElement;
        string Text(JsonElement element, string name) =>
            element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text
                ? text
                : throw new InvalidDataException($"{path}: \"{name}\" is required (a non-empty string).");
        var address = Text(root, "register");
        if (!Uri.TryCreate(address.EndsWith('/') ? address : address + "/", UriKind.Absolute, out var register) || register.Scheme is not ("https" or "http" or "urn"))
        {
            throw new InvalidDataException($"{path}: \"register\" must be an absolute URI.");
        }

        var result = new ProcessingRegister(register, Text(root, "default"));
        if (!root.TryGetProperty("activities", out var activities) || activities.ValueKind != JsonValueKind.Array)
        {
            throw new InvalidDataException($"{path}: \"activities\" must be a list.");
        }

        var ids = new HashSet<string>(StringComparer.Ordinal) { result._default };
        foreach (var activity in activities.EnumerateArray())
        {
            var id = Text(activity, "id");
            if (!ids.Add(id))
            {
                throw new InvalidDataException($"{path}: activity \"{id}\" is listed twice.");
            }

            foreach (var (field, map) in new[] { ("purposes", result._byPurpose), ("operations", result._byOperation) })
            {
                if (!activity.TryGetProperty(field, out var list) || list.ValueKind != JsonValueKind.Array)
                {
                    throw new InvalidDataException($"{path}: activity \"{id}\" needs \"{field}\" (a list, may be empty).");
                }

                foreach (var key in list.EnumerateArray().Select(k => k.GetString() ?? string.Empty))
                {
                    if (!map.TryAdd(key, id))
                    {
                        throw new InvalidDataException($"{path}: \"{key}\" is placed in two activities.");
                    }
                }
            }
        }

        return result;
    }
}

/// <summary>
/// The data subject as the records name it: the hub's client id encrypted with AES-256-GCM under the Logboek key, with a
/// synthetic nonce (the first 12 bytes of an HMAC-SHA-256 of the id under a second key derived from the same one), so
/// the same client always gives the same value: a privacy officer with the key finds a client's records (and reads the
/// client id back), without it the records link to no one. <c>base64url(nonce ‖ ciphertext ‖ tag)</c>.
/// </summary>
public sealed class LogboekSubjects
{
    private readonly byte[] _encryption;
    private readonly byte[] _nonces;

    public LogboekSubjects(byte[] key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.Length < 32)
        {
            throw new ArgumentException("The Logboek key must be at least 32 bytes.", nameof(key));
        }

        _encryption = HKDF.DeriveKey(HashAlgorithmName.SHA256, key, 32, salt: [], info: Encoding.UTF8.GetBytes("ketenhub logboek subject encryption v1"));
        _nonces = HKDF.DeriveKey(HashAlgorithmName.SHA256, key, 32, salt: [], info: Encoding.UTF8.GetBytes("ketenhub logboek subject nonce v1"));
    }

    // The same client always gives the same value, so recent ones are kept rather than encrypted again on every record (a
    // submit and its delivery are two records about one client). Bounded: emptied when full.
    private const int Remembered = 10_000;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> _recent = new(StringComparer.Ordinal);

    /// <summary>The encrypted subject id of the client with hub id <paramref name="clientId"/>.</summary>
    public string Encrypt(string clientId)
    {
        ArgumentNullException.ThrowIfNull(clientId);
        if (_recent.TryGetValue(clientId, out var known))
        {
            return known;
        }

        if (_recent.Count >= Remembered)
        {
            _recent.Clear();
        }

        return _recent[clientId] = EncryptNew(clientId);
    }

    private string EncryptNew(string clientId)
    {
        var plain = Encoding.UTF8.GetBytes(clientId);
        var output = new byte[12 + plain.Length + 16];
        HMACSHA256.HashData(_nonces, plain).AsSpan(0, 12).CopyTo(output);
        using var aes = new AesGcm(_encryption, 16);
        aes.Encrypt(output.AsSpan(0, 12), plain, output.AsSpan(12, plain.Length), output.AsSpan(12 + plain.Length));
        return Base64Url.EncodeToString(output);
    }

    /// <summary>The client id in <paramref name="subject"/>; throws when it was not made with this key.</summary>
    public string Decrypt(string subject)
    {
        var data = Base64Url.DecodeFromChars(subject);
        var plain = new byte[data.Length - 28];
        using var aes = new AesGcm(_encryption, 16);
        aes.Decrypt(data.AsSpan(0, 12), data.AsSpan(12, plain.Length), data.AsSpan(12 + plain.Length), plain);
        return Encoding.UTF8.GetString(plain);
    }
}

/// <summary>Settings of the Logboek (<c>Hub:Logboek</c>), checked at start-up.</summary>
public sealed class LogboekOptions : IValidatableObject
{
    public const string Section = HubOptions.Section + ":Logboek";

    /// <summary>The register of processing activities; relative to the hub's folder.</summary>
    public string ActivitiesFile { get; set; } = "config/processing-activities.json";

    /// <summary>
    /// The key the data subject ids are encrypted with, base64, at least 32 bytes. Empty: derived from the hub's BSN
    /// look-up key (its own label), so a hub always has one; set it to hand the Logboek's readers a key of their own.
    /// </summary>
    public string SubjectKey { get; set; } = string.Empty;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!string.IsNullOrEmpty(SubjectKey) && (!TryBase64(SubjectKey, out var key) || key.Length < 32))
        {
            yield return new ValidationResult("Hub:Logboek:SubjectKey must be base64 of at least 32 bytes.", [nameof(SubjectKey)]);
        }

        string? problem = null;
        try
        {
            _ = ProcessingRegister.Load(HubCoreRegistration.Resolve(ActivitiesFile));
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or JsonException or UnauthorizedAccessException)
        {
            problem = $"Hub:Logboek:ActivitiesFile: {ex.Message}";
        }

        if (problem is not null)
        {
            yield return new ValidationResult(problem, [nameof(ActivitiesFile)]);
        }
    }

    private static bool TryBase64(string text, out byte[] bytes)
    {
        bytes = new byte[text.Length];
        return Convert.TryFromBase64String(text, bytes, out var written) && (bytes = bytes[..written]).Length > 0;
    }
}
