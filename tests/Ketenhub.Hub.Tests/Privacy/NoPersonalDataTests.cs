using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using Ketenhub.Hub.Clients;
using Ketenhub.HubTests.Infrastructure;
using Ketenhub.Testing.InProcess;
using Microsoft.Data.Sqlite;

namespace Ketenhub.HubTests.Privacy;

/// <summary>Runs alone, so the activities and metrics it listens to come from the scenarios it runs.</summary>
[CollectionDefinition(nameof(NoPersonalDataCollection), DisableParallelization = true)]
public sealed class NoPersonalDataCollection;

/// <summary>
/// docs/architecture.md, rule 10: runs the six scenarios with the hub logging at Debug into a capturing provider, listening
/// to every activity and metric, and fails if a valid BSN or a client's name shows up anywhere in that output.
/// It also fails if a BSN the scenarios sent is in plain text anywhere in the SQLite database: every column of
/// every table (including the stored answers of idempotent requests) and the raw bytes of the database file and
/// its WAL. (Free text, where names occur, is sealed at rest: see FreeTextAtRestTests.)
/// </summary>
[Collection(nameof(NoPersonalDataCollection))]
public sealed partial class NoPersonalDataTests
{
    // The clients of the scenarios (docs: scenarios S1–S6).
    private static readonly string[] ClientNames = ["Sanne", "Mohamed", "Priya", "Kevin", "Fatima", "Jan"];

    // The names of legal representatives the scenarios record (S1, S9): stored sealed, never in logs or plain in the database.
    private static readonly string[] RepresentativeNames = ["Mw. De Jong", "Mw. De Vries", "Mw. Jansen", "Dhr. Jansen", "Ilse Bakker", "Tom Bakker", "Sara Visser", "Anouk Smit"];

    [Fact]
    public async Task Scenarios_LeaveNoBsnOrClientName_InLogsTracesMetrics_OrTheDatabase()
    {
        var observation = new HubObservation();
        var telemetry = new List<string>();
        using var activities = new ActivityListener
        {
            ShouldListenTo = _ => true,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a =>
            {
                lock (telemetry)
                {
                    telemetry.Add($"activity {a.Source.Name} {a.OperationName} {a.DisplayName} {a.StatusDescription} "
                        + string.Join(' ', a.TagObjects.Select(t => $"{t.Key}={t.Value}"))
                        + string.Join(' ', a.Events.Select(e => e.Name + string.Join(' ', e.Tags.Select(t => $"{t.Key}={t.Value}"))))
                        + string.Join(' ', a.Baggage.Select(b => $"{b.Key}={b.Value}")));
                }
            },
        };
        ActivitySource.AddActivityListener(activities);
        using var meters = new MeterListener
        {
            InstrumentPublished = (instrument, listener) => listener.EnableMeasurementEvents(instrument),
        };
        meters.SetMeasurementEventCallback<long>((instrument, value, tags, _) => RecordMeasurement(telemetry, instrument, value, tags));
        meters.SetMeasurementEventCallback<double>((instrument, value, tags, _) => RecordMeasurement(telemetry, instrument, value, tags));
        meters.SetMeasurementEventCallback<int>((instrument, value, tags, _) => RecordMeasurement(telemetry, instrument, value, tags));
        meters.Start();

        var ran = 0;
        var databaseFindings = new List<string>();
        foreach (var (type, method) in ScenarioTests())
        {
            HubObservation.Current = observation;
            var instance = Activator.CreateInstance(type)!;
            if (instance is IAsyncLifetime lifetime)
            {
                await lifetime.InitializeAsync();
            }

            HubObservation.Current = null;
            try
            {
                await (Task)method.Invoke(instance, null)!;
                ran++;
                foreach (var factory in observation.Factories)
                {
                    databaseFindings.AddRange(ScanDatabase(factory.DataDirectory, observation.SentBsns.Keys).Select(f => $"{type.Name}.{method.Name}: {f}"));
                }
            }
            finally
            {
                while (observation.Factories.TryDequeue(out _))
                {
                }

                (instance as IDisposable)?.Dispose();
                if (instance is IAsyncLifetime started)
                {
                    await started.DisposeAsync();
                }
            }
        }

        meters.RecordObservableInstruments();
        Assert.True(ran >= 6, $"expected at least the six scenarios, ran {ran}");
        Assert.NotEmpty(observation.SentBsns);
        Assert.Contains(observation.Lines, l => l.StartsWith("Debug ", StringComparison.Ordinal));

        List<string> output;
        lock (telemetry)
        {
            output = [.. observation.Lines, .. telemetry];
        }

        var leaks = output.SelectMany(line => Leaks(line, observation.SentBsns.Keys).Select(leak => $"{leak} in: {Shorten(line)}")).Distinct().ToList();
        Assert.True(leaks.Count == 0, "Personal data in logs, traces or metrics:\n" + string.Join('\n', leaks.Take(20)));
        Assert.True(databaseFindings.Count == 0, "Personal data in the database:\n" + string.Join('\n', databaseFindings.Take(20)));
    }

