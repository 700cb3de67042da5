using Grpc.Core;
using Ketenhub.Contracts.V1;
using Ketenhub.HubTests.Infrastructure;
using Ketenhub.Testing.InProcess;
using static Ketenhub.Testing.InProcess.PartyClient;

namespace Ketenhub.HubTests.Integration;

/// <summary>
/// Error details a program can use, through the real host (docs/errors.md): <c>ErrorInfo.metadata</c> holds every value
/// the message mentions, each field violation carries its own code, several fields that fail the same way keep that
/// code, and one rule decides between NOT_FOUND and PERMISSION_DENIED ("Not found or not allowed").
/// </summary>
public sealed class ErrorDetailTests : IDisposable
{
    private readonly HubFactory _hub = new();
    private readonly PartyClient _sdd;
    private readonly PartyClient _waakvlam;
    private readonly PartyClient _plus;

    public ErrorDetailTests()
    {
        _sdd = _hub.As("sdd");
        _waakvlam = _hub.As("waakvlam-zorg");
        _plus = _hub.As("begeleiding-plus");
    }

    public void Dispose() => _hub.Dispose();

    private async Task<Client> ArrangeClientAsync()
    {
        var client = await Kit.ClientWithCoachAsync(_waakvlam, birthDate: Date(2010, 5, 1));
        await _waakvlam.GrantAsync(client.Name, GrantorRole.Client, "waakvlam-zorg", [Purpose.Coaching, Purpose.SignalFollowUp], [DataCategory.SupportPlan, DataCategory.ContactDetails, DataCategory.Finances]);
        return client;
    }

