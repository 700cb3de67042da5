using System.Text.Json;
using System.Text.Json.Serialization;
using Ketenhub.Hub.Clients;
using Ketenhub.Hub.Common;
using Ketenhub.Hub.Consent;
using Ketenhub.Hub.Delivery;
using Ketenhub.Hub.Journeys;
using Ketenhub.Hub.Messages;

namespace Ketenhub.Hub.Storage.Tests;

/// <summary>Records for the contract tests. Every value is synthetic; the BSN is the well-known test number.</summary>
internal static class TestData
{
    public static readonly DateTimeOffset T0 = new(2025, 3, 1, 9, 0, 0, TimeSpan.Zero);

    private static readonly JsonSerializerOptions CompareJson = new() { Converters = { new JsonStringEnumConverter() } };

    private static int _counter;

    public static string NewId(string prefix) => $"{prefix}_{Interlocked.Increment(ref _counter):D6}";

    /// <summary>Records hold lists, which compare by reference; compare their JSON instead.</summary>
    public static void AssertSame<T>(T expected, T? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(JsonSerializer.Serialize(expected, CompareJson), JsonSerializer.Serialize(actual, CompareJson));
    }

    public static ClientRecord Client(string? id = null, DateOnly? birthDate = null, bool handled = false)
    {
        id ??= NewId("cli");
        return new ClientRecord(id, "hash-" + id, "111222333", birthDate ?? new DateOnly(2008, 5, 17), "0363", T0.ToOffset(TimeSpan.FromHours(1)))
        {
            ComingOfAgeHandled = handled,
        };
    }

    public static ClientRole Role(string clientId, string partyId = "school-1", DateTimeOffset? until = null) =>
        new(NewId("rol"), clientId, partyId, RoleKind.School, T0.AddDays(-100), until, "brp");

    public static CoachInfo Coach(string partyId = "provider-1") =>
        new(partyId, "coach-7", "Coach Zeven", "+31200000000", "coach@example.org");

    public static CoachAssignment CoachAssignment(string clientId, DateTimeOffset? until = null) =>
        new(NewId("cas"), clientId, Coach(), T0.AddDays(-10), until);

    public static ConsentRecord NewConsent(string clientId, DateTimeOffset? withdrawTime = null) =>
        new(
            NewId("con"),
            clientId,
            GrantorRole.Parent,
            "provider-1",
            PartyKind.CareProvider,
            [Purpose.Coaching, Purpose.CareDelivery],
            [DataCategory.SupportPlan, DataCategory.Housing],
            T0.AddDays(-5),
            T0.AddYears(1),
            withdrawTime,
            null,
            "school-1",
            T0.AddDays(-5));

    public static ReferralRecord Referral(string clientId) =>
        new(
            NewId("ref"),
            clientId,
            "school-1",
            ServiceKind.IndividualGuidance,
            "Synthetic reason text",
            [LifeDomain.Education, LifeDomain.Care],
            ReferralUrgency.Urgent,
            "Synthetic strengths text",
            [new PerformerState("provider-1", PerformerStatus.Requested, null, T0, new DateOnly(2025, 4, 1))],
            Coach(),
            T0,
            null);

    public static TransitionRecord Transition(string clientId) =>
        new(
            NewId("trn"),
            clientId,
            "school-1",
            TransitionKind.SchoolLeaver18,
            "school-1",
            "provider-1",
            new DateOnly(2025, 8, 1),
            "Synthetic handover text",
            null,
            ["ref_1", "ref_2"],
            T0);

    public static SignalRecord Signal(string clientId) =>
        new(NewId("sig"), clientId, "social-1", SignalKind.RentArrears, LifeDomain.Housing, SignalSeverity.Urgent, "Synthetic description", T0);

    public static Decision Decision(string recipient, DateTimeOffset? ackDeadline = null) =>
        new(
            recipient,
            RecipientOutcome.Content,
            ["R1", "R7"],
            Purpose.SignalFollowUp,
            [DataCategory.Finances],
            "con_1",
            null,
            DecisionReasons.ConsentActive,
            "Consent con_1 covers this purpose.",
            ackDeadline,
            ackDeadline is null ? null : "coach");

