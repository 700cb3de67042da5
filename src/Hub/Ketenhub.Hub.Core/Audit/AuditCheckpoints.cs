using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Ketenhub.Hub.Storage;

namespace Ketenhub.Hub.Audit;

/// <summary>
/// A statement, signed with a key kept outside the database, that the audit trail's head was event
/// <paramref name="Sequence"/> with hash <paramref name="Hash"/> at <paramref name="Time"/>. A trail rebuilt from
/// scratch with the same hash function, or cut back, no longer contains that event with that hash.
/// </summary>
public sealed record AuditCheckpoint(long Sequence, string Hash, DateTimeOffset Time);

/// <summary>
/// The ECDSA P-256 key that signs checkpoints (its private half, held by the hub) or checks them (either half).
/// Signatures are SHA-256 in IEEE P1363 form (r ‖ s), base64; the key id is the first 16 hex digits of the SHA-256
/// of the public key (SubjectPublicKeyInfo), so a line names the key that signed it.
/// </summary>
public sealed class AuditCheckpointKey : IDisposable
{
    private const string Domain = "ketenhub-audit-checkpoint-v1";
    private readonly ECDsa _key;

    private AuditCheckpointKey(ECDsa key, bool canSign)
    {
        _key = key;
        CanSign = canSign;
        KeyId = Convert.ToHexStringLower(SHA256.HashData(key.ExportSubjectPublicKeyInfo()))[..16];
    }

    /// <summary>Whether the key holds its private half.</summary>
    public bool CanSign { get; }

    /// <summary>The key's id in every line it signs.</summary>
    public string KeyId { get; }

    /// <summary>A new private key (for a development hub without a configured one).</summary>
    public static AuditCheckpointKey Generate() => new(ECDsa.Create(ECCurve.NamedCurves.nistP256), canSign: true);

    /// <summary>
    /// Reads a PEM key: a private key (PKCS#8 or SEC 1) or a public key (SubjectPublicKeyInfo) on curve P-256.
    /// Returns a problem description instead when the text holds no such key.
    /// </summary>
    public static AuditCheckpointKey? FromPem(string pem, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(pem);
        var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(pem);
        }
        catch (Exception ex) when (ex is ArgumentException or CryptographicException)
        {
            key.Dispose();
            problem = "holds no EC key in PEM form.";
            return null;
        }

        var parameters = key.ExportParameters(includePrivateParameters: false);
        if (parameters.Curve.Oid?.Value != ECCurve.NamedCurves.nistP256.Oid.Value)
        {
            key.Dispose();
            problem = "holds an EC key that is not on curve P-256.";
            return null;
        }

