using Grpc.Core;
using Ketenhub.Contracts.V1;
using Ketenhub.HubTests.Infrastructure;
using Ketenhub.Testing.InProcess;
using static Ketenhub.Testing.InProcess.PartyClient;

namespace Ketenhub.HubTests.Integration;

/// <summary>The referral lifecycle per performer through gRPC: requested → accepted | declined → started → ended.</summary>
public sealed class ReferralLifecycleTests : IDisposable
{
    private readonly HubFactory _hub = new();
    private readonly PartyClient _sdd;
    private readonly PartyClient _waakvlam;
    private readonly PartyClient _plus;
    private readonly PartyClient _brug;

    public ReferralLifecycleTests()
    {
        _sdd = _hub.As("sdd");
        _waakvlam = _hub.As("waakvlam-zorg");
        _plus = _hub.As("begeleiding-plus");
        _brug = _hub.As("dagbesteding-de-brug");
    }

    public void Dispose() => _hub.Dispose();

    [Fact]
    public async Task AcceptStartEnd_EachStepSendsAReferralUpdateToTheRequester()
    {
        var client = await Kit.ClientWithCoachAsync(_waakvlam);
        await _waakvlam.GrantAsync(client.Name, GrantorRole.Client, "waakvlam-zorg", [Purpose.Coaching], [DataCategory.SupportPlan, DataCategory.ContactDetails]);
        var referral = await CreateAsync(client.Name, "begeleiding-plus");
        using var requester = _sdd.Tail();

        var accepted = await _plus.Referrals.AcceptReferralAsync(new AcceptReferralRequest { RequestId = NewRequestId(), Name = referral });
        Assert.Equal(PerformerStatus.Accepted, Assert.Single(accepted.Referral.Performers).Status);
        await ExpectUpdateAsync(requester, referral, PerformerStatus.Accepted, string.Empty);

        _hub.Clock.Advance(TimeSpan.FromDays(3));
        var started = await _plus.Referrals.StartReferralAsync(new StartReferralRequest { RequestId = NewRequestId(), Name = referral, StartDate = Date(2026, 1, 8) });
        Assert.Equal(PerformerStatus.Started, started.Referral.Performers[0].Status);
        Assert.Equal(Date(2026, 1, 8), started.Referral.Performers[0].StartDate);
        await ExpectUpdateAsync(requester, referral, PerformerStatus.Started, string.Empty);

        _hub.Clock.Advance(TimeSpan.FromDays(60));
        var ended = await _plus.Referrals.EndReferralAsync(new EndReferralRequest { RequestId = NewRequestId(), Name = referral, EndDate = Date(2026, 3, 6), ReasonCode = "01" });
        Assert.Equal(PerformerStatus.Ended, ended.Referral.Performers[0].Status);
        Assert.Equal("01", ended.Referral.Performers[0].ReasonCode);
        await ExpectUpdateAsync(requester, referral, PerformerStatus.Ended, "01");

        var read = await _sdd.Referrals.GetReferralAsync(new GetReferralRequest { Name = referral });
        Assert.Equal(ended.Referral, read.Referral);

        var journey = await Kit.JourneyAsync(_waakvlam, client.Name);
        Assert.Equal(
            [JourneyEventType.ReferralRequested, JourneyEventType.ReferralAccepted, JourneyEventType.ReferralStarted, JourneyEventType.ReferralEnded],
            journey.Where(e => e.Resource == referral).Select(e => e.Type));
        Assert.All(journey.Where(e => e.Type != JourneyEventType.ReferralRequested && e.Resource == referral), e => Assert.Equal("parties/begeleiding-plus", e.Party));
    }

    [Fact]
    public async Task TheCoach_WithConsent_GetsEachStep_WithoutConsent_AContentFreeNotice()
    {
        // Client A's coach may receive coaching content; client B's coach may not.
        var withConsent = await Kit.ClientWithCoachAsync(_waakvlam);
        await _waakvlam.GrantAsync(withConsent.Name, GrantorRole.Client, "waakvlam-zorg", [Purpose.Coaching], [DataCategory.SupportPlan, DataCategory.ContactDetails, DataCategory.Finances]);
        var withoutConsent = await Kit.ClientWithCoachAsync(_waakvlam, "piet", "Piet");
        var referralA = await CreateAsync(withConsent.Name, "begeleiding-plus");
        var referralB = await CreateAsync(withoutConsent.Name, "begeleiding-plus");

        using var coach = _waakvlam.Tail();
        var copy = await coach.NextAsync();
        Assert.Equal(referralA, copy.Referral.Name);

        var acceptA = await _plus.Referrals.AcceptReferralAsync(new AcceptReferralRequest { RequestId = NewRequestId(), Name = referralA });
        var update = await coach.NextAsync();
        Assert.Equal(Delivery.PayloadOneofCase.ReferralUpdate, update.PayloadCase);
        Assert.Equal(referralA, update.ReferralUpdate.Referral);
        Assert.Equal(PerformerStatus.Accepted, update.ReferralUpdate.Status);
        Assert.Equal("lisa", update.Coach.CoachId);

        await _plus.Referrals.AcceptReferralAsync(new AcceptReferralRequest { RequestId = NewRequestId(), Name = referralB });
        var notice = await coach.NextAsync();
        Assert.Equal(RecipientOutcome.ThinNotice, notice.Decision.Outcome);
        Assert.Equal(withoutConsent.Name, notice.Client);
        Assert.Equal(Delivery.PayloadOneofCase.ThinNotice, notice.PayloadCase);
        Assert.Equal(MessageType.ReferralUpdate, notice.ThinNotice.MessageType);
        Assert.Equal("parties/begeleiding-plus", notice.ThinNotice.ContactParty);
        Assert.Null(notice.Coach);
        Assert.Equal(PerformerStatus.Accepted, acceptA.Referral.Performers[0].Status);
    }

