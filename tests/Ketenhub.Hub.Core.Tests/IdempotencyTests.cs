using Ketenhub.Hub.Clients;
using Ketenhub.Hub.Common;
using Ketenhub.Hub.Consent;
using Ketenhub.Hub.Delivery;
using Ketenhub.Hub.Journeys;
using Ketenhub.Hub.Messages;
using Ketenhub.Hub.Storage;

namespace Ketenhub.Hub.Core.Tests;

public class IdempotencyTests
{
    private static readonly DateTimeOffset Now = TestData.Now;

    private sealed record Answer(string Id, DeliveryStatus Status, IReadOnlyList<string> Recipients);

    [Fact]
    public void FirstRun_RunsTheWorkAndStoresTheResult()
    {
        var session = new RequestOnlySession();
        var runs = 0;

        var result = Idempotency.Run(session, "zorg-a", "CreateSignal", RequestKey.Create("req-1", "hash-a"), Now, () =>
        {
            runs++;
            return new Answer("sig_1", DeliveryStatus.Pending, ["zorg-b"]);
        });

        Assert.Equal(1, runs);
        Assert.Equal("sig_1", result.Id);
        var (key, stored) = Assert.Single(session.Stored);
        Assert.Equal(("zorg-a", "CreateSignal", "req-1"), key);
        Assert.Equal("hash-a", stored.BodyHash);
        Assert.Contains("\"Pending\"", stored.ResultJson, StringComparison.Ordinal);
        Assert.Equal(Now, session.SavedAt[key]);
    }

    [Fact]
    public void SameKey_ReturnsTheStoredResultWithoutRunningAgain()
    {
        var session = new RequestOnlySession();
        var runs = 0;
        Answer Work()
        {
            runs++;
            return new Answer("sig_" + runs, DeliveryStatus.AwaitingConsent, ["zorg-b", "sd-zwijndrecht"]);
        }

        var first = Idempotency.Run(session, "zorg-a", "CreateSignal", RequestKey.Create("req-1", "hash-a"), Now, Work);
        var second = Idempotency.Run(session, "zorg-a", "CreateSignal", RequestKey.Create("req-1", "hash-a"), Now.AddMinutes(5), Work);

        Assert.Equal(1, runs);
        Assert.Equal("sig_1", second.Id);
        Assert.Equal(first.Status, second.Status);
        Assert.Equal(first.Recipients, second.Recipients);
        Assert.Single(session.Stored);
    }

    [Fact]
    public void TupleResult_RoundTrips()
    {
        // The delivery queue answers RejectDelivery with a (status, attempts) tuple: its fields must survive storage.
        var session = new RequestOnlySession();
        var key = RequestKey.Create("req-1", "hash-a");

        Idempotency.Run(session, "zorg-a", "RejectDelivery", key, Now, () => (Status: DeliveryStatus.SetAside, Attempts: 5));
        var replay = Idempotency.Run<(DeliveryStatus Status, int Attempts)>(session, "zorg-a", "RejectDelivery", key, Now, () => throw new InvalidOperationException("must not run"));

        Assert.Equal(DeliveryStatus.SetAside, replay.Status);
        Assert.Equal(5, replay.Attempts);
    }

    [Fact]
    public void SameIdDifferentBody_IsRequestIdReused()
    {
        var session = new RequestOnlySession();
        Idempotency.Run(session, "zorg-a", "CreateSignal", RequestKey.Create("req-1", "hash-a"), Now, () => 1);
        var runs = 0;

        var ex = Assert.Throws<HubException>(() =>
            Idempotency.Run(session, "zorg-a", "CreateSignal", RequestKey.Create("req-1", "hash-b"), Now, () => ++runs));

        Assert.Equal(ErrorReasons.RequestIdReused, ex.Reason);
        Assert.Equal(ErrorCategory.InvalidArgument, ex.Category);
        Assert.Equal("request_id", Assert.Single(ex.Violations).Field);
        Assert.Equal(0, runs);
    }

    [Fact]
    public void SameIdOtherCallerOrOperation_RunsAgain()
    {
        var session = new RequestOnlySession();
        var runs = 0;
        var key = RequestKey.Create("req-1", "hash-a");

        Idempotency.Run(session, "zorg-a", "CreateSignal", key, Now, () => ++runs);
        Idempotency.Run(session, "zorg-b", "CreateSignal", key, Now, () => ++runs);
        Idempotency.Run(session, "zorg-a", "CreateTransition", key, Now, () => ++runs);

        Assert.Equal(3, runs);
        Assert.Equal(3, session.Stored.Count);
    }