        problem = null;
        return new AuditCheckpointKey(key, pem.Contains("PRIVATE KEY-----", StringComparison.Ordinal));
    }

    /// <summary>The private key in PKCS#8 PEM form, to keep in a file readable by the hub only.</summary>
    public string ExportPrivateKeyPem() => _key.ExportPkcs8PrivateKeyPem();

    /// <summary>The public key in PEM form, for a verifier that should not hold the private key.</summary>
    public string ExportPublicKeyPem() => _key.ExportSubjectPublicKeyInfoPem();

    /// <summary>The checkpoint as one JSON line (without the line feed), signed.</summary>
    public string Sign(AuditCheckpoint checkpoint)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        if (!CanSign)
        {
            throw new InvalidOperationException("A public key cannot sign audit checkpoints.");
        }

        var time = checkpoint.Time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);
        var signature = _key.SignData(Payload(checkpoint.Sequence, checkpoint.Hash, time, KeyId), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("sequence", checkpoint.Sequence);
            json.WriteString("hash", checkpoint.Hash);
            json.WriteString("time", time);
            json.WriteString("key", KeyId);
            json.WriteString("signature", Convert.ToBase64String(signature));
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>
    /// Reads one line: the checkpoint when the line is well formed and its signature verifies under this key; otherwise
    /// null and why (the sequence the line claims, when it can be read, comes back in <paramref name="claimed"/>).
    /// </summary>
    public AuditCheckpoint? Open(string line, out long? claimed, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(line);
        claimed = null;
        long sequence;
        string hash, time, keyId;
        byte[] signature;
        try
        {
            using var document = JsonDocument.Parse(line);
            var root = document.RootElement;
            sequence = root.GetProperty("sequence").GetInt64();
            claimed = sequence;
            hash = root.GetProperty("hash").GetString() ?? "";
            time = root.GetProperty("time").GetString() ?? "";
            keyId = root.GetProperty("key").GetString() ?? "";
            signature = Convert.FromBase64String(root.GetProperty("signature").GetString() ?? "");
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            problem = "it is not a checkpoint line";
            return null;
        }

        if (!string.Equals(keyId, KeyId, StringComparison.Ordinal))
        {
            problem = $"it names key {keyId}, not the verifying key {KeyId}";
            return null;
        }

        if (!_key.VerifyData(Payload(sequence, hash, time, keyId), signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation))
        {
            problem = "its signature does not verify";
            return null;
        }

        if (sequence < 1 || hash.Length != 64 || !hash.All(char.IsAsciiHexDigitLower)
            || !DateTimeOffset.TryParseExact(time, "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
        {
            problem = "its signed content is not a checkpoint";
            return null;
        }

        problem = null;
        return new AuditCheckpoint(sequence, hash, parsed);
    }

    public void Dispose() => _key.Dispose();

    private static byte[] Payload(long sequence, string hash, string time, string keyId) =>
        Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{Domain}\n{sequence}\n{hash}\n{time}\n{keyId}"));
}

/// <summary>A line of the checkpoint file that is not a valid checkpoint under the verifying key.</summary>
/// <param name="Line">The line number (1 is the first).</param>
/// <param name="ClaimedSequence">The sequence the line names, when it can be read.</param>
/// <param name="Problem">Why it is not valid, in a few words.</param>
public sealed record AlteredCheckpointLine(int Line, long? ClaimedSequence, string Problem);

/// <summary>What a checkpoint file holds: the valid checkpoints in file order and the lines that are not valid.</summary>
public sealed record AuditCheckpointReading(string File, IReadOnlyList<AuditCheckpoint> Checkpoints, IReadOnlyList<AlteredCheckpointLine> Altered)
{
    /// <summary>No file, or an empty one.</summary>
    public bool IsEmpty => Checkpoints.Count == 0 && Altered.Count == 0;
}

/// <summary>
/// The append-only checkpoint file: one JSON line per checkpoint (<see cref="AuditCheckpointKey.Sign"/>), in the order
/// they were written. Created readable by the hub's user only; each line is written with one write and flushed to disk.
/// </summary>
public static class AuditCheckpointFile
{
    /// <summary>The file's name inside the checkpoint folder.</summary>
    public const string FileName = "audit-checkpoints.jsonl";

    /// <summary>Appends one signed line, creating the folder (0700) and the file (0600) when they are missing.</summary>
    public static void Append(string folder, string line)
    {
        ArgumentNullException.ThrowIfNull(folder);
        ArgumentNullException.ThrowIfNull(line);
        if (!Directory.Exists(folder))
        {
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(folder);
            }
            else
            {
                Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }

        var options = new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.Read };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using var file = new FileStream(Path.Combine(folder, FileName), options);
        var text = line + "\n";
        if (file.Length > 0)
        {
            // A line cut short by a crash is left alone; the new line starts on a line of its own.
            file.Seek(-1, SeekOrigin.End);
            if (file.ReadByte() != '\n')
            {
                text = "\n" + text;
            }
        }

        file.Seek(0, SeekOrigin.End);
        file.Write(Encoding.UTF8.GetBytes(text));
        file.Flush(flushToDisk: true);
    }

    /// <summary>
    /// Reads every line of the file in <paramref name="folder"/> under <paramref name="key"/>. A last line without its
    /// line feed that is not a checkpoint was cut short by a crash while it was written, and is skipped; any other line
    /// that is not a valid checkpoint is reported as altered.
    /// </summary>
    public static AuditCheckpointReading Read(string folder, AuditCheckpointKey key)
    {
        ArgumentNullException.ThrowIfNull(folder);
        ArgumentNullException.ThrowIfNull(key);
        var path = Path.Combine(folder, FileName);
        var valid = new List<AuditCheckpoint>();
        var altered = new List<AlteredCheckpointLine>();
        if (!File.Exists(path))
        {
            return new AuditCheckpointReading(path, valid, altered);
        }

        var text = File.ReadAllText(path, Encoding.UTF8);
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd('\r');
            var last = i == lines.Length - 1;
            if (line.Length == 0 && last)
            {
                break;
            }

            var checkpoint = key.Open(line, out var claimed, out var problem);
            if (checkpoint is not null)
            {
                valid.Add(checkpoint);
            }
            else if (!(last && claimed is null))
            {
                altered.Add(new AlteredCheckpointLine(i + 1, claimed, problem ?? "it is not valid"));
            }
        }

        return new AuditCheckpointReading(path, valid, altered);
    }
}

