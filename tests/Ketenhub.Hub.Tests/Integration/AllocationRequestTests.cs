using Grpc.Core;
using Ketenhub.Contracts.V1;
using Ketenhub.HubTests.Infrastructure;
using Ketenhub.Testing.InProcess;
using static Ketenhub.Testing.InProcess.PartyClient;

namespace Ketenhub.HubTests.Integration;

/// <summary>
/// A care provider's request for a toewijzing (the iWmo/iJw verzoek om toewijzing): it goes to the party that decides for
/// the client's municipality; when that party accepts, the hub issues the toewijzing itself (a referral from the deciding
/// party to the provider, same scope, naming the request), in the same write, so no second referral is needed; a decline
/// issues nothing. Requests that do not fit the standard's roles are refused with ALLOCATION_REQUEST_INVALID.
/// </summary>
public sealed class AllocationRequestTests : IDisposable
{
    private readonly HubFactory _hub = new();
    private readonly PartyClient _sdd;
    private readonly PartyClient _plus;

    public AllocationRequestTests()
    {
        _sdd = _hub.As("sdd");
        _plus = _hub.As("begeleiding-plus");
    }

    public void Dispose() => _hub.Dispose();

    private async Task<Client> ClientAsync() => await _sdd.RegisterAsync(Kit.NewBsn(), Date(1994, 11, 2), "0505");

    private static Referral Request(string client, string performer = "sdd")
    {
        var referral = Kit.CareReferral(client, performer);
        referral.Kind = ReferralKind.AllocationRequest;
        referral.RequesterReference = "VOT-2026-0001";
        referral.ProductCode = "02A03";
        referral.Volume = new SupportVolume { Quantity = 6, Unit = VolumeUnit.Hour, Frequency = VolumeFrequency.PerWeek };
        referral.RequestedEndDate = Date(2027, 6, 30);
        return referral;
    }

    [Fact]
    public async Task AcceptingARequest_IssuesTheToewijzingToTheProvider_WithTheSameScopeAndItsReference()
    {
        var client = await ClientAsync();
        var request = (await _plus.Referrals.CreateReferralAsync(new CreateReferralRequest { RequestId = NewRequestId(), Referral = Request(client.Name) })).Referral;
        Assert.Equal(ReferralKind.AllocationRequest, request.Kind);
        Assert.Equal("VOT-2026-0001", request.RequesterReference);
        await _plus.DrainAsync(acknowledge: true);

        await _sdd.Referrals.AcceptReferralAsync(new AcceptReferralRequest { RequestId = NewRequestId(), Name = request.Name });

        var received = await _plus.DrainAsync();
        var toewijzing = Assert.Single(received, d => d.PayloadCase == Delivery.PayloadOneofCase.Referral).Referral;
        Assert.Equal("parties/sdd", toewijzing.Requester);
        Assert.Equal(["parties/begeleiding-plus"], toewijzing.Performers.Select(p => p.Party));
        Assert.Equal(ReferralKind.Care, toewijzing.Kind);
        Assert.Equal(request.Name, toewijzing.AllocationRequest);
        Assert.Equal("VOT-2026-0001", toewijzing.AllocationReference);
        Assert.Equal(string.Empty, toewijzing.RequesterReference);
        Assert.Equal((request.Service, request.ProductCode, request.Volume, request.RequestedEndDate), (toewijzing.Service, toewijzing.ProductCode, toewijzing.Volume, toewijzing.RequestedEndDate));
        var update = Assert.Single(received, d => d.PayloadCase == Delivery.PayloadOneofCase.ReferralUpdate).ReferralUpdate;
        Assert.Equal((request.Name, PerformerStatus.Accepted, ReferralKind.AllocationRequest, "VOT-2026-0001"), (update.Referral, update.Status, update.Kind, update.RequesterReference));

        // The provider performs the toewijzing as any referral: accept, start.
        await _plus.Referrals.AcceptReferralAsync(new AcceptReferralRequest { RequestId = NewRequestId(), Name = toewijzing.Name });
        await _plus.Referrals.StartReferralAsync(new StartReferralRequest { RequestId = NewRequestId(), Name = toewijzing.Name });
        var read = (await _sdd.Referrals.GetReferralAsync(new GetReferralRequest { Name = toewijzing.Name })).Referral;
        Assert.Equal(PerformerStatus.Started, Assert.Single(read.Performers).Status);
    }