    [Fact]
    public void Scanner_FindsWhatItLooksFor()
    {
        // The checks above prove nothing if the scanner is blind: it must see a valid BSN, a sent BSN and a name.
        Assert.NotEmpty(Leaks("registered 111222333 today", []));
        Assert.NotEmpty(Leaks("nothing", []).Concat(Leaks("x000000000x", ["000000000"])));
        Assert.NotEmpty(Leaks("for Sanne", []));
        Assert.NotEmpty(Leaks("mentor Mw. De Vries", []));
        Assert.Empty(Leaks("sequence 111222334, tick 638712345678901234, Sannes, hash 9A111222333F", []));
        Assert.NotEmpty(BsnLeaks("{\"json\":\"x111222333y\"}", ["111222333"]));
    }

    private static void RecordMeasurement<T>(List<string> telemetry, Instrument instrument, T value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        // The runtime's and the framework's own measurements are sizes and counts of the process; a nine-digit one
        // can pass the elfproef by chance (a GC heap of 158,117,888 bytes did). The hub's own values are scanned.
        var ours = instrument.Meter.Name.StartsWith("Ketenhub", StringComparison.Ordinal);
        var text = new StringBuilder($"metric {instrument.Meter.Name} {instrument.Name} {(ours ? value : "-")}");
        foreach (var (key, tagValue) in tags)
        {
            text.Append(' ').Append(key).Append('=').Append(tagValue);
        }

        lock (telemetry)
        {
            telemetry.Add(text.ToString());
        }
    }

    /// <summary>Every test method of the scenario classes (tests/Ketenhub.Hub.Tests/Scenarios).</summary>
    private static IEnumerable<(Type Type, MethodInfo Method)> ScenarioTests() =>
        typeof(NoPersonalDataTests).Assembly.GetTypes()
            .Where(t => t.Namespace == "Ketenhub.HubTests.Scenarios" && t.IsClass && t.IsPublic)
            .OrderBy(t => t.Name, StringComparer.Ordinal)
            .SelectMany(t => t.GetMethods().Where(m => m.GetCustomAttribute<FactAttribute>() is { Skip: null } && m.GetParameters().Length == 0).Select(m => (t, m)));

    /// <summary>Valid BSNs (nine-digit runs passing the elfproef), BSNs the test sent, and client names in a text.</summary>
    private static IEnumerable<string> Leaks(string text, IEnumerable<string> sentBsns)
    {
        foreach (Match match in DigitRun().Matches(text))
        {
            if (Bsn.IsValid(match.Value))
            {
                yield return "a valid BSN";
            }
        }

        foreach (var leak in BsnLeaks(text, sentBsns))
        {
            yield return leak;
        }

        foreach (var name in ClientNames)
        {
            if (Regex.IsMatch(text, $@"\b{name}\b"))
            {
                yield return "the client name " + name;
            }
        }

        foreach (var name in RepresentativeNames.Where(n => text.Contains(n, StringComparison.Ordinal)))
        {
            yield return "the representative's name " + name;
        }
    }