    [Fact]
    public void FailingWork_StoresNothing()
    {
        var session = new RequestOnlySession();

        Assert.Throws<HubException>(() => Idempotency.Run<int>(session, "zorg-a", "CreateSignal", RequestKey.Create("req-1", "hash-a"), Now,
            () => throw HubException.NotFound(ErrorReasons.ClientNotFound, "The client")));

        Assert.Empty(session.Stored);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void MissingRequestId_IsRequestIdMissing(string? requestId)
    {
        var ex = Assert.Throws<HubException>(() => RequestKey.Create(requestId, "hash"));

        Assert.Equal(ErrorReasons.RequestIdMissing, ex.Reason);
        Assert.Equal(ErrorCategory.InvalidArgument, ex.Category);
        Assert.Equal("request_id", Assert.Single(ex.Violations).Field);
    }

    [Theory]
    [InlineData("with space")]
    [InlineData("tab\there")]
    [InlineData("new\nline")]
    [InlineData("nul\0")]
    [InlineData("del\u007f")]
    [InlineData("caf\u00e9")]
    [InlineData(" ")]
    public void NonPrintableRequestId_IsInvalidRequest(string requestId)
    {
        var ex = Assert.Throws<HubException>(() => RequestKey.Create(requestId, "hash"));

        Assert.Equal(ErrorReasons.InvalidRequest, ex.Reason);
        Assert.Equal("request_id", Assert.Single(ex.Violations).Field);
    }

    [Fact]
    public void TooLongRequestId_IsInvalidRequest()
    {
        var ex = Assert.Throws<HubException>(() => RequestKey.Create(new string('a', RequestKey.MaxLength + 1), "hash"));

        Assert.Equal(ErrorReasons.InvalidRequest, ex.Reason);
    }

    [Theory]
    [InlineData("a")]
    [InlineData("0f8e2c1a-7b7d-4c55-9f3e-2d1f6c0a9b11")]
    [InlineData("!~")]
    public void PrintableRequestId_IsAccepted(string requestId)
    {
        var key = RequestKey.Create(requestId, "hash");

        Assert.Equal(requestId, key.RequestId);
        Assert.Equal("hash", key.BodyHash);
    }

    [Fact]
    public void RequestIdOfMaxLength_IsAccepted() =>
        Assert.Equal(RequestKey.MaxLength, RequestKey.Create(new string('a', RequestKey.MaxLength), "hash").RequestId.Length);

    /// <summary>A session that only knows stored requests; anything else is a test failure.</summary>
    private sealed class RequestOnlySession : IHubSession
    {
        public Dictionary<(string Caller, string Operation, string RequestId), StoredRequest> Stored { get; } = [];

        public Dictionary<(string Caller, string Operation, string RequestId), DateTimeOffset> SavedAt { get; } = [];

        public StoredRequest? FindRequest(string caller, string operation, string requestId) =>
            Stored.GetValueOrDefault((caller, operation, requestId));

        public void SaveRequest(string caller, string operation, string requestId, StoredRequest request, DateTimeOffset time)
        {
            Stored.Add((caller, operation, requestId), request);
            SavedAt.Add((caller, operation, requestId), time);
        }

        public ClientRecord? FindClient(string clientId) => throw new NotSupportedException();
        public ClientRecord? FindClientByBsnHash(string bsnHash) => throw new NotSupportedException();
        public void InsertClient(ClientRecord client) => throw new NotSupportedException();
        public void UpdateClient(ClientRecord client) => throw new NotSupportedException();
        public IReadOnlyList<ClientRecord> ListClientsComingOfAge(DateOnly onOrBefore, int limit) => throw new NotSupportedException();
        public IReadOnlyList<ClientRecord> ListClients(string afterId, int limit) => throw new NotSupportedException();
        public IReadOnlyList<ClientRole> GetRoles(string clientId) => throw new NotSupportedException();
        public void InsertRole(ClientRole role) => throw new NotSupportedException();
        public void UpdateRole(ClientRole role) => throw new NotSupportedException();
        public IReadOnlyList<CoachAssignment> GetCoachAssignments(string clientId) => throw new NotSupportedException();
        public IReadOnlyList<CoachAssignment> ListCurrentCoachAssignments(string partyId, string? coachId, string afterClientId, int limit) => throw new NotSupportedException();
        public void InsertCoachAssignment(CoachAssignment assignment) => throw new NotSupportedException();
        public void UpdateCoachAssignment(CoachAssignment assignment) => throw new NotSupportedException();
        public IReadOnlyList<ConsentRecord> GetConsents(string clientId) => throw new NotSupportedException();
        public ConsentRecord? FindConsent(string consentId) => throw new NotSupportedException();
        public void InsertConsent(ConsentRecord consent) => throw new NotSupportedException();
        public void UpdateConsent(ConsentRecord consent) => throw new NotSupportedException();
        public ReferralRecord? FindReferral(string id) => throw new NotSupportedException();
        public void InsertReferral(ReferralRecord referral) => throw new NotSupportedException();
        public void UpdateReferral(ReferralRecord referral) => throw new NotSupportedException();
        public TransitionRecord? FindTransition(string id) => throw new NotSupportedException();
        public void InsertTransition(TransitionRecord transition) => throw new NotSupportedException();
        public SignalRecord? FindSignal(string id) => throw new NotSupportedException();
        public void InsertSignal(SignalRecord signal) => throw new NotSupportedException();
        public IReadOnlyList<ReferralRecord> GetReferralsForClient(string clientId) => throw new NotSupportedException();
        public IReadOnlyList<SignalRecord> GetSignalsForClient(string clientId) => throw new NotSupportedException();
        public IReadOnlyList<MessagePosition> ListPartyMessages(PartyMessageQuery query) => throw new NotSupportedException();

        public PendingQueue GetPendingQueue(string recipient) => throw new NotSupportedException();
        public DeliveryRecord InsertDelivery(DeliveryRecord delivery) => throw new NotSupportedException();
        public DeliveryRecord? FindDelivery(string id) => throw new NotSupportedException();
        public void UpdateDelivery(DeliveryRecord delivery) => throw new NotSupportedException();
        public DeliveryRecord RequeueDelivery(DeliveryRecord delivery) => throw new NotSupportedException();
        public IReadOnlyList<DeliveryRecord> ListDeliveries(DeliveryQuery query) => throw new NotSupportedException();
        public IReadOnlyList<DeliveryRecord> GetOpenDeliveriesForClient(string clientId) => throw new NotSupportedException();
        public IReadOnlyList<DeliveryRecord> GetDeliveriesForMessage(string messageId) => throw new NotSupportedException();
        public IReadOnlyList<DeliveryRecord> GetDueEscalations(DateTimeOffset now, int limit) => throw new NotSupportedException();
        public IReadOnlyList<DeliveryRecord> GetExpiredAwaiting(DateTimeOffset now, int limit) => throw new NotSupportedException();
        public void AppendJourneyEvent(JourneyEvent journeyEvent) => throw new NotSupportedException();
        public IReadOnlyList<JourneyEvent> GetJourney(string clientId, long afterSequence, int limit) => throw new NotSupportedException();
        public void UpdateTransition(TransitionRecord transition) => throw new NotSupportedException();
        public void UpdateSignal(SignalRecord signal) => throw new NotSupportedException();
        public IReadOnlyList<TransitionRecord> GetTransitionsForClient(string clientId) => throw new NotSupportedException();
        public IReadOnlyList<MessageKey> ListMessagesContentEnded(DateTimeOffset endedBefore, int limit) => throw new NotSupportedException();
        public IReadOnlyList<DeliveryRecord> ListDeliveriesContentEnded(DateTimeOffset endedBefore, int limit) => throw new NotSupportedException();
        public int DeleteRequestsBefore(DateTimeOffset before, int limit) => throw new NotSupportedException();
        public int DeleteJourneyEventsBefore(DateTimeOffset before, int limit) => throw new NotSupportedException();
        public int DeleteClientRelations(string clientId) => throw new NotSupportedException();
        public AuditHead? GetAuditHead() => throw new NotSupportedException();
        public void AppendAuditRecord(AuditRecord record) => throw new NotSupportedException();
        public IReadOnlyList<AuditRecord> ListAuditRecords(AuditQuery query) => throw new NotSupportedException();
        public IReadOnlyList<EndedMessage> ListMessageRecordsEnded(DateTimeOffset endedBefore, MessagePosition? after, int limit) => throw new NotSupportedException();
        public int DeleteMessageRecord(MessageKey key) => throw new NotSupportedException();
        public int DeleteDeliveriesEnded(DateTimeOffset endedBefore, IReadOnlyCollection<string> keepClients, int limit) => throw new NotSupportedException();
        public AuditStart? GetAuditStart() => throw new NotSupportedException();
        public void SetAuditStart(AuditStart start) => throw new NotSupportedException();
        public int DeleteAuditRecordsToStart(int limit) => throw new NotSupportedException();
    }
}
