using System.Collections.Concurrent;
using System.Diagnostics;
using Ketenhub.Contracts.V1;
using Ketenhub.Hub.Host.Operations;
using Ketenhub.HubTests.Integration;
using Ketenhub.Testing.InProcess;
using Microsoft.Extensions.DependencyInjection;
using static Ketenhub.Testing.InProcess.PartyClient;

namespace Ketenhub.HubTests.Privacy;

/// <summary>
/// The Logboek Dataverwerkingen: every processing of a client's data is a record (a span of <c>Ketenhub.Logboek</c>) in the
/// call's trace, naming the calling system's operation from its traceparent, the processing activity in the configured
/// register and the client, encrypted; one record per client, made only once the processing's audit event committed.
/// </summary>
public sealed class LogboekTests : IDisposable
{
    private readonly ConcurrentQueue<Activity> _records = new();
    private readonly ActivityListener _listener;
    private readonly HubFactory _hub = new();

    public LogboekTests()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is Logboek.SourceName or "Microsoft.AspNetCore" or "Ketenhub.Hub",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                if (activity.Source.Name == Logboek.SourceName)
                {
                    _records.Enqueue(activity);
                }
            },
        };
        ActivitySource.AddActivityListener(_listener);
    }

    public void Dispose()
    {
        _listener.Dispose();
        _hub.Dispose();
    }

    private static Grpc.Core.Metadata Traced(ActivityTraceId trace, ActivitySpanId span) => new() { { "traceparent", $"00-{trace.ToHexString()}-{span.ToHexString()}-01" } };

    private IReadOnlyList<Activity> RecordsOf(ActivityTraceId trace) => [.. _records.Where(r => r.TraceId == trace)];

    private static string Tag(Activity record, string key) => Assert.IsType<string>(record.GetTagItem(key));

    [Fact]
    public async Task ARegistration_IsOneRecord_InTheCallersTrace_WithItsForeignOperation_ActivityAndEncryptedSubject()
    {
        var trace = ActivityTraceId.CreateRandom();
        var foreign = ActivitySpanId.CreateRandom();
        var bsn = Kit.NewBsn();

        var registered = await _hub.As("waakvlam-zorg").Clients.RegisterClientAsync(
            new RegisterClientRequest { RequestId = NewRequestId(), Bsn = bsn, BirthDate = Date(1994, 11, 2), MunicipalityCode = "0505" },
            Traced(trace, foreign));

        var record = Assert.Single(RecordsOf(trace));
        Assert.Equal("RegisterClient", record.OperationName);
        Assert.Equal(ActivityStatusCode.Ok, record.Status);
        Assert.NotEqual(default, record.ParentSpanId);
        Assert.NotEqual(foreign, record.ParentSpanId); // the parent is the hub's own span of the call
        Assert.True(record.StartTimeUtc <= record.StartTimeUtc + record.Duration);
        Assert.Equal((trace.ToHexString(), foreign.ToHexString(), "urn:ketenhub:party:waakvlam-zorg"), (Tag(record, "dpl.core.foreign_operation.trace_id"), Tag(record, "dpl.core.foreign_operation.span_id"), Tag(record, "dpl.core.foreign_operation.entity")));
        Assert.Equal("https://verwerkingsregister.example.nl/verwerkingsactiviteiten/ketenhub-registratie", Tag(record, "dpl.core.processing_activity_id"));
        Assert.Equal(Logboek.SubjectIdType, Tag(record, "dpl.core.data_subject_id_type"));
        Assert.StartsWith("aud_", Tag(record, "ketenhub.audit_event_id"), StringComparison.Ordinal);

        // The subject is the hub's client id, encrypted: neither the BSN nor the name the caller knows the client by.
        var subject = Tag(record, "dpl.core.data_subject_id");
        Assert.DoesNotContain(bsn, subject, StringComparison.Ordinal);
        Assert.DoesNotContain(registered.Client.Name["clients/".Length..], subject, StringComparison.Ordinal);
        Assert.StartsWith("cli_", _hub.Services.GetRequiredService<LogboekSubjects>().Decrypt(subject), StringComparison.Ordinal);
        Assert.DoesNotContain(record.TagObjects, t => t.Value is string text && text.Contains(bsn, StringComparison.Ordinal));

        // The NEN 7513 extension: the audit event's action, who acted, the participant (the same encrypted subject) and
        // the checks that allowed it.
        Assert.Equal("C", Tag(record, "dpl.nen7513.eventTypeCode"));
        var user = System.Text.Json.JsonDocument.Parse(Tag(record, "dpl.nen7513.users")).RootElement.EnumerateArray().Single();
        Assert.Equal(("waakvlam-zorg", true), (user.GetProperty("alternateUserID").GetString(), user.GetProperty("userIsRequestor").GetBoolean()));
        var participant = System.Text.Json.JsonDocument.Parse(Tag(record, "dpl.nen7513.participants")).RootElement.EnumerateArray().Single();
        Assert.Equal(subject, participant.GetProperty("participantObjectID").GetString());
        Assert.Equal(Ketenhub.Hub.Audit.AuditChecks.PartyActsAsItself, Tag(record, "dpl.nen7513.autorisatieProtocol"));
    }

    [Fact]
    public async Task AReferral_IsPlacedByItsPurpose_AndItsDeliveryIsARecordOfTheRecipient_AboutTheSameSubject()
    {
        // The listener hears every hub of the test run: this test's records are found by trace and by subject.
        var sdd = _hub.As("sdd");
        var client = await sdd.RegisterAsync(Kit.NewBsn(), Date(1994, 11, 2), "0505");
        var otherTrace = ActivityTraceId.CreateRandom();
        await sdd.Clients.RegisterClientAsync(new RegisterClientRequest { RequestId = NewRequestId(), Bsn = Kit.NewBsn(), BirthDate = Date(1990, 1, 1), MunicipalityCode = "0505" }, Traced(otherTrace, ActivitySpanId.CreateRandom()));
        var trace = ActivityTraceId.CreateRandom();

        await sdd.Referrals.CreateReferralAsync(new CreateReferralRequest { RequestId = NewRequestId(), Referral = Kit.CareReferral(client.Name, "begeleiding-plus") }, Traced(trace, ActivitySpanId.CreateRandom()));
        Assert.Contains(await _hub.As("begeleiding-plus").DrainAsync(), d => d.PayloadCase == Delivery.PayloadOneofCase.Referral);

        var created = Assert.Single(RecordsOf(trace), r => r.OperationName == "CreateReferral");
        Assert.EndsWith("/ketenhub-zorgverlening", Tag(created, "dpl.core.processing_activity_id"), StringComparison.Ordinal);
        var subject = Tag(created, "dpl.core.data_subject_id");
        var delivered = Assert.Single(_records, r => r.OperationName == "DeliverContent" && Tag(r, "dpl.core.data_subject_id") == subject);
        Assert.Equal("begeleiding-plus", Tag(delivered, "ketenhub.party"));
        Assert.EndsWith("/ketenhub-ketensamenwerking", Tag(delivered, "dpl.core.processing_activity_id"), StringComparison.Ordinal);

        // Another client is another subject.
        Assert.NotEqual(subject, Tag(Assert.Single(RecordsOf(otherTrace)), "dpl.core.data_subject_id"));
    }

    [Fact]
    public async Task TheHubsOwnWork_AComingOfAge_IsARecordOfTheHub_InATraceOfItsOwn_WithoutAForeignOperation()
    {
        // The hub's clock stands before the client's eighteenth birthday; the scheduled run after it handles it.
        var now = DateOnly.FromDateTime(_hub.Clock.GetUtcNow().UtcDateTime);
        var birth = now.AddYears(-18).AddDays(3);
        var trace = ActivityTraceId.CreateRandom();
        await _hub.As("sdd").Clients.RegisterClientAsync(new RegisterClientRequest { RequestId = NewRequestId(), Bsn = Kit.NewBsn(), BirthDate = Date(birth.Year, birth.Month, birth.Day), MunicipalityCode = "0505" }, Traced(trace, ActivitySpanId.CreateRandom()));
        var registered = Assert.Single(RecordsOf(trace));

        _hub.Clock.Advance(TimeSpan.FromDays(4));
        await _hub.RunScheduledWorkAsync();

        var record = Assert.Single(_records, r => r.OperationName == "ComingOfAge" && Tag(r, "dpl.core.data_subject_id") == Tag(registered, "dpl.core.data_subject_id"));
        Assert.Equal("ketenhub", Tag(record, "ketenhub.party"));
        Assert.EndsWith("/ketenhub-overgangen", Tag(record, "dpl.core.processing_activity_id"), StringComparison.Ordinal);
        Assert.Null(record.GetTagItem("dpl.core.foreign_operation.span_id"));
    }

    [Fact]
    public void ARecordOfACallWhoseTraceIsNotSampled_IsMarkedRecordedAllTheSame()
    {
        // A sampler that follows the parent (OpenTelemetry's default) keeps a span whose parent is marked recorded: the
        // record's parent must be, whatever the caller's trace flags said. (Other listeners of the run may record every
        // span, so the test looks at what a sampler is asked, not at what ends up recorded.)
        var trace = ActivityTraceId.CreateRandom();
        var asked = new ConcurrentQueue<ActivityTraceFlags>();
        using var parentBased = new ActivityListener
        {
            ShouldListenTo = source => source.Name == Logboek.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> options) =>
            {
                if (options.TraceId == trace)
                {
                    asked.Enqueue(options.Parent.TraceFlags);
                }

                return options.Parent.TraceFlags.HasFlag(ActivityTraceFlags.Recorded) ? ActivitySamplingResult.AllDataAndRecorded : ActivitySamplingResult.PropagationData;
            },
        };
        ActivitySource.AddActivityListener(parentBased);
        var logboek = new Logboek(_hub.Services.GetRequiredService<ProcessingRegister>(), _hub.Services.GetRequiredService<LogboekSubjects>());
        var now = DateTimeOffset.UtcNow;

        logboek.Record(new Ketenhub.Hub.Audit.ProcessingRecord("RegisterClient", "cli_test", "waakvlam-zorg", Ketenhub.Hub.Audit.AuditOutcome.Success, now, now, $"00-{trace.ToHexString()}-{ActivitySpanId.CreateRandom().ToHexString()}-00", null, "aud_test", []));

        Assert.True(Assert.Single(asked).HasFlag(ActivityTraceFlags.Recorded));
        Assert.Single(RecordsOf(trace));
    }

    [Fact]
    public void The_register_file_must_hold_a_register()
    {
        var path = Path.Combine(Path.GetTempPath(), "activities-" + Guid.NewGuid().ToString("N") + ".json");
        File.WriteAllText(path, """{ "register": "https://r.example.nl/", "default": "a", "activities": [ { "id": "b", "purposes": ["PURPOSE_COACHING"], "operations": [] }, { "id": "b", "purposes": [], "operations": [] } ] }""");

        var error = Assert.Throws<InvalidDataException>(() => ProcessingRegister.Load(path));
        File.Delete(path);

        Assert.Contains("\"b\" is listed twice", error.Message, StringComparison.Ordinal);
    }
}
