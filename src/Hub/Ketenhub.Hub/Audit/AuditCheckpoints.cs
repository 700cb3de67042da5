using System.ComponentModel.DataAnnotations;
using Ketenhub.Hub.Audit;
using Ketenhub.Hub.Storage;
using Microsoft.Extensions.Options;

namespace Ketenhub.Hub.Host.Audit;

/// <summary>
/// Signed checkpoints of the audit trail's head (section <c>Hub:Audit:Checkpoints</c>), written outside the database
/// so that a trail rebuilt with the same hash function, or cut back, is found by <c>audit verify</c>.
/// </summary>
public sealed class AuditCheckpointOptions
{
    public const string Section = "Hub:Audit:Checkpoints";

    /// <summary>The file the development hub generates its key into, inside the data folder.</summary>
    public const string DevelopmentKeyFileName = "audit-checkpoint-key.pem";

    /// <summary>The default checkpoint folder's name inside the data folder.</summary>
    public const string DefaultFolderName = "audit-checkpoints";

    /// <summary>
    /// Whether the hub writes checkpoints. Switching them off is a decision to rely on the chain (and a head recorded
    /// by hand, <c>--expect-head</c>) alone. <value>The default value is true.</value>
    /// </summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How often the head is checkpointed when it moved (and once more at shutdown). <value>The default value is five minutes.</value></summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00", ErrorMessage = "Hub:Audit:Checkpoints:Interval must be from 00:00:01 to 1.00:00:00.")]
    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// A PEM file with the ECDSA P-256 private key that signs checkpoints, kept outside the database (readable by
    /// the hub only). Required outside Development; a development hub generates one into its data folder.
    /// </summary>
    public string? SigningKeyFile { get; set; }

    /// <summary>
    /// The folder of the append-only checkpoint file. <value>The default value is <c>audit-checkpoints</c> in the data
    /// folder; in production choose a place the database's operators cannot rewrite (another disk or host).</value>
    /// </summary>
    public string? Directory { get; set; }

    /// <summary>The checkpoint folder for a data folder (relative paths are relative to the working directory, as the data folder).</summary>
    public string FolderFor(string dataDirectory) =>
        Path.GetFullPath(string.IsNullOrWhiteSpace(Directory) ? Path.Combine(dataDirectory, DefaultFolderName) : Directory);

    /// <summary>The development key's path in a data folder.</summary>
    public static string DevelopmentKeyFile(string dataDirectory) => Path.Combine(Path.GetFullPath(dataDirectory), DevelopmentKeyFileName);

    /// <summary>Reads a PEM key file; returns the key, or null and a problem description.</summary>
    public static AuditCheckpointKey? ReadKey(string path, out string? problem)
    {
        string pem;
        try
        {
            pem = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            problem = $"cannot be read ({ex.GetType().Name}).";
            return null;
        }

        return AuditCheckpointKey.FromPem(pem, out problem);
    }
}

/// <summary>Outside Development a hub that writes checkpoints needs its signing key; a configured key must be a usable private key.</summary>
internal sealed class AuditCheckpointOptionsValidator(IHostEnvironment environment) : IValidateOptions<AuditCheckpointOptions>
{
    public ValidateOptionsResult Validate(string? name, AuditCheckpointOptions options)
    {
        if (!options.Enabled)
        {
            return ValidateOptionsResult.Success;
        }

        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(options.SigningKeyFile))
        {
            if (!environment.IsDevelopment())
            {
                problems.Add(
                    $"{AuditCheckpointOptions.Section}:SigningKeyFile is missing: name a PEM file with an ECDSA P-256 private key, kept outside the database "
                    + $"(for example: openssl ecparam -name prime256v1 -genkey -noout | openssl pkcs8 -topk8 -nocrypt), or set {AuditCheckpointOptions.Section}:Enabled to false "
                    + "to rely on the hash chain alone (see docs/security.md).");
            }
        }
        else
        {
            using var key = AuditCheckpointOptions.ReadKey(options.SigningKeyFile, out var problem);
            if (key is null)
            {
                problems.Add($"{AuditCheckpointOptions.Section}:SigningKeyFile '{options.SigningKeyFile}' {problem}");
            }
            else if (!key.CanSign)
            {
                problems.Add($"{AuditCheckpointOptions.Section}:SigningKeyFile '{options.SigningKeyFile}' holds a public key; the hub needs the private key to sign.");
            }
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}

/// <summary>
/// The hub's checkpoint key and folder, settled once at start: the configured key, or in Development a key generated
/// into the data folder (and kept there for the next start). Also the source of checkpoints for the API's verification.
/// </summary>
public sealed partial class AuditCheckpointSetup : IAuditCheckpointSource, IDisposable
{
    private readonly AuditCheckpointKey? _key;