    [Fact]
    public async Task IllegalSteps_AreFailedPrecondition_AndChangeNothing()
    {
        var client = await Kit.ClientWithCoachAsync(_waakvlam);
        var referral = await CreateAsync(client.Name, "begeleiding-plus");

        await ExpectIllegal(() => Start(referral));
        await ExpectIllegal(() => End(referral, "01"));
        var accept = new AcceptReferralRequest { RequestId = NewRequestId(), Name = referral };
        var first = await _plus.Referrals.AcceptReferralAsync(accept);

        // A repeat of the same request is not a second step: it returns the first answer.
        Assert.Equal(first, await _plus.Referrals.AcceptReferralAsync(accept.Clone()));
        await ExpectIllegal(() => _plus.Referrals.AcceptReferralAsync(new AcceptReferralRequest { RequestId = NewRequestId(), Name = referral }).ResponseAsync);
        await ExpectIllegal(() => Decline(referral, "02"));
        await ExpectIllegal(() => End(referral, "01"));
        await Start(referral);
        await ExpectIllegal(() => Start(referral));
        await ExpectIllegal(() => Decline(referral, "02"));
        await End(referral, "01");
        await ExpectIllegal(() => End(referral, "01"));
        await ExpectIllegal(() => _plus.Referrals.AcceptReferralAsync(new AcceptReferralRequest { RequestId = NewRequestId(), Name = referral }).ResponseAsync);

        // Only the three legal steps reached the requester.
        var updates = await Kit.DeliveriesAsync(_sdd);
        Assert.Equal(3, updates.Count);
        var read = await _plus.Referrals.GetReferralAsync(new GetReferralRequest { Name = referral });
        Assert.Equal(PerformerStatus.Ended, read.Referral.Performers[0].Status);

        // Declined is final.
        var other = await CreateAsync(client.Name, "begeleiding-plus");
        await Decline(other, "02");
        await ExpectIllegal(() => _plus.Referrals.AcceptReferralAsync(new AcceptReferralRequest { RequestId = NewRequestId(), Name = other }).ResponseAsync);
        await ExpectIllegal(() => Start(other));
        await ExpectIllegal(() => Decline(other, "03"));
        var declined = await _plus.Referrals.GetReferralAsync(new GetReferralRequest { Name = other });
        Assert.Equal(PerformerStatus.Declined, declined.Referral.Performers[0].Status);
        Assert.Equal("02", declined.Referral.Performers[0].ReasonCode);
    }

    [Fact]
    public async Task ANonPerformerStepping_IsNotAPerformer_ForItsRequester_AndNotFound_ForAPartyWithNoPartInIt()
    {
        var client = await Kit.ClientWithCoachAsync(_waakvlam);
        var referral = await CreateAsync(client.Name, "begeleiding-plus");

        // The requester knows the referral but is no performer; a party with no part in it hears it does not exist
        // (docs/errors.md, "Not found or not allowed").
        await Errors.Expect(StatusCode.NotFound, "REFERRAL_NOT_FOUND", () => _brug.Referrals.AcceptReferralAsync(new AcceptReferralRequest { RequestId = NewRequestId(), Name = referral }).ResponseAsync);
        await Errors.Expect(StatusCode.PermissionDenied, "NOT_A_PERFORMER", () => _sdd.Referrals.AcceptReferralAsync(new AcceptReferralRequest { RequestId = NewRequestId(), Name = referral }).ResponseAsync);
        await Errors.Expect(StatusCode.NotFound, "REFERRAL_NOT_FOUND", () => _brug.Referrals.DeclineReferralAsync(new DeclineReferralRequest { RequestId = NewRequestId(), Name = referral, ReasonCode = "02" }).ResponseAsync);
        await Errors.Expect(StatusCode.NotFound, "REFERRAL_NOT_FOUND", () => _plus.Referrals.AcceptReferralAsync(new AcceptReferralRequest { RequestId = NewRequestId(), Name = "referrals/ref_unknown" }).ResponseAsync);

        Assert.Empty(await Kit.DeliveriesAsync(_sdd));
        var read = await _plus.Referrals.GetReferralAsync(new GetReferralRequest { Name = referral });
        Assert.Equal(PerformerStatus.Requested, read.Referral.Performers[0].Status);
    }