    public static DeliveryRecord NewDelivery(
        string clientId,
        string recipient = "provider-1",
        DeliveryStatus status = DeliveryStatus.Pending,
        string? messageId = "sig_1",
        DateTimeOffset? ackDeadline = null,
        DateTimeOffset? awaitUntil = null,
        DateTimeOffset? signalAckTime = null,
        bool escalated = false) =>
        new()
        {
            Id = NewId("dlv"),
            Recipient = recipient,
            ClientId = clientId,
            Sender = "social-1",
            PayloadKind = PayloadKind.Signal,
            MessageId = messageId,
            Status = status,
            Decision = Decision(recipient, ackDeadline),
            CreateTime = T0,
            UpdateTime = T0,
            StatusReason = DecisionReasons.ConsentActive,
            AckDeadline = ackDeadline,
            EscalationTarget = ackDeadline is null ? null : "coach",
            Escalated = escalated,
            AwaitUntil = awaitUntil,
            SignalAckTime = signalAckTime,
        };

    /// <summary>Takes a database of the current schema back to version 5 (before the terms of the records), SQLite's form.</summary>
    public const string BackToVersion5Sqlite = """
        DROP INDEX ix_referrals_records; DROP INDEX ix_transitions_records; DROP INDEX ix_signals_records; DROP INDEX ix_deliveries_unmessaged_ended;
        DROP TRIGGER audit_events_prune_to_start; DROP TABLE audit_start;
        CREATE TRIGGER audit_events_append_only_delete BEFORE DELETE ON audit_events BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
        DELETE FROM schema_migrations WHERE version = 6;
        """;

    /// <summary>As <see cref="BackToVersion5Sqlite"/>, PostgreSQL's form.</summary>
    public const string BackToVersion5Postgres = """
        DROP INDEX ix_referrals_records, ix_transitions_records, ix_signals_records, ix_deliveries_unmessaged_ended;
        DROP TRIGGER audit_events_prune_to_start ON audit_events; DROP FUNCTION audit_events_prune_to_start();
        DROP TABLE audit_start; DROP FUNCTION audit_start_forward_only();
        CREATE TRIGGER audit_events_append_only_change BEFORE UPDATE OR DELETE ON audit_events FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
        DELETE FROM schema_migrations WHERE version = 6;
        """;

    /// <summary>Takes a database of the current schema back to version 4 (before retention's columns), SQLite's form.</summary>
    public const string BackToVersion4Sqlite = BackToVersion5Sqlite + """
        DROP INDEX ix_requests_time; DROP INDEX ix_requests_client; ALTER TABLE requests DROP COLUMN client_id;
        DROP INDEX ix_referrals_content; ALTER TABLE referrals DROP COLUMN create_time; ALTER TABLE referrals DROP COLUMN content_erased;
        DROP INDEX ix_transitions_content; ALTER TABLE transitions DROP COLUMN create_time; ALTER TABLE transitions DROP COLUMN content_erased;
        DROP INDEX ix_signals_content; ALTER TABLE signals DROP COLUMN create_time; ALTER TABLE signals DROP COLUMN content_erased;
        DROP INDEX ix_deliveries_payload_ended; ALTER TABLE deliveries DROP COLUMN end_time; ALTER TABLE deliveries DROP COLUMN payload_held;
        DROP INDEX ix_journey_time; ALTER TABLE journey DROP COLUMN event_time;
        DELETE FROM schema_migrations WHERE version = 5;
        """;

    /// <summary>As <see cref="BackToVersion4Sqlite"/>, PostgreSQL's form (dropping a column drops its indexes).</summary>
    public const string BackToVersion4Postgres = BackToVersion5Postgres + """
        DROP INDEX ix_requests_time; ALTER TABLE requests DROP COLUMN client_id;
        ALTER TABLE referrals DROP COLUMN create_time, DROP COLUMN content_erased;
        ALTER TABLE transitions DROP COLUMN create_time, DROP COLUMN content_erased;
        ALTER TABLE signals DROP COLUMN create_time, DROP COLUMN content_erased;
        ALTER TABLE deliveries DROP COLUMN end_time, DROP COLUMN payload_held;
        ALTER TABLE journey DROP COLUMN event_time;
        DELETE FROM schema_migrations WHERE version = 5;
        """;

    public static JourneyEvent Journey(string clientId, JourneyEventType type = JourneyEventType.SignalRaised, long sequence = 0) =>
        new(sequence, clientId, T0, type, "social-1", "signals/sig_1", "RENT_ARREARS");
}