/// <summary>
/// Checks the chain and then the checkpoints: every valid checkpoint's event must still be in the chain with the
/// same hash. A checkpoint beyond the chain's end shows a cut tail; one whose event has another hash shows a chain
/// rebuilt (from that event or before); a line whose signature does not verify shows an altered checkpoint.
/// </summary>
public static class AuditCheckpointCheck
{
    /// <summary>
    /// Verifies the chain read page by page from <paramref name="pages"/> against <paramref name="checkpoints"/> (null:
    /// the chain only), from <paramref name="start"/> when the trail's oldest events were removed: with checkpoints, a
    /// validly signed one must vouch for the start (<see cref="AuditProblem.UnvouchedStart"/>).
    /// </summary>
    public static AuditVerification Verify(Func<long, int, IReadOnlyList<AuditRecord>> pages, AuditCheckpointReading? checkpoints, int pageSize = 1000, AuditStart? start = null)
    {
        ArgumentNullException.ThrowIfNull(pages);
        var wanted = checkpoints?.Checkpoints.Select(c => c.Sequence).ToHashSet() ?? [];
        var hashes = new Dictionary<long, string>();
        var chain = AuditVerifier.Verify(
            pages,
            pageSize,
            record =>
            {
                if (wanted.Contains(record.Sequence))
                {
                    hashes[record.Sequence] = record.Hash;
                }
            },
            start);
        if (start is not null)
        {
            hashes[start.Sequence] = start.Hash;
        }

        return checkpoints is null ? chain : Apply(chain, checkpoints, hashes);
    }

    /// <summary>The verdict of an intact chain against the checkpoints, given the chain's hashes at their sequences.</summary>
    public static AuditVerification Apply(AuditVerification chain, AuditCheckpointReading checkpoints, IReadOnlyDictionary<long, string> hashes)
    {
        ArgumentNullException.ThrowIfNull(chain);
        ArgumentNullException.ThrowIfNull(checkpoints);
        ArgumentNullException.ThrowIfNull(hashes);
        if (!chain.Intact)
        {
            return chain;
        }

        var head = chain.Head?.Sequence ?? 0;
        var start = chain.Start;
        var all = checkpoints.Checkpoints.OrderBy(c => c.Sequence).ThenBy(c => c.Time).ToList();

        // Checkpoints of events removed before the start are not checked: their events are gone.
        var ordered = all.Where(c => c.Sequence >= (start?.Sequence ?? 0)).ToList();
        var newest = all.Count == 0 ? null : all[^1];
        var checkedSoFar = chain with { CheckpointFile = checkpoints.File, CheckpointsChecked = ordered.Count, NewestCheckpoint = newest, CheckpointsBeforeStart = all.Count - ordered.Count };
        if (start is not null)
        {
            var vouching = ordered.FirstOrDefault(c => c.Sequence == start.Sequence && string.Equals(c.Hash, start.Hash, StringComparison.Ordinal));
            if (vouching is null)
            {
                return checkedSoFar with { Problem = AuditProblem.UnvouchedStart, FirstBadSequence = start.Sequence + 1, Head = null };
            }

            checkedSoFar = checkedSoFar with { StartCheckpoint = vouching };
        }

        AuditCheckpoint? lastGood = null;
        foreach (var checkpoint in ordered)
        {
            if (checkpoint.Sequence > head)
            {
                return checkedSoFar with { Problem = AuditProblem.Truncated, FirstBadSequence = head + 1, Checkpoint = checkpoint, LastGoodCheckpoint = lastGood };
            }

            if (!hashes.TryGetValue(checkpoint.Sequence, out var hash) || !string.Equals(hash, checkpoint.Hash, StringComparison.Ordinal))
            {
                return checkedSoFar with { Problem = AuditProblem.Rebuilt, FirstBadSequence = checkpoint.Sequence, Checkpoint = checkpoint, LastGoodCheckpoint = lastGood };
            }

            lastGood = checkpoint;
        }

        if (checkpoints.Altered.Count > 0)
        {
            var line = checkpoints.Altered[0];
            return checkedSoFar with { Problem = AuditProblem.CheckpointAltered, FirstBadSequence = line.ClaimedSequence, AlteredLine = line };
        }

        return checkedSoFar;
    }
}

/// <summary>Where the hub's checkpoints are read for a verification through the API (the host supplies it).</summary>
public interface IAuditCheckpointSource
{
    /// <summary>The checkpoints written so far, or null when checkpoints are not in use.</summary>
    AuditCheckpointReading? Read();
}