    [Theory]
    [InlineData("", "FIELD_REQUIRED")]
    [InlineData("1", "INVALID_REASON_CODE")]
    [InlineData("123", "INVALID_REASON_CODE")]
    [InlineData("ab", "INVALID_REASON_CODE")]
    [InlineData("1a", "INVALID_REASON_CODE")]
    [InlineData("٠١", "INVALID_REASON_CODE")] // Arabic-Indic digits are digits, but not ASCII digits
    public async Task Decline_WithoutOrWithABadReasonCode_IsRefused(string reasonCode, string reason)
    {
        var client = await Kit.ClientWithCoachAsync(_waakvlam);
        var referral = await CreateAsync(client.Name, "begeleiding-plus");

        var error = await Errors.Of(() => Decline(referral, reasonCode));
        Assert.Equal((StatusCode.InvalidArgument, reason), (error.Code, error.Reason));
        Assert.Equal(["reason_code"], error.Fields);

        var read = await _plus.Referrals.GetReferralAsync(new GetReferralRequest { Name = referral });
        Assert.Equal(PerformerStatus.Requested, read.Referral.Performers[0].Status);
        var declined = await Decline(referral, "02");
        Assert.Equal(PerformerStatus.Declined, declined.Referral.Performers[0].Status);
    }

    [Fact]
    public async Task End_WithoutReasonCode_IsFieldRequired()
    {
        var client = await Kit.ClientWithCoachAsync(_waakvlam);
        var referral = await CreateAsync(client.Name, "begeleiding-plus");
        await _plus.Referrals.AcceptReferralAsync(new AcceptReferralRequest { RequestId = NewRequestId(), Name = referral });
        await Start(referral);

        var error = await Errors.Of(() => End(referral, string.Empty));
        Assert.Equal((StatusCode.InvalidArgument, "FIELD_REQUIRED"), (error.Code, error.Reason));
        Assert.Equal(["reason_code"], error.Fields);
        await End(referral, "01");
    }

    private async Task<string> CreateAsync(string client, string performer)
    {
        var response = await _sdd.Referrals.CreateReferralAsync(new CreateReferralRequest { RequestId = NewRequestId(), Referral = Kit.CareReferral(client, performer) });
        var toPerformer = Assert.Single(response.Decisions, d => d.Recipient == "parties/" + performer);
        Assert.Equal("LEGAL_BASIS", toPerformer.Reason);
        return response.Referral.Name;
    }

    private Task<StartReferralResponse> Start(string referral) =>
        _plus.Referrals.StartReferralAsync(new StartReferralRequest { RequestId = NewRequestId(), Name = referral, StartDate = Date(2026, 1, 5) }).ResponseAsync;

    private Task<EndReferralResponse> End(string referral, string reasonCode) =>
        _plus.Referrals.EndReferralAsync(new EndReferralRequest { RequestId = NewRequestId(), Name = referral, EndDate = Date(2026, 1, 5), ReasonCode = reasonCode }).ResponseAsync;

    private Task<DeclineReferralResponse> Decline(string referral, string reasonCode) =>
        _plus.Referrals.DeclineReferralAsync(new DeclineReferralRequest { RequestId = NewRequestId(), Name = referral, ReasonCode = reasonCode }).ResponseAsync;

    private static Task ExpectIllegal(Func<Task> step) => Errors.Expect(StatusCode.FailedPrecondition, "ILLEGAL_REFERRAL_STEP", step);

    /// <summary>The next delivery on the requester's stream is this update; the requester acknowledges it, as a consumer does.</summary>
    private async Task ExpectUpdateAsync(DeliveryTail stream, string referral, PerformerStatus status, string reasonCode)
    {
        var delivery = await stream.NextAsync();
        await _sdd.AcknowledgeAsync(delivery);
        Assert.Equal(Delivery.PayloadOneofCase.ReferralUpdate, delivery.PayloadCase);
        Assert.Equal("parties/sdd", delivery.Recipient);
        Assert.Equal("parties/begeleiding-plus", delivery.Sender);
        Assert.Equal(referral, delivery.ReferralUpdate.Referral);
        Assert.Equal("parties/begeleiding-plus", delivery.ReferralUpdate.Performer);
        Assert.Equal(status, delivery.ReferralUpdate.Status);
        Assert.Equal(reasonCode, delivery.ReferralUpdate.ReasonCode);
        Assert.Equal(ServiceKind.IndividualGuidance, delivery.ReferralUpdate.Service);
        Assert.Equal(RecipientOutcome.Content, delivery.Decision.Outcome);
        Assert.Equal("LEGAL_BASIS", delivery.Decision.Reason);
        Assert.Equal("referral-update-to-requester", delivery.Decision.LegalBasisRuleId);
        Assert.Equal(1, delivery.AttemptCount);
    }
}