    public AuditCheckpointSetup(IOptions<AuditCheckpointOptions> options, IOptions<StorageOptions> storage, IHostEnvironment environment, ILogger<AuditCheckpointSetup> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(storage);
        ArgumentNullException.ThrowIfNull(environment);
        var settings = options.Value;
        Enabled = settings.Enabled;
        Interval = settings.Interval;
        Folder = settings.FolderFor(storage.Value.DataDirectory);
        if (!Enabled)
        {
            LogOff(logger);
            return;
        }

        if (!string.IsNullOrWhiteSpace(settings.SigningKeyFile))
        {
            _key = AuditCheckpointOptions.ReadKey(settings.SigningKeyFile, out var problem)
                ?? throw new OptionsValidationException(AuditCheckpointOptions.Section, typeof(AuditCheckpointOptions), [$"{AuditCheckpointOptions.Section}:SigningKeyFile {problem}"]);
        }
        else if (environment.IsDevelopment())
        {
            _key = DevelopmentKey(AuditCheckpointOptions.DevelopmentKeyFile(storage.Value.DataDirectory), logger);
        }
        else
        {
            throw new OptionsValidationException(AuditCheckpointOptions.Section, typeof(AuditCheckpointOptions), [$"{AuditCheckpointOptions.Section}:SigningKeyFile is missing."]);
        }

        LogOn(logger, Folder, Interval, _key.KeyId);
    }

    /// <summary>Whether checkpoints are written.</summary>
    public bool Enabled { get; }

    /// <summary>How often the head is checkpointed when it moved.</summary>
    public TimeSpan Interval { get; }

    /// <summary>The checkpoint file's folder.</summary>
    public string Folder { get; }

    /// <summary>The signing key; null when checkpoints are off.</summary>
    public AuditCheckpointKey? Key => _key;

    /// <inheritdoc />
    public AuditCheckpointReading? Read() => _key is null ? null : AuditCheckpointFile.Read(Folder, _key);

    public void Dispose() => _key?.Dispose();

