using System.Diagnostics;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using Ketenhub.Contracts;
using Ketenhub.Contracts.V1;
using Ketenhub.Hub.Host.Audit;
using Ketenhub.Hub.Host.Transport;
using Ketenhub.HubTests.Infrastructure;
using Ketenhub.Testing.InProcess;
using Microsoft.Data.Sqlite;
using static Ketenhub.Testing.InProcess.PartyClient;

namespace Ketenhub.HubTests.Integration;

/// <summary>The audit trail through the real host and its real SQLite file.</summary>
public sealed class AuditTrailTests : IDisposable
{
    private readonly HubFactory _hub = new();
    private readonly List<GrpcChannel> _channels = [];

    public void Dispose()
    {
        foreach (var channel in _channels)
        {
            channel.Dispose();
        }

        _hub.Dispose();
    }

    private string DatabasePath => Path.Combine(_hub.DataDirectory, "ketenhub.db");

    /// <summary>The audit service as a party whose (development) identity grants <paramref name="roles"/>.</summary>
    private AuditService.AuditServiceClient Auditor(string party = "sdd", string roles = "privacy-officer") =>
        new(WithHeaders(party, (Callers.RolesHeader, roles), (Callers.UserHeader, "fg-officer-1")));

    private ClientService.ClientServiceClient ClientsWithRoles(string party, string roles) =>
        new(WithHeaders(party, (Callers.RolesHeader, roles)));

    private CallInvoker WithHeaders(string party, params (string Key, string Value)[] headers)
    {
        var channel = GrpcChannel.ForAddress(_hub.Server.BaseAddress, new GrpcChannelOptions { HttpHandler = _hub.Server.CreateHandler() });
        _channels.Add(channel);
        return channel.Intercept(metadata =>
        {
            metadata.Add(DevelopmentHeaders.Party, party);
            foreach (var (key, value) in headers)
            {
                metadata.Add(key, value);
            }

            return metadata;
        });
    }

    private async Task<List<AuditEvent>> ExportAllAsync(ListAuditEventsRequest? filter = null, int pageSize = 1000)
    {
        var auditor = Auditor();
        var request = filter ?? new ListAuditEventsRequest();
        request.PageSize = pageSize;
        var events = new List<AuditEvent>();
        do
        {
            var page = await auditor.ListAuditEventsAsync(request);
            events.AddRange(page.AuditEvents);
            request.PageToken = page.NextPageToken;
        }
        while (request.PageToken.Length > 0);

        return events;
    }

    private List<object?[]> Sql(string sql)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DatabasePath, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var rows = new List<object?[]>();
        do
        {
            while (reader.Read())
            {
                var row = new object?[reader.FieldCount];
                reader.GetValues(row!);
                rows.Add(row);
            }
        }
        while (reader.NextResult());