    /// <summary>
    /// The BSNs the test sent, in a stored text. (Hex hashes and ciphertexts hold digit runs that pass the
    /// elfproef by chance, so stored data is searched for the numbers that were actually sent.)
    /// </summary>
    private static IEnumerable<string> BsnLeaks(string text, IEnumerable<string> sentBsns) =>
        sentBsns.Where(bsn => text.Contains(bsn, StringComparison.Ordinal)).Select(_ => "a BSN the test sent");

    /// <summary>Every text and blob value of every table, and the raw bytes of every file in the data folder (the database, its WAL and journal, the audit checkpoints).</summary>
    private static IEnumerable<string> ScanDatabase(string directory, ICollection<string> sentBsns)
    {
        var files = Directory.Exists(directory) ? Directory.GetFiles(directory, "*", SearchOption.AllDirectories) : [];
        // The database files; the folder also holds the audit checkpoints and the development checkpoint key, scanned as raw bytes.
        var databases = files.Where(f => f.EndsWith(".db", StringComparison.Ordinal)).ToList();
        if (databases.Count == 0)
        {
            yield return "no database file was found to scan in " + directory;
            yield break;
        }

        foreach (var file in files)
        {
            byte[] bytes;
            using (var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
            {
                bytes = new byte[stream.Length];
                stream.ReadExactly(bytes);
            }

            var text = Encoding.Latin1.GetString(bytes);
            foreach (var leak in BsnLeaks(text, sentBsns).Distinct())
            {
                yield return $"{Path.GetFileName(file)} (raw bytes): {leak}";
            }

            foreach (var name in RepresentativeNames.Where(n => text.Contains(n, StringComparison.Ordinal)))
            {
                yield return $"{Path.GetFileName(file)} (raw bytes): the representative's name {name}";
            }
        }

        foreach (var database in databases)
        {
            var found = new List<string>();
            var rows = 0;
            using (var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = database, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString()))
            {
                connection.Open();
                var tables = new List<string>();
                using (var list = connection.CreateCommand())
                {
                    list.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table';";
                    using var reader = list.ExecuteReader();
                    while (reader.Read())
                    {
                        tables.Add(reader.GetString(0));
                    }
                }

                foreach (var table in tables)
                {
                    using var select = connection.CreateCommand();
                    select.CommandText = $"SELECT * FROM \"{table.Replace("\"", "\"\"", StringComparison.Ordinal)}\";";
                    using var reader = select.ExecuteReader();
                    while (reader.Read())
                    {
                        rows++;
                        for (var i = 0; i < reader.FieldCount; i++)
                        {
                            var value = reader.IsDBNull(i) ? null : reader.GetValue(i) switch
                            {
                                byte[] blob => Encoding.UTF8.GetString(blob),
                                var other => Convert.ToString(other, System.Globalization.CultureInfo.InvariantCulture),
                            };
                            if (value is not null)
                            {
                                found.AddRange(BsnLeaks(value, sentBsns).Select(leak => $"{table}.{reader.GetName(i)}: {leak}"));
                            }
                        }
                    }
                }
            }

            if (rows == 0)
            {
                found.Add("the database holds no rows: nothing was scanned");
            }

            foreach (var finding in found.Distinct())
            {
                yield return finding;
            }
        }
    }

    private static string Shorten(string line) => line.Length <= 300 ? line : line[..300] + "…";

    [GeneratedRegex(@"(?<![0-9A-Za-z])[0-9]{9}(?![0-9A-Za-z])")]
    private static partial Regex DigitRun();
}