    private static AuditCheckpointKey DevelopmentKey(string path, ILogger logger)
    {
        if (File.Exists(path))
        {
            return AuditCheckpointOptions.ReadKey(path, out var problem)
                ?? throw new OptionsValidationException(AuditCheckpointOptions.Section, typeof(AuditCheckpointOptions), [$"The development checkpoint key {path} {problem} Delete it to have a new one generated."]);
        }

        var key = AuditCheckpointKey.Generate();
        var folder = Path.GetDirectoryName(path)!;
        if (!System.IO.Directory.Exists(folder))
        {
            if (OperatingSystem.IsWindows())
            {
                System.IO.Directory.CreateDirectory(folder);
            }
            else
            {
                System.IO.Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }

        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var file = new StreamWriter(path, options))
        {
            file.Write(key.ExportPrivateKeyPem());
        }

        LogGenerated(logger, path);
        return key;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Generated an audit checkpoint signing key at {Path} (Development only; elsewhere set Hub:Audit:Checkpoints:SigningKeyFile)")]
    private static partial void LogGenerated(ILogger logger, string path);

    [LoggerMessage(Level = LogLevel.Information, Message = "Audit checkpoints: every {Interval} when the head moved, into {Folder}, signed with key {KeyId}")]
    private static partial void LogOn(ILogger logger, string folder, TimeSpan interval, string keyId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Audit checkpoints are switched off (Hub:Audit:Checkpoints:Enabled): a rebuilt or cut-back audit trail can only be found with a head recorded elsewhere")]
    private static partial void LogOff(ILogger logger);
}

/// <summary>
/// Writes a signed checkpoint of the audit head every <see cref="AuditCheckpointSetup.Interval"/> (timed by the hub's
/// <see cref="TimeProvider"/>) and at shutdown, when the head moved since the last one. The head is read as any read
/// is answered: once durable, so a checkpoint never vouches for an event a crash could still lose. At start the newest
/// checkpoint is compared with the trail, and a trail that no longer holds it is reported in the log.
/// </summary>
public sealed partial class AuditCheckpointWriter(AuditCheckpointSetup setup, IHubStore store, TimeProvider time, ILogger<AuditCheckpointWriter> logger) : BackgroundService
{
    private readonly SemaphoreSlim _writing = new(1, 1);
    private AuditHead? _last;
    private bool _started;

    /// <summary>Writes a checkpoint now if the head moved since the last one; returns it, or null when nothing was written.</summary>
    public async Task<AuditCheckpoint?> WriteNowAsync(CancellationToken cancellationToken)
    {
        if (setup.Key is not { } key)
        {
            return null;
        }

        await _writing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var head = await store.ReadAsync(session => session.GetAuditHead(), cancellationToken).ConfigureAwait(false);
            if (head is null || head == _last)
            {
                return null;
            }

            var checkpoint = new AuditCheckpoint(head.Sequence, head.Hash, time.GetUtcNow());
            AuditCheckpointFile.Append(setup.Folder, key.Sign(checkpoint));
            _last = head;
            LogWritten(checkpoint.Sequence);
            return checkpoint;
        }
        finally
        {
            _writing.Release();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!setup.Enabled)
        {
            return;
        }

        _started = true;
        await CheckNewestAsync(stoppingToken).ConfigureAwait(false);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(setup.Interval, time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            await TryWriteAsync(stoppingToken).ConfigureAwait(false);
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        if (_started)
        {
            await TryWriteAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public override void Dispose()
    {
        _writing.Dispose();
        base.Dispose();
    }

    private async Task TryWriteAsync(CancellationToken cancellationToken)
    {
        try
        {
            await WriteNowAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ObjectDisposedException or Common.HubException)
        {
            LogNotWritten(setup.Folder, ex.GetType().Name);
        }
    }

    /// <summary>Compares the newest checkpoint with the trail; a trail that no longer holds it is logged (run <c>audit verify</c>).</summary>
    private async Task CheckNewestAsync(CancellationToken cancellationToken)
    {
        try
        {
            var reading = setup.Read();
            if (reading is null)
            {
                return;
            }

            if (reading.Altered.Count > 0)
            {
                LogAlteredLine(reading.File, reading.Altered[0].Line);
            }

            var newest = reading.Checkpoints.OrderBy(c => c.Sequence).LastOrDefault();
            if (newest is null)
            {
                return;
            }

            var (start, records) = await store.ReadAsync(session => (session.GetAuditStart(), session.ListAuditRecords(new AuditQuery(newest.Sequence - 1, 1))), cancellationToken).ConfigureAwait(false);
            if (start is not null && newest.Sequence <= start.Sequence)
            {
                // Retention removed the newest checkpoint's event (the trail starts after it): the start must be one a
                // checkpoint vouches for, which audit verify checks; there is nothing here to compare.
                return;
            }

            var record = records.Count > 0 && records[0].Sequence == newest.Sequence ? records[0] : null;
            if (record is null || !string.Equals(record.Hash, newest.Hash, StringComparison.Ordinal))
            {
                LogTrailDiffers(newest.Sequence, record is null ? "the trail ends before it" : "the trail has another hash there");
                return;
            }

            _last = new AuditHead(record.Sequence, record.Hash);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or Common.HubException)
        {
            LogNotRead(setup.Folder, ex.GetType().Name);
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Audit checkpoint written for event {Sequence}")]
    private partial void LogWritten(long sequence);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not write an audit checkpoint into {Folder} ({Error}); the next interval tries again")]
    private partial void LogNotWritten(string folder, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not read the audit checkpoints in {Folder} ({Error})")]
    private partial void LogNotRead(string folder, string error);

    [LoggerMessage(Level = LogLevel.Critical, Message = "The audit trail does not hold the newest checkpoint, event {Sequence}: {Finding}. The trail was cut back or rebuilt; run 'Ketenhub.Hub audit verify'")]
    private partial void LogTrailDiffers(long sequence, string finding);

    [LoggerMessage(Level = LogLevel.Critical, Message = "Line {Line} of the audit checkpoint file {File} is not validly signed; run 'Ketenhub.Hub audit verify'")]
    private partial void LogAlteredLine(string file, int line);
}