    [Fact]
    public async Task OneFieldTooLong_NamesTheFieldAndTheLimit_InMetadata_AndTheViolationCarriesItsCode()
    {
        var client = await ArrangeClientAsync();

        var error = await Errors.Detail(() => _sdd.Signals.CreateSignalAsync(Kit.Signal(client.Name, description: new string('x', 8001))).ResponseAsync);

        Assert.Equal((StatusCode.InvalidArgument, "FIELD_TOO_LONG"), (error.Code, error.Reason));
        Assert.Equal([new Violation("signal.description", "FIELD_TOO_LONG")], error.Violations);
        Assert.Equal("signal.description", error.Metadata["field"]);
        Assert.Equal("8000", error.Metadata["maxLength"]);
        Assert.Contains("8000", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SeveralFieldsFailingTheSameWay_KeepTheirCommonCode_AndCountTheFields()
    {
        var client = await ArrangeClientAsync();
        var request = Kit.Signal(client.Name, kind: SignalKind.Unspecified, severity: SignalSeverity.Unspecified);

        var error = await Errors.Detail(() => _sdd.Signals.CreateSignalAsync(request).ResponseAsync);

        Assert.Equal((StatusCode.InvalidArgument, "FIELD_REQUIRED"), (error.Code, error.Reason));
        Assert.Equal([new Violation("signal.kind", "FIELD_REQUIRED"), new Violation("signal.severity", "FIELD_REQUIRED")], error.Violations);
        Assert.Equal("2", error.Metadata["fieldCount"]);
        Assert.Equal("signal.kind,signal.severity", error.Metadata["fields"]);
        Assert.False(error.Metadata.ContainsKey("field"));
    }

    [Fact]
    public async Task SeveralFieldsFailingDifferently_AreInvalidRequest_AndEachViolationCarriesItsOwnCode()
    {
        var client = await ArrangeClientAsync();
        var request = Kit.Signal(client.Name, description: "Call 06-12345678\u0000", kind: (SignalKind)99, severity: SignalSeverity.Unspecified);

        var error = await Errors.Detail(() => _sdd.Signals.CreateSignalAsync(request).ResponseAsync);

        Assert.Equal((StatusCode.InvalidArgument, "INVALID_REQUEST"), (error.Code, error.Reason));
        Assert.Equal(
            [new Violation("signal.kind", "UNKNOWN_ENUM_VALUE"), new Violation("signal.severity", "FIELD_REQUIRED"), new Violation("signal.description", "INVALID_CHARACTERS")],
            error.Violations);
        Assert.Equal("3", error.Metadata["fieldCount"]);
        Assert.DoesNotContain(error.Metadata.Values, v => v.Contains("06-12345678", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AMalformedResourceName_GivesTheExpectedForm_AndAToolongRequestId_ItsLimit()
    {
        var name = await Errors.Detail(() => _plus.Deliveries.AcknowledgeDeliveryAsync(new AcknowledgeDeliveryRequest { RequestId = NewRequestId(), Name = "delivery/x" }).ResponseAsync);
        Assert.Equal((StatusCode.InvalidArgument, "INVALID_RESOURCE_NAME"), (name.Code, name.Reason));
        Assert.Equal(("name", "deliveries/{id}"), (name.Metadata["field"], name.Metadata["expectedForm"]));

        var requestId = await Errors.Detail(() => _plus.Deliveries.AcknowledgeDeliveryAsync(new AcknowledgeDeliveryRequest { RequestId = new string('r', 129), Name = "deliveries/dlv_1" }).ResponseAsync);
        Assert.Equal((StatusCode.InvalidArgument, "INVALID_REQUEST"), (requestId.Code, requestId.Reason));
        Assert.Equal(("request_id", "128"), (requestId.Metadata["field"], requestId.Metadata["maxLength"]));
        Assert.Equal([new Violation("request_id", "INVALID_REQUEST")], requestId.Violations);
    }

    [Fact]
    public async Task AnIllegalReferralStep_NamesStatusAndStep_AndAMissingRole_NamesTheRole()
    {
        var client = await ArrangeClientAsync();
        var referral = (await _sdd.Referrals.CreateReferralAsync(new CreateReferralRequest { RequestId = NewRequestId(), Referral = Kit.CareReferral(client.Name, "begeleiding-plus") })).Referral.Name;

        var step = await Errors.Detail(() => _plus.Referrals.StartReferralAsync(new StartReferralRequest { RequestId = NewRequestId(), Name = referral }).ResponseAsync);
        Assert.Equal((StatusCode.FailedPrecondition, "ILLEGAL_REFERRAL_STEP"), (step.Code, step.Reason));
        Assert.Equal(("REQUESTED", "start"), (step.Metadata["performerStatus"], step.Metadata["step"]));

        var admin = await Errors.Detail(() => _plus.Deliveries.ListDeliveriesAsync(new ListDeliveriesRequest { Recipient = "parties/waakvlam-zorg" }).ResponseAsync);
        Assert.Equal((StatusCode.PermissionDenied, "ADMIN_ROLE_REQUIRED"), (admin.Code, admin.Reason));
        Assert.Equal("admin", admin.Metadata["role"]);
    }

    [Fact]
    public async Task NotFoundOrNotAllowed_ACallerWithNoPartHearsNotFound_OneWithAPartIsDenied()
    {
        var client = await ArrangeClientAsync();
        var stranger = _hub.As("zorgboerderij-de-hoeve");

        // A delivery: another party's is not found, exactly as a name that does not exist; its message's sender, whose
        // answer named it, is told it is not the recipient.
        var signal = await _sdd.Signals.CreateSignalAsync(Kit.Signal(client.Name));
        var delivery = Assert.Single(signal.Decisions, d => d.Recipient == "parties/waakvlam-zorg").Delivery;
        var theirs = await Errors.Detail(() => _plus.Deliveries.AcknowledgeDeliveryAsync(new AcknowledgeDeliveryRequest { RequestId = NewRequestId(), Name = delivery }).ResponseAsync);
        var none = await Errors.Detail(() => _plus.Deliveries.AcknowledgeDeliveryAsync(new AcknowledgeDeliveryRequest { RequestId = NewRequestId(), Name = "deliveries/dlv_0000000000000000" }).ResponseAsync);
        Assert.Equal((StatusCode.NotFound, "DELIVERY_NOT_FOUND"), (theirs.Code, theirs.Reason));
        Assert.Equal((none.Code, none.Reason, none.Message), (theirs.Code, theirs.Reason, theirs.Message));
        await Errors.Expect(StatusCode.PermissionDenied, "NOT_THE_RECIPIENT", () =>
            _sdd.Deliveries.AcknowledgeDeliveryAsync(new AcknowledgeDeliveryRequest { RequestId = NewRequestId(), Name = delivery }).ResponseAsync);

        // A signal: its sender, who was not sent it, is denied; a stranger hears it does not exist.
        var signalName = signal.Signal.Name;
        await Errors.Expect(StatusCode.PermissionDenied, "NOT_A_SIGNAL_RECIPIENT", () =>
            _sdd.Signals.AcknowledgeSignalAsync(new AcknowledgeSignalRequest { RequestId = NewRequestId(), Name = signalName }).ResponseAsync);
        await Errors.Expect(StatusCode.NotFound, "SIGNAL_NOT_FOUND", () =>
            stranger.Signals.AcknowledgeSignalAsync(new AcknowledgeSignalRequest { RequestId = NewRequestId(), Name = signalName }).ResponseAsync);

        // A referral: its requester is no performer; a stranger hears it does not exist.
        var referral = (await _sdd.Referrals.CreateReferralAsync(new CreateReferralRequest { RequestId = NewRequestId(), Referral = Kit.CareReferral(client.Name, "begeleiding-plus") })).Referral.Name;
        await Errors.Expect(StatusCode.PermissionDenied, "NOT_A_PERFORMER", () =>
            _sdd.Referrals.AcceptReferralAsync(new AcceptReferralRequest { RequestId = NewRequestId(), Name = referral }).ResponseAsync);
        await Errors.Expect(StatusCode.NotFound, "REFERRAL_NOT_FOUND", () =>
            stranger.Referrals.AcceptReferralAsync(new AcceptReferralRequest { RequestId = NewRequestId(), Name = referral }).ResponseAsync);

        // A consent: without a care relationship with its client, it does not exist.
        var consent = await _waakvlam.GrantAsync(client.Name, GrantorRole.Client, "sdd", [Purpose.Transition], [DataCategory.SupportPlan]);
        await Errors.Expect(StatusCode.NotFound, "CONSENT_NOT_FOUND", () =>
            stranger.Consents.WithdrawConsentAsync(new WithdrawConsentRequest { RequestId = NewRequestId(), Name = consent.Name }).ResponseAsync);

        // A party the hub does not have: not found, with a code of its own.
        await Errors.Expect(StatusCode.NotFound, "PARTY_NOT_FOUND", () => stranger.Parties.GetPartyAsync(new GetPartyRequest { Name = "parties/nobody" }).ResponseAsync);
    }
}