        return rows;
    }

    private long Count(string table) => (long)Sql($"SELECT COUNT(*) FROM {table};")[0][0]!;

    [Fact]
    public async Task Submit_WritesItsAuditEvent_InTheSameCommit()
    {
        using var listener = new ActivityListener { ShouldListenTo = s => s.Name == "Microsoft.AspNetCore", Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData };
        ActivitySource.AddActivityListener(listener);
        var waakvlam = _hub.As("waakvlam-zorg");
        var client = await Kit.ClientWithCoachAsync(waakvlam);
        var consent = await waakvlam.GrantAsync(client.Name, GrantorRole.Client, "waakvlam-zorg", [Purpose.SignalFollowUp, Purpose.Coaching], [DataCategory.Finances]);
        var request = Kit.Signal(client.Name);

        var sent = await _hub.As("sdd").Signals.CreateSignalAsync(request);

        var submitted = Assert.Single(await ExportAllAsync(), e => e.EventType == "CreateSignal");
        Assert.Equal(AuditAction.Create, submitted.Action);
        Assert.Equal(AuditOutcome.Success, submitted.Outcome);
        Assert.Equal("parties/sdd", submitted.Party);
        Assert.Equal(request.RequestId, submitted.RequestId);
        Assert.Contains(sent.Signal.Name, submitted.Resources);
        Assert.Contains(submitted.Checks, c => c.Kind == AuditCheckKind.Authorisation && c.Reference == "PARTY_ACTS_AS_ITSELF");
        Assert.Contains(submitted.Checks, c => c.Kind == AuditCheckKind.Consent && c.Reference == consent.Name);
        Assert.Contains("SIGNAL_FOLLOW_UP", submitted.Purpose, StringComparison.Ordinal);
        Assert.Matches("^[0-9a-f]{32}$", submitted.TraceId);
        Assert.Equal(sent.Signal.CreateTime, submitted.EventTime);
        Assert.StartsWith("ap_", submitted.ClientPseudonym, StringComparison.Ordinal);
        Assert.DoesNotContain(client.Name["clients/".Length..], submitted.ClientPseudonym, StringComparison.Ordinal);

        // Both rows are in the file; the event's stored body names the signal it logged.
        var signalId = sent.Signal.Name["signals/".Length..];
        Assert.Single(Sql($"SELECT id FROM signals WHERE id = '{signalId}';"));
        Assert.Single(Sql($"SELECT sequence FROM audit_events WHERE sequence = {submitted.Sequence} AND body LIKE '%{sent.Signal.Name}%';"));
    }

    [Fact]
    public async Task FailingAuditWrite_FailsTheRequest_AndNothingIsStored()
    {
        var waakvlam = _hub.As("waakvlam-zorg");
        var client = await Kit.ClientWithCoachAsync(waakvlam);
        var (signals, deliveries, requests, audit) = (Count("signals"), Count("deliveries"), Count("requests"), Count("audit_events"));

        // The audit table refuses every insert, as a full or broken audit store would.
        Sql("CREATE TRIGGER audit_broken BEFORE INSERT ON audit_events BEGIN SELECT RAISE(ABORT, 'audit store broken'); END;");
        var request = Kit.Signal(client.Name);
        await Errors.Expect(StatusCode.Unavailable, "AUDIT_UNAVAILABLE", () => _hub.As("sdd").Signals.CreateSignalAsync(request).ResponseAsync);
        await Errors.Expect(StatusCode.Unavailable, "AUDIT_UNAVAILABLE", () => waakvlam.Clients.GetCareTeamAsync(new GetCareTeamRequest { Client = client.Name }).ResponseAsync);
        await Errors.Expect(StatusCode.Unavailable, "AUDIT_UNAVAILABLE", () => waakvlam.Clients.ListJourneyEventsAsync(new ListJourneyEventsRequest { Client = client.Name }).ResponseAsync);

        Assert.Equal((signals, deliveries, requests, audit), (Count("signals"), Count("deliveries"), Count("requests"), Count("audit_events")));

        // Once the audit store works again, the same request goes through as new.
        Sql("DROP TRIGGER audit_broken;");
        var sent = await _hub.As("sdd").Signals.CreateSignalAsync(request);
        Assert.Equal(signals + 1, Count("signals"));
        Assert.Contains(await ExportAllAsync(), e => e.EventType == "CreateSignal" && e.Resources.Contains(sent.Signal.Name));
    }

    [Fact]
    public async Task DeniedJourneyRead_IsAuditedAsARefusal()
    {
        var waakvlam = _hub.As("waakvlam-zorg");
        var client = await Kit.ClientWithCoachAsync(waakvlam);
        await Errors.Expect(StatusCode.PermissionDenied, "NO_ROLE_FOR_CLIENT", () => _hub.As("begeleiding-plus").Clients.ListJourneyEventsAsync(new ListJourneyEventsRequest { Client = client.Name }).ResponseAsync);
        await Errors.Expect(StatusCode.PermissionDenied, "CONSENT_REQUIRED", () => waakvlam.Clients.ListJourneyEventsAsync(new ListJourneyEventsRequest { Client = client.Name }).ResponseAsync);

        var events = await ExportAllAsync(new ListAuditEventsRequest { Client = client.Name });

        var registered = Assert.Single(events, e => e.EventType == "RegisterClient");
        var refusals = events.Where(e => e.EventType == "ListJourneyEvents").ToList();
        Assert.Equal(2, refusals.Count);
        Assert.All(refusals, e => Assert.Equal((AuditAction.Read, AuditOutcome.Refused, registered.ClientPseudonym), (e.Action, e.Outcome, e.ClientPseudonym)));
        Assert.Equal(("parties/begeleiding-plus", "NO_ROLE_FOR_CLIENT"), (refusals[0].Party, refusals[0].Reason));
        Assert.Equal(("parties/waakvlam-zorg", "CONSENT_REQUIRED"), (refusals[1].Party, refusals[1].Reason));
        Assert.Contains(refusals[1].Checks, c => c.Kind == AuditCheckKind.Relationship && c.Reference == "COACH");

        // A permitted read is audited with the relationship and the consent that allowed it.
        var consent = await waakvlam.GrantAsync(client.Name, GrantorRole.Client, "waakvlam-zorg", [Purpose.Coaching], [DataCategory.SupportPlan]);
        await waakvlam.Clients.ListJourneyEventsAsync(new ListJourneyEventsRequest { Client = client.Name });
        var read = (await ExportAllAsync(new ListAuditEventsRequest { Client = client.Name })).Last(e => e.EventType == "ListJourneyEvents");
        Assert.Equal(AuditOutcome.Success, read.Outcome);
        Assert.Contains(read.Checks, c => c.Kind == AuditCheckKind.Consent && c.Reference == consent.Name);
        Assert.Contains(read.Checks, c => c.Kind == AuditCheckKind.Relationship && c.Reference == "COACH");
    }

    [Fact]
    public async Task Export_ByPeriodAndByClient_InPages_OnlyForThePrivacyOfficer()
    {
        var waakvlam = _hub.As("waakvlam-zorg");
        var first = await Kit.ClientWithCoachAsync(waakvlam);
        _hub.Clock.Advance(TimeSpan.FromDays(1));
        var periodStart = _hub.Clock.GetUtcNow();
        var second = await Kit.ClientWithCoachAsync(waakvlam);
        await waakvlam.Clients.GetCareTeamAsync(new GetCareTeamRequest { Client = first.Name });
        _hub.Clock.Advance(TimeSpan.FromDays(1));
        var periodEnd = _hub.Clock.GetUtcNow();
        await waakvlam.Clients.GetCareTeamAsync(new GetCareTeamRequest { Client = second.Name });

        var all = await ExportAllAsync();
        var paged = await ExportAllAsync(pageSize: 2);
        var byFirst = await ExportAllAsync(new ListAuditEventsRequest { Client = first.Name });
        var inPeriod = await ExportAllAsync(new ListAuditEventsRequest { StartTime = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(periodStart), EndTime = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(periodEnd) });

        Assert.Equal(all.Select(e => e.Sequence), paged.Select(e => e.Sequence).Take(all.Count));
        Assert.Equal(Enumerable.Range(1, all.Count).Select(i => (long)i), all.Select(e => e.Sequence));
        var firstPseudonym = byFirst[0].ClientPseudonym;
        Assert.All(byFirst, e => Assert.Equal(firstPseudonym, e.ClientPseudonym));
        Assert.Equal(all.Count(e => e.ClientPseudonym == firstPseudonym), byFirst.Count);
        Assert.Equal(["RegisterClient", "AssignCoach"], byFirst.Select(e => e.EventType).Take(2));
        Assert.Contains(byFirst, e => e.EventType == "GetCareTeam");
        Assert.NotEmpty(inPeriod);
        Assert.All(inPeriod, e => Assert.InRange(e.EventTime.ToDateTimeOffset(), periodStart, periodEnd.AddTicks(-1)));
        Assert.Contains(inPeriod, e => e.EventType == "GetCareTeam" && e.ClientPseudonym == firstPseudonym);
        Assert.DoesNotContain(inPeriod, e => e.EventType == "GetCareTeam" && e.ClientPseudonym != firstPseudonym);

        // Exports are audited, with the officer's person and role; anyone else is refused, and that is audited too.
        var export = paged.First(e => e.EventType == "ExportAuditTrail");
        Assert.Equal((AuditAction.Execute, "fg-officer-1"), (export.Action, export.User));
        Assert.Contains("privacy-officer", export.Roles);
        await Errors.Expect(StatusCode.PermissionDenied, "AUDIT_ROLE_REQUIRED", () => Auditor("waakvlam-zorg", roles: "coach").ListAuditEventsAsync(new ListAuditEventsRequest()).ResponseAsync);
        await Errors.Expect(StatusCode.PermissionDenied, "AUDIT_ROLE_REQUIRED", () => new AuditService.AuditServiceClient(WithHeaders("sdd")).VerifyAuditTrailAsync(new VerifyAuditTrailRequest()).ResponseAsync);
        var after = await ExportAllAsync();
        Assert.Equal(2, after.Count(e => e.Outcome == AuditOutcome.Refused && e.Reason == "AUDIT_ROLE_REQUIRED"));
        await Errors.Expect(StatusCode.InvalidArgument, "INVALID_RESOURCE_NAME", () => Auditor().ListAuditEventsAsync(new ListAuditEventsRequest { Client = "people/1" }).ResponseAsync);
    }

    [Fact]
    public async Task NoAuditField_HoldsABsnAClientIdOrFreeText()
    {
        var waakvlam = _hub.As("waakvlam-zorg");
        var bsn = Kit.NewBsn();
        var client = await waakvlam.RegisterAsync(bsn, Date(1990, 4, 4), "0505");
        await waakvlam.AssignCoachAsync(client.Name, "lisa", "Lisa");
        await waakvlam.GrantAsync(client.Name, GrantorRole.Client, "sdd", [Purpose.SignalFollowUp], [DataCategory.Finances]);
        const string description = "Vertrouwelijke omschrijving van de schulden.";
        await _hub.As("sdd").Signals.CreateSignalAsync(Kit.Signal(client.Name, description));
        await waakvlam.DrainAsync(acknowledge: true);
        await waakvlam.RegisterAsync(bsn, Date(1990, 4, 4), "0505");
        await Errors.Expect(StatusCode.PermissionDenied, "NO_ROLE_FOR_CLIENT", () => _hub.As("de-sprong").Clients.GetClientAsync(new GetClientRequest { Name = client.Name }).ResponseAsync);

        var bodies = Sql("SELECT body, coalesce(client_pseudonym, '') FROM audit_events;").Select(r => (string)r[0]! + " " + (string)r[1]!).ToList();

        Assert.True(bodies.Count >= 8);
        var clientId = client.Name["clients/".Length..];
        Assert.All(bodies, body =>
        {
            Assert.DoesNotContain(bsn, body, StringComparison.Ordinal);
            Assert.DoesNotContain(clientId, body, StringComparison.Ordinal);
            Assert.DoesNotContain("Vertrouwelijke", body, StringComparison.Ordinal);
            Assert.DoesNotContain("Lisa", body, StringComparison.Ordinal);
        });
        Assert.Contains(bodies, b => b.Contains("\"type\":\"DeliverContent\"", StringComparison.Ordinal));
        Assert.Contains(bodies, b => b.Contains("\"type\":\"AcknowledgeDelivery\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Verify_NamesTheFirstAlteredRemovedOrReorderedEvent_ThenTheRepairedTrailIsIntact()
    {
        var waakvlam = _hub.As("waakvlam-zorg");
        for (var i = 0; i < 3; i++)
        {
            var client = await Kit.ClientWithCoachAsync(waakvlam);
            await waakvlam.Clients.GetCareTeamAsync(new GetCareTeamRequest { Client = client.Name });
        }

        var auditor = Auditor();
        var intact = await auditor.VerifyAuditTrailAsync(new VerifyAuditTrailRequest());
        Assert.True(intact.Intact, intact.Description);
        Assert.True(intact.HeadSequence >= 9);
        Assert.Equal(0, await AuditVerifyCommand.RunAsync(["--Storage:DataDirectory=" + _hub.DataDirectory], TextWriter.Null));

        // Someone with the file drops the append-only triggers and edits the trail by hand.
        Sql("DROP TRIGGER audit_events_append_only_update; DROP TRIGGER audit_events_prune_to_start;");
        string IdAt(long sequence)
        {
            using var body = System.Text.Json.JsonDocument.Parse((string)Sql($"SELECT body FROM audit_events WHERE sequence = {sequence};")[0][0]!);
            return body.RootElement.GetProperty("id").GetString()!;
        }

        // 1. A field altered: event 4's party.
        Sql("UPDATE audit_events SET body = replace(body, '\"party\":\"waakvlam-zorg\"', '\"party\":\"sdd\"') WHERE sequence = 4;");
        await ExpectBrokenAsync(AuditProblem.Altered, 4, IdAt(4));
        Sql("UPDATE audit_events SET body = replace(body, '\"party\":\"sdd\"', '\"party\":\"waakvlam-zorg\"') WHERE sequence = 4;");
        await ExpectIntactAsync();

        // 2. A column altered: event 3's client pseudonym (the body is untouched).
        Sql("UPDATE audit_events SET client_pseudonym = 'ap_00000000000000000000000000000000' WHERE sequence = 3;");
        await ExpectBrokenAsync(AuditProblem.Altered, 3, IdAt(3));
        Sql("UPDATE audit_events SET client_pseudonym = (SELECT json_extract(body, '$.client')) WHERE sequence = 3;");
        await ExpectIntactAsync();

        // 3. A row removed: event 5.
        var removed = Sql("SELECT sequence, event_time, client_pseudonym, previous_hash, hash, body FROM audit_events WHERE sequence = 5;")[0];
        Sql("DELETE FROM audit_events WHERE sequence = 5;");
        await ExpectBrokenAsync(AuditProblem.Missing, 5, IdAt(6));
        using (var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DatabasePath, Pooling = false }.ToString()))
        {
            connection.Open();
            using var insert = connection.CreateCommand();
            insert.CommandText = "INSERT INTO audit_events (sequence, event_time, client_pseudonym, previous_hash, hash, body) VALUES ($s, $t, $c, $p, $h, $b);";
            insert.Parameters.AddWithValue("$s", removed[0]);
            insert.Parameters.AddWithValue("$t", removed[1]);
            insert.Parameters.AddWithValue("$c", removed[2]);
            insert.Parameters.AddWithValue("$p", removed[3]);
            insert.Parameters.AddWithValue("$h", removed[4]);
            insert.Parameters.AddWithValue("$b", removed[5]);
            insert.ExecuteNonQuery();
        }

        await ExpectIntactAsync();

        // 4. Two events swapped: 6 and 7 trade places.
        var (six, seven) = (IdAt(6), IdAt(7));
        Sql("UPDATE audit_events SET sequence = -6 WHERE sequence = 6; UPDATE audit_events SET sequence = 6 WHERE sequence = 7; UPDATE audit_events SET sequence = 7 WHERE sequence = -6;");
        await ExpectBrokenAsync(AuditProblem.BrokenLink, 6, seven);
        Sql("UPDATE audit_events SET sequence = -6 WHERE sequence = 6; UPDATE audit_events SET sequence = 6 WHERE sequence = 7; UPDATE audit_events SET sequence = 7 WHERE sequence = -6;");
        Assert.Equal(six, IdAt(6));
        await ExpectIntactAsync();
    }

    [Fact]
    public async Task CuttingTheTrailBack_IsFoundWithAHeadRecordedEarlier()
    {
        var waakvlam = _hub.As("waakvlam-zorg");
        for (var i = 0; i < 3; i++)
        {
            await Kit.ClientWithCoachAsync(waakvlam);
        }

        // The operator keeps the head that a verification printed.
        var recorded = await Auditor().VerifyAuditTrailAsync(new VerifyAuditTrailRequest());
        var head = $"{recorded.HeadSequence}:{recorded.HeadHash}";
        using (var output = new StringWriter())
        {
            Assert.Equal(AuditVerifyCommand.Intact, await AuditVerifyCommand.RunAsync(["--Storage:DataDirectory=" + _hub.DataDirectory, "--expect-head", head], output));
            Assert.Contains($"event {recorded.HeadSequence}, is still in the trail", output.ToString(), StringComparison.Ordinal);
        }

        // More events follow; the recorded head stays valid.
        await Kit.ClientWithCoachAsync(waakvlam);
        Assert.Equal(AuditVerifyCommand.Intact, await AuditVerifyCommand.RunAsync(["--Storage:DataDirectory=" + _hub.DataDirectory, "--expect-head", head], TextWriter.Null));

        // Someone removes the last events, back to before the recorded head: the chain alone is still intact.
        Sql("DROP TRIGGER audit_events_prune_to_start;");
        Sql($"DELETE FROM audit_events WHERE sequence >= {recorded.HeadSequence - 1};");
        Assert.Equal(AuditVerifyCommand.Intact, await AuditVerifyCommand.RunAsync(["--Storage:DataDirectory=" + _hub.DataDirectory], TextWriter.Null));
        using (var output = new StringWriter())
        {
            Assert.Equal(AuditVerifyCommand.Broken, await AuditVerifyCommand.RunAsync(["--Storage:DataDirectory=" + _hub.DataDirectory, "--expect-head", head], output));
            Assert.Contains($"event {recorded.HeadSequence}, the head recorded earlier, is missing", output.ToString(), StringComparison.Ordinal);
        }

        // A malformed head is a usage error, not a verdict.
        Assert.Equal(AuditVerifyCommand.NoDatabase, await AuditVerifyCommand.RunAsync(["--Storage:DataDirectory=" + _hub.DataDirectory, "--expect-head", "12"], TextWriter.Null));
    }

    private async Task ExpectBrokenAsync(AuditProblem problem, long sequence, string eventId)
    {
        var result = await Auditor().VerifyAuditTrailAsync(new VerifyAuditTrailRequest());
        Assert.False(result.Intact);
        Assert.Equal((problem, sequence, eventId), (result.Problem, result.FirstBadSequence, result.FirstBadEventId));

        using var output = new StringWriter();
        Assert.Equal(AuditVerifyCommand.Broken, await AuditVerifyCommand.RunAsync(["--Storage:DataDirectory=" + _hub.DataDirectory], output));
        Assert.Contains($"event {sequence}", output.ToString(), StringComparison.Ordinal);
    }

    private async Task ExpectIntactAsync()
    {
        var result = await Auditor().VerifyAuditTrailAsync(new VerifyAuditTrailRequest());
        Assert.True(result.Intact, result.Description);
    }
}