    [Fact]
    public async Task ARequestWithoutAReference_IsReferredToByItsId()
    {
        var client = await ClientAsync();
        var draft = Request(client.Name);
        draft.RequesterReference = string.Empty;
        var request = (await _plus.Referrals.CreateReferralAsync(new CreateReferralRequest { RequestId = NewRequestId(), Referral = draft })).Referral;

        await _sdd.Referrals.AcceptReferralAsync(new AcceptReferralRequest { RequestId = NewRequestId(), Name = request.Name });

        var toewijzing = Assert.Single(await _plus.DrainAsync(), d => d.PayloadCase == Delivery.PayloadOneofCase.Referral && d.Referral.AllocationRequest == request.Name).Referral;
        Assert.Equal(request.Name["referrals/".Length..], toewijzing.AllocationReference);
    }

    [Fact]
    public async Task DecliningARequest_IssuesNothing_AndTheProviderLearnsTheReason()
    {
        var client = await ClientAsync();
        var request = (await _plus.Referrals.CreateReferralAsync(new CreateReferralRequest { RequestId = NewRequestId(), Referral = Request(client.Name) })).Referral;
        await _plus.DrainAsync(acknowledge: true);

        await _sdd.Referrals.DeclineReferralAsync(new DeclineReferralRequest { RequestId = NewRequestId(), Name = request.Name, ReasonCode = "03" });

        var received = await _plus.DrainAsync();
        Assert.DoesNotContain(received, d => d.PayloadCase == Delivery.PayloadOneofCase.Referral);
        var update = Assert.Single(received, d => d.PayloadCase == Delivery.PayloadOneofCase.ReferralUpdate).ReferralUpdate;
        Assert.Equal((PerformerStatus.Declined, "03", ReferralKind.AllocationRequest), (update.Status, update.ReasonCode, update.Kind));
        var mine = await _plus.Referrals.ListReferralsAsync(new ListReferralsRequest { PageSize = 1000 });
        Assert.Equal([request.Name], mine.Referrals.Where(r => r.Client == client.Name).Select(r => r.Name));
    }

    public static TheoryData<string, string, string> Misfits() => new()
    {
        // Only a care provider asks for a toewijzing for itself.
        { "hans-petrischool", "requester-not-provider", "referral.kind" },
        // One performer: the party that decides.
        { "begeleiding-plus", "two-performers", "referral.performers" },
        // A care provider does not decide for the municipality.
        { "begeleiding-plus", "performer-provider", "referral.performers[0].party" },
        // A wijkteam of another municipality does not decide for this client's.
        { "begeleiding-plus", "other-municipality", "referral.performers[0].party" },
    };

    [Theory]
    [MemberData(nameof(Misfits))]
    public async Task ARequestThatDoesNotFitTheRoles_IsRefused_AndNothingIsStored(string requester, string misfit, string field)
    {
        var client = await ClientAsync();
        var draft = Request(client.Name);
        switch (misfit)
        {
            case "two-performers": draft.Performers.Add(new ReferralPerformer { Party = "parties/wijkteam-zwijndrecht" }); break;
            case "performer-provider": draft.Performers[0].Party = "parties/waakvlam-zorg"; break;
            case "other-municipality": draft.Performers[0].Party = "parties/wijkteam-zwijndrecht"; break;
        }

        var caller = _hub.As(requester);
        var error = await Errors.Detail(() => caller.Referrals.CreateReferralAsync(new CreateReferralRequest { RequestId = NewRequestId(), Referral = draft }).ResponseAsync);

        Assert.Equal((StatusCode.InvalidArgument, "ALLOCATION_REQUEST_INVALID"), (error.Code, error.Reason));
        Assert.Contains(new Violation(field, "ALLOCATION_REQUEST_INVALID"), error.Violations);
        var mine = await caller.Referrals.ListReferralsAsync(new ListReferralsRequest { PageSize = 1000 });
        Assert.DoesNotContain(mine.Referrals, r => r.Client == client.Name);
    }

    [Theory]
    [InlineData("1234567890123456789012345678901234567", "FIELD_TOO_LONG")]
    [InlineData("VOT\n2026", "INVALID_CHARACTERS")]
    [InlineData("   ", "INVALID_CHARACTERS")]
    public async Task AWrongReference_GetsItsCodedError(string reference, string reason)
    {
        var client = await ClientAsync();
        var draft = Request(client.Name);
        draft.RequesterReference = reference;

        var error = await Errors.Detail(() => _plus.Referrals.CreateReferralAsync(new CreateReferralRequest { RequestId = NewRequestId(), Referral = draft }).ResponseAsync);

        Assert.Equal((StatusCode.InvalidArgument, reason), (error.Code, error.Reason));
        Assert.Equal([new Violation("referral.requester_reference", reason)], error.Violations);
    }
}
