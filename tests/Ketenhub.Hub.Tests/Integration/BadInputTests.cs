using Grpc.Core;
using Ketenhub.Contracts.V1;
using Ketenhub.HubTests.Infrastructure;
using Ketenhub.Testing.InProcess;
using static Ketenhub.Testing.InProcess.PartyClient;

namespace Ketenhub.HubTests.Integration;

/// <summary>
/// Bad input through the real host: every case gets a coded error, nothing of the failed request is stored,
/// and the hub keeps serving the caller and everyone else.
/// </summary>
public sealed class BadInputTests : IDisposable
{
    private readonly HubFactory _hub = new();
    private readonly PartyClient _sdd;
    private readonly PartyClient _waakvlam;
    private readonly PartyClient _plus;

    public BadInputTests()
    {
        _sdd = _hub.As("sdd");
        _waakvlam = _hub.As("waakvlam-zorg");
        _plus = _hub.As("begeleiding-plus");
    }

    public void Dispose() => _hub.Dispose();

    [Fact]
    public async Task Bsn_FailingTheElfproef_IsInvalidBsn_OnFieldBsn()
    {
        var error = await Errors.Of(() => _sdd.Clients.RegisterClientAsync(Register("123456789", Date(1990, 1, 1))).ResponseAsync);

        Assert.Equal((StatusCode.InvalidArgument, "INVALID_BSN"), (error.Code, error.Reason));
        Assert.Equal(["bsn"], error.Fields);

        // The hub keeps serving: a valid registration right after succeeds.
        var ok = await _sdd.Clients.RegisterClientAsync(Register(Kit.NewBsn(), Date(1990, 1, 1)));
        Assert.False(ok.AlreadyRegistered);
    }

    [Theory]
    [InlineData(2026, 1, 6)] // tomorrow: the hub's clock stands at 2026-01-05
    [InlineData(2030, 6, 1)]
    [InlineData(1899, 12, 31)]
    [InlineData(2000, 2, 30)] // not a calendar date
    [InlineData(2001, 13, 1)]
    public async Task BirthDate_InTheFuture_Before1900_OrImpossible_IsInvalidBirthDate_AndNothingIsStored(int year, int month, int day)
    {
        var bsn = Kit.NewBsn();

        var error = await Errors.Of(() => _sdd.Clients.RegisterClientAsync(Register(bsn, Date(year, month, day))).ResponseAsync);

        Assert.Equal((StatusCode.InvalidArgument, "INVALID_BIRTH_DATE"), (error.Code, error.Reason));
        Assert.Equal(["birth_date"], error.Fields);

        // Nothing was stored: the same BSN is still unknown, so registering it now creates the client.
        var ok = await _sdd.Clients.RegisterClientAsync(Register(bsn, Date(1990, 1, 1)));
        Assert.False(ok.AlreadyRegistered);
    }

    [Fact]
    public async Task UnknownPerformer_IsUnknownParty_AndNoReferralIsStored()
    {
        var client = await ArrangeClientAsync();
        var before = await SnapshotAsync(client.Name);

        var referral = Kit.CareReferral(client.Name, "nope");
        var error = await Errors.Of(() => _sdd.Referrals.CreateReferralAsync(new CreateReferralRequest { RequestId = NewRequestId(), Referral = referral }).ResponseAsync);

        Assert.Equal((StatusCode.InvalidArgument, "UNKNOWN_PARTY"), (error.Code, error.Reason));
        Assert.Equal(["referral.performers[0].party"], error.Fields);
        await AssertUnchangedAsync(client.Name, before);

        var ok = await _sdd.Referrals.CreateReferralAsync(new CreateReferralRequest { RequestId = NewRequestId(), Referral = Kit.CareReferral(client.Name, "begeleiding-plus") });
        Assert.Equal(PerformerStatus.Requested, Assert.Single(ok.Referral.Performers).Status);
    }

    [Fact]
    public async Task TransitionToUnknownParty_IsUnknownParty_AndNothingIsStored()
    {
        var client = await ArrangeClientAsync();
        var before = await SnapshotAsync(client.Name);

        var transition = ScaleUp(client.Name);
        transition.ToParty = "parties/nope";
        var error = await Errors.Of(() => _sdd.Transitions.CreateTransitionAsync(new CreateTransitionRequest { RequestId = NewRequestId(), Transition = transition }).ResponseAsync);

        Assert.Equal((StatusCode.InvalidArgument, "UNKNOWN_PARTY"), (error.Code, error.Reason));
        Assert.Equal(["transition.to_party"], error.Fields);
        await AssertUnchangedAsync(client.Name, before);

        var ok = await _sdd.Transitions.CreateTransitionAsync(new CreateTransitionRequest { RequestId = NewRequestId(), Transition = ScaleUp(client.Name) });
        Assert.Equal("lisa", ok.Transition.Coach.CoachId);
    }

    [Fact]
    public async Task TransitionWithABadReferralInside_StoresNeitherTheTransitionNorItsOtherReferrals()
    {
        var client = await ArrangeClientAsync();
        using var coachStream = _waakvlam.Tail();
        using var receivingStream = _plus.Tail();
        var before = await SnapshotAsync(client.Name);

        var transition = ScaleUp(client.Name);
        transition.Referrals.Add(Kit.CareReferral(client.Name, "begeleiding-plus"));
        transition.Referrals.Add(Kit.CareReferral(client.Name, "nope"));
        var error = await Errors.Of(() => _sdd.Transitions.CreateTransitionAsync(new CreateTransitionRequest { RequestId = NewRequestId(), Transition = transition }).ResponseAsync);

        Assert.Equal((StatusCode.InvalidArgument, "UNKNOWN_PARTY"), (error.Code, error.Reason));
        Assert.Equal(["transition.referrals[1].performers[0].party"], error.Fields);
        await AssertUnchangedAsync(client.Name, before);

        // The streams got nothing of it: the first thing they receive is what the next valid calls send.
        var signal = await _sdd.Signals.CreateSignalAsync(Kit.Signal(client.Name));
        Assert.Equal(signal.Signal.Name, (await coachStream.NextAsync()).Signal.Name);

        var valid = ScaleUp(client.Name);
        valid.Referrals.Add(Kit.CareReferral(client.Name, "begeleiding-plus"));
        var ok = await _sdd.Transitions.CreateTransitionAsync(new CreateTransitionRequest { RequestId = NewRequestId(), Transition = valid });
        var first = await receivingStream.NextAsync();
        Assert.Equal(Delivery.PayloadOneofCase.Referral, first.PayloadCase);
        Assert.Equal(Assert.Single(ok.ReferralDecisions).Referral, first.Referral.Name);
    }

    [Fact]
    public async Task UnknownCaller_IsUnauthenticated_CallerUnknown()
    {
        var stranger = _hub.As("nope");
        await Errors.Expect(StatusCode.Unauthenticated, "CALLER_UNKNOWN", () => stranger.Parties.ListPartiesAsync(new ListPartiesRequest()).ResponseAsync);
        await Errors.Expect(StatusCode.Unauthenticated, "CALLER_UNKNOWN", () => stranger.Clients.RegisterClientAsync(Register(Kit.NewBsn(), Date(1990, 1, 1))).ResponseAsync);

        // A stream refuses an unknown caller with the same coded error.
        await Errors.Expect(StatusCode.Unauthenticated, "CALLER_UNKNOWN", async () =>
        {
            using var call = stranger.Deliveries.StreamDeliveries(new StreamDeliveriesRequest());
            await call.ResponseStream.MoveNext(CancellationToken.None);
        });

        // No header at all.
        var anonymous = new PartyService.PartyServiceClient(_hub.AnonymousChannel());
        await Errors.Expect(StatusCode.Unauthenticated, "CALLER_UNKNOWN", () => anonymous.ListPartiesAsync(new ListPartiesRequest()).ResponseAsync);

        var parties = await _sdd.Parties.ListPartiesAsync(new ListPartiesRequest());
        Assert.Contains(parties.Parties, p => p.Name == "parties/sdd");
    }

    [Fact]
    public async Task UnknownEnumValue_IsUnknownEnumValue_AndUnspecifiedRequiredEnum_IsFieldRequired()
    {
        var client = await ArrangeClientAsync();
        var before = await SnapshotAsync(client.Name);

        var unknown = Kit.Signal(client.Name, kind: (SignalKind)99);
        var error = await Errors.Of(() => _sdd.Signals.CreateSignalAsync(unknown).ResponseAsync);
        Assert.Equal((StatusCode.InvalidArgument, "UNKNOWN_ENUM_VALUE"), (error.Code, error.Reason));
        Assert.Equal(["signal.kind"], error.Fields);

        var unknownDomain = Kit.Signal(client.Name, domain: (LifeDomain)42);
        error = await Errors.Of(() => _sdd.Signals.CreateSignalAsync(unknownDomain).ResponseAsync);
        Assert.Equal((StatusCode.InvalidArgument, "UNKNOWN_ENUM_VALUE"), (error.Code, error.Reason));
        Assert.Equal(["signal.life_domain"], error.Fields);

        var unspecified = Kit.Signal(client.Name, severity: SignalSeverity.Unspecified);
        error = await Errors.Of(() => _sdd.Signals.CreateSignalAsync(unspecified).ResponseAsync);
        Assert.Equal((StatusCode.InvalidArgument, "FIELD_REQUIRED"), (error.Code, error.Reason));
        Assert.Equal(["signal.severity"], error.Fields);

        var referral = Kit.CareReferral(client.Name, "begeleiding-plus", ServiceKind.Unspecified);
        error = await Errors.Of(() => _sdd.Referrals.CreateReferralAsync(new CreateReferralRequest { RequestId = NewRequestId(), Referral = referral }).ResponseAsync);
        Assert.Equal((StatusCode.InvalidArgument, "FIELD_REQUIRED"), (error.Code, error.Reason));
        Assert.Equal(["referral.service"], error.Fields);

        await AssertUnchangedAsync(client.Name, before);
        await _sdd.Signals.CreateSignalAsync(Kit.Signal(client.Name));
    }

    [Fact]
    public async Task FourMegabyteDescription_IsFieldTooLong_NotATransportError()
    {
        var client = await ArrangeClientAsync();
        var before = await SnapshotAsync(client.Name);

        var huge = Kit.Signal(client.Name, description: new string('x', 4 * 1024 * 1024));
        var error = await Errors.Of(() => _sdd.Signals.CreateSignalAsync(huge).ResponseAsync);

        Assert.Equal((StatusCode.InvalidArgument, "FIELD_TOO_LONG"), (error.Code, error.Reason));
        Assert.Equal(["signal.description"], error.Fields);
        await AssertUnchangedAsync(client.Name, before);
        await _sdd.Signals.CreateSignalAsync(Kit.Signal(client.Name));
    }

    [Fact]
    public async Task ARequestLargerThanTheHubAccepts_FailsAlone_AndTheHubKeepsServing()
    {
        var client = await ArrangeClientAsync();
        var before = await SnapshotAsync(client.Name);

        // Above the host's 6 MB limit the transport refuses the message before the hub reads it.
        var tooLarge = Kit.Signal(client.Name, description: new string('x', 7 * 1024 * 1024));
        var error = await Assert.ThrowsAsync<RpcException>(() => _sdd.Signals.CreateSignalAsync(tooLarge).ResponseAsync);
        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);

        await AssertUnchangedAsync(client.Name, before);
        await _sdd.Signals.CreateSignalAsync(Kit.Signal(client.Name));
    }

    [Fact]
    public async Task SeveralInvalidFields_AreOneInvalidRequest_ListingEachField_AndNameNoValues()
    {
        var client = await ArrangeClientAsync();
        var request = Kit.Signal(client.Name, description: "Call 06-12345678\u0000", kind: (SignalKind)99, severity: SignalSeverity.Unspecified);

        var error = await Errors.Of(() => _sdd.Signals.CreateSignalAsync(request).ResponseAsync);
        Assert.Equal((StatusCode.InvalidArgument, "INVALID_REQUEST"), (error.Code, error.Reason));
        Assert.Equal(["signal.kind", "signal.severity", "signal.description"], error.Fields);

        // Messages and descriptions name fields, never what was in them.
        const string bsn = "123456789"; // fails the elfproef
        var exceptions = new[]
        {
            await Assert.ThrowsAsync<RpcException>(() => _sdd.Signals.CreateSignalAsync(request).ResponseAsync),
            await Assert.ThrowsAsync<RpcException>(() => _sdd.Clients.RegisterClientAsync(Register(bsn, Date(1990, 1, 1))).ResponseAsync),
            await Assert.ThrowsAsync<RpcException>(() => _sdd.Clients.RegisterClientAsync(Register(Kit.NewBsn(), Date(2031, 7, 19))).ResponseAsync),
        };
        foreach (var exception in exceptions)
        {
            var text = exception.Status.Detail + string.Concat(exception.GetRpcStatus()!.GetDetail<Google.Rpc.BadRequest>()?.FieldViolations.Select(v => v.Description) ?? []);
            Assert.DoesNotContain("06-12345678", text, StringComparison.Ordinal);
            Assert.DoesNotContain(bsn, text, StringComparison.Ordinal);
            Assert.DoesNotContain("2031", text, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("has space")]
    [InlineData("tab\there")]
    [InlineData("héllo")]
    [InlineData("LONG")]
    public async Task AMalformedRequestId_IsInvalidRequest_OnFieldRequestId(string requestId)
    {
        var client = await ArrangeClientAsync();
        var before = await SnapshotAsync(client.Name);
        var request = Kit.Signal(client.Name);
        request.RequestId = requestId == "LONG" ? new string('r', 129) : requestId;

        var error = await Errors.Of(() => _sdd.Signals.CreateSignalAsync(request).ResponseAsync);
        Assert.Equal((StatusCode.InvalidArgument, "INVALID_REQUEST"), (error.Code, error.Reason));
        Assert.Equal(["request_id"], error.Fields);
        await AssertUnchangedAsync(client.Name, before);

        request.RequestId = new string('r', 128);
        await _sdd.Signals.CreateSignalAsync(request);
    }

    [Fact]
    public async Task ControlCharacters_InFreeTextOrShortFields_AreInvalidCharacters()
    {
        var client = await ArrangeClientAsync();
        var before = await SnapshotAsync(client.Name);

        var error = await Errors.Of(() => _sdd.Signals.CreateSignalAsync(Kit.Signal(client.Name, description: "Arrears\u0000 on rent")).ResponseAsync);
        Assert.Equal((StatusCode.InvalidArgument, "INVALID_CHARACTERS"), (error.Code, error.Reason));
        Assert.Equal(["signal.description"], error.Fields);

        var coach = Kit.Coach("waakvlam-zorg", "piet", "Piet\u0007");
        error = await Errors.Of(() => _waakvlam.Clients.AssignCoachAsync(new AssignCoachRequest { RequestId = NewRequestId(), Client = client.Name, Coach = coach }).ResponseAsync);
        Assert.Equal((StatusCode.InvalidArgument, "INVALID_CHARACTERS"), (error.Code, error.Reason));
        Assert.Equal(["coach.display_name"], error.Fields);

        // A line break is fine in free text but not in a short field.
        coach = Kit.Coach("waakvlam-zorg", "pi\net", "Piet");
        coach.Email = "piet@example.org";
        error = await Errors.Of(() => _waakvlam.Clients.AssignCoachAsync(new AssignCoachRequest { RequestId = NewRequestId(), Client = client.Name, Coach = coach }).ResponseAsync);
        Assert.Equal((StatusCode.InvalidArgument, "INVALID_CHARACTERS"), (error.Code, error.Reason));
        Assert.Equal(["coach.coach_id"], error.Fields);

        await AssertUnchangedAsync(client.Name, before);
        var team = await _waakvlam.Clients.GetCareTeamAsync(new GetCareTeamRequest { Client = client.Name });
        Assert.Equal("lisa", team.CareTeam.Coach.CoachId);

        var ok = await _sdd.Signals.CreateSignalAsync(Kit.Signal(client.Name, description: "Arrears on rent.\nLandlord called twice.\tAgain today."));
        Assert.Contains('\n', ok.Signal.Description);
    }

    [Fact]
    public async Task RequestWithoutRequestId_IsRequestIdMissing()
    {
        var client = await ArrangeClientAsync();
        var before = await SnapshotAsync(client.Name);

        var request = Kit.Signal(client.Name);
        request.RequestId = string.Empty;
        var error = await Errors.Of(() => _sdd.Signals.CreateSignalAsync(request).ResponseAsync);
        Assert.Equal((StatusCode.InvalidArgument, "REQUEST_ID_MISSING"), (error.Code, error.Reason));
        Assert.Equal(["request_id"], error.Fields);

        var register = Register(Kit.NewBsn(), Date(1990, 1, 1));
        register.RequestId = string.Empty;
        await Errors.Expect(StatusCode.InvalidArgument, "REQUEST_ID_MISSING", () => _sdd.Clients.RegisterClientAsync(register).ResponseAsync);

        await AssertUnchangedAsync(client.Name, before);
        await _sdd.Signals.CreateSignalAsync(Kit.Signal(client.Name));
    }

    [Fact]
    public async Task ReplayedRequestId_WithADifferentBody_IsRequestIdReused_WithTheSameBody_ReturnsTheFirstAnswer()
    {
        var client = await ArrangeClientAsync();
        var request = Kit.Signal(client.Name);
        var first = await _sdd.Signals.CreateSignalAsync(request);
        var afterFirst = await SnapshotAsync(client.Name);
        Assert.Single(afterFirst.Deliveries["waakvlam-zorg"]);

        _hub.Clock.Advance(TimeSpan.FromMinutes(5));
        var different = request.Clone();
        different.Signal.Description = "Something else entirely.";
        var error = await Errors.Of(() => _sdd.Signals.CreateSignalAsync(different).ResponseAsync);
        Assert.Equal((StatusCode.InvalidArgument, "REQUEST_ID_REUSED"), (error.Code, error.Reason));
        Assert.Equal(["request_id"], error.Fields);

        var again = await _sdd.Signals.CreateSignalAsync(request.Clone());
        Assert.Equal(first.Signal.Name, again.Signal.Name);
        Assert.Equal(first, again);
        Assert.Equal(first.Decisions, again.Decisions);

        // No second signal, no second delivery, no second journey event.
        await AssertUnchangedAsync(client.Name, afterFirst);

        // The same request id is the caller's own: another party may use it for its own request.
        var byOther = request.Clone();
        var other = await _plus.Signals.CreateSignalAsync(byOther);
        Assert.NotEqual(first.Signal.Name, other.Signal.Name);
    }

    [Fact]
    public async Task ReplayedRequests_OfEveryKindOfWrite_ReturnTheFirstAnswer_AndStoreNothingTwice()
    {
        var client = await ArrangeClientAsync();

        var register = Register(Kit.NewBsn(), Date(2009, 9, 9));
        var registered = await _sdd.Clients.RegisterClientAsync(register);
        Assert.Equal(registered, await _sdd.Clients.RegisterClientAsync(register.Clone()));

        var transition = ScaleUp(client.Name);
        transition.Referrals.Add(Kit.CareReferral(client.Name, "begeleiding-plus"));
        var announce = new CreateTransitionRequest { RequestId = NewRequestId(), Transition = transition };
        var announced = await _sdd.Transitions.CreateTransitionAsync(announce);
        var afterFirst = await SnapshotAsync(client.Name);
        _hub.Clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(announced, await _sdd.Transitions.CreateTransitionAsync(announce.Clone()));
        await AssertUnchangedAsync(client.Name, afterFirst);

        var referral = Assert.Single(announced.ReferralDecisions).Referral;
        var accept = new AcceptReferralRequest { RequestId = NewRequestId(), Name = referral };
        var accepted = await _plus.Referrals.AcceptReferralAsync(accept);
        var afterAccept = await SnapshotAsync(client.Name);
        Assert.Equal(accepted, await _plus.Referrals.AcceptReferralAsync(accept.Clone()));
        await AssertUnchangedAsync(client.Name, afterAccept);

        var delivery = (await Kit.DeliveriesAsync(_plus, DeliveryStatus.Pending))[0];
        var ack = new AcknowledgeDeliveryRequest { RequestId = NewRequestId(), Name = delivery.Name };
        Assert.Equal(DeliveryStatus.Acknowledged, (await _plus.Deliveries.AcknowledgeDeliveryAsync(ack)).Status);
        Assert.Equal(DeliveryStatus.Acknowledged, (await _plus.Deliveries.AcknowledgeDeliveryAsync(ack.Clone())).Status);
    }

    [Fact]
    public async Task AnotherPartysDelivery_IsNotFound_LikeAnUnknownOne_AndNotTheRecipient_ToItsSender()
    {
        var client = await ArrangeClientAsync();
        var signal = await _sdd.Signals.CreateSignalAsync(Kit.Signal(client.Name));
        var deliveryName = Assert.Single(signal.Decisions, d => d.Recipient == "parties/waakvlam-zorg").Delivery;

        // A party with no part in the delivery hears it does not exist (docs/errors.md, "Not found or not allowed");
        // the signal's sender, whose answer named the delivery, is told it is not the recipient.
        await Errors.Expect(StatusCode.NotFound, "DELIVERY_NOT_FOUND", () =>
            _plus.Deliveries.AcknowledgeDeliveryAsync(new AcknowledgeDeliveryRequest { RequestId = NewRequestId(), Name = deliveryName }).ResponseAsync);
        await Errors.Expect(StatusCode.PermissionDenied, "NOT_THE_RECIPIENT", () =>
            _sdd.Deliveries.RejectDeliveryAsync(new RejectDeliveryRequest { RequestId = NewRequestId(), Name = deliveryName, ReasonCode = "X1" }).ResponseAsync);
        await Errors.Expect(StatusCode.NotFound, "DELIVERY_NOT_FOUND", () =>
            _waakvlam.Deliveries.AcknowledgeDeliveryAsync(new AcknowledgeDeliveryRequest { RequestId = NewRequestId(), Name = "deliveries/dlv_0000000000000000" }).ResponseAsync);

        // The delivery is untouched: still pending for its recipient, who can acknowledge it.
        var pending = Assert.Single(await Kit.DeliveriesAsync(_waakvlam, DeliveryStatus.Pending));
        Assert.Equal(deliveryName, pending.Name);
        var ack = await _waakvlam.Deliveries.AcknowledgeDeliveryAsync(new AcknowledgeDeliveryRequest { RequestId = NewRequestId(), Name = deliveryName });
        Assert.Equal(DeliveryStatus.Acknowledged, ack.Status);
    }

    [Theory]
    [InlineData("client/x")]
    [InlineData("clients/a b")]
    [InlineData("clients/")]
    [InlineData("clients/cli_x/extra")]
    [InlineData("LONG")]
    public async Task MalformedClientName_IsInvalidResourceName(string name)
    {
        var client = await ArrangeClientAsync();
        if (name == "LONG")
        {
            name = "clients/" + new string('a', 100);
        }

        var error = await Errors.Of(() => _waakvlam.Clients.GetClientAsync(new GetClientRequest { Name = name }).ResponseAsync);
        Assert.Equal((StatusCode.InvalidArgument, "INVALID_RESOURCE_NAME"), (error.Code, error.Reason));
        Assert.Equal(["name"], error.Fields);

        error = await Errors.Of(() => _sdd.Signals.CreateSignalAsync(Kit.Signal(name)).ResponseAsync);
        Assert.Equal((StatusCode.InvalidArgument, "INVALID_RESOURCE_NAME"), (error.Code, error.Reason));
        Assert.Equal(["signal.client"], error.Fields);

        var ok = await _waakvlam.Clients.GetClientAsync(new GetClientRequest { Name = client.Name });
        Assert.Equal(client.Name, ok.Client.Name);
    }

    [Fact]
    public async Task UnknownClient_IsClientNotFound()
    {
        var client = await ArrangeClientAsync();
        var before = await SnapshotAsync(client.Name);

        await Errors.Expect(StatusCode.NotFound, "CLIENT_NOT_FOUND", () => _waakvlam.Clients.GetClientAsync(new GetClientRequest { Name = "clients/cli_doesnotexist" }).ResponseAsync);
        await Errors.Expect(StatusCode.NotFound, "CLIENT_NOT_FOUND", () => _sdd.Signals.CreateSignalAsync(Kit.Signal("clients/cli_doesnotexist")).ResponseAsync);

        await AssertUnchangedAsync(client.Name, before);
    }

    [Fact]
    public async Task WhileBadRequestsRun_AnotherPartysStreamKeepsReceiving()
    {
        var client = await ArrangeClientAsync();
        using var coachStream = _waakvlam.Tail();

        var bad = new List<Func<Task>>
        {
            () => _sdd.Clients.RegisterClientAsync(Register("123456789", Date(1990, 1, 1))).ResponseAsync,
            () => _sdd.Clients.RegisterClientAsync(Register(Kit.NewBsn(), Date(2000, 2, 30))).ResponseAsync,
            () => _sdd.Signals.CreateSignalAsync(Kit.Signal(client.Name, kind: (SignalKind)99)).ResponseAsync,
            () => _sdd.Signals.CreateSignalAsync(Kit.Signal(client.Name, description: new string('x', 4 * 1024 * 1024))).ResponseAsync,
            () => _sdd.Signals.CreateSignalAsync(Kit.Signal(client.Name, description: "bell\u0007")).ResponseAsync,
            () => _sdd.Signals.CreateSignalAsync(Kit.Signal("clients/a b")).ResponseAsync,
            () => _sdd.Referrals.CreateReferralAsync(new CreateReferralRequest { RequestId = NewRequestId(), Referral = Kit.CareReferral(client.Name, "nope") }).ResponseAsync,
            () => _hub.As("nope").Signals.CreateSignalAsync(Kit.Signal(client.Name)).ResponseAsync,
        };

        // Many bad requests at once from one party, and in the middle of them a valid signal from another.
        var failing = Enumerable.Range(0, 5).SelectMany(_ => bad).Select(call => Errors.Of(call)).ToList();
        var valid = _plus.Signals.CreateSignalAsync(Kit.Signal(client.Name, description: "Missed two appointments.", kind: SignalKind.MissedContacts, domain: LifeDomain.Care));
        var errors = await Task.WhenAll(failing);
        var raised = await valid;

        Assert.All(errors, e => Assert.Contains(e.Code, new[] { StatusCode.InvalidArgument, StatusCode.Unauthenticated }));

        // The coach's stream got the valid signal (as a thin notice: the consent does not cover health data),
        // and nothing from the bad requests.
        var received = await coachStream.NextAsync();
        Assert.Equal("parties/begeleiding-plus", received.Sender);
        Assert.Equal(Assert.Single(raised.Decisions, d => d.Recipient == "parties/waakvlam-zorg").Delivery, received.Name);
        var all = await Kit.DeliveriesAsync(_waakvlam);
        Assert.Equal([received.Name], all.Select(d => d.Name));
    }

    private static RegisterClientRequest Register(string bsn, Google.Type.Date birthDate) => new()
    {
        RequestId = NewRequestId(),
        Bsn = bsn,
        BirthDate = birthDate,
        MunicipalityCode = "0505",
    };

    private static Transition ScaleUp(string client) => new()
    {
        Client = client,
        Kind = TransitionKind.ScaleUp,
        FromParty = "parties/waakvlam-zorg",
        ToParty = "parties/begeleiding-plus",
        EffectiveDate = Date(2026, 2, 1),
        HandoverSummary = "Good at keeping appointments.",
    };

    /// <summary>A client (15) with coach Lisa at waakvlam-zorg, who may read the journey and gets financial signals and transitions.</summary>
    private async Task<Client> ArrangeClientAsync()
    {
        // A minor: an adult registered client gets a CAME_OF_AGE journey step whenever the scheduled work next
        // runs, which would make the journey comparisons below depend on the timer.
        var client = await Kit.ClientWithCoachAsync(_waakvlam, birthDate: Date(2010, 5, 1));
        await _waakvlam.GrantAsync(client.Name, GrantorRole.Client, "waakvlam-zorg", [Purpose.Coaching, Purpose.SignalFollowUp], [DataCategory.SupportPlan, DataCategory.ContactDetails, DataCategory.Finances]);
        return client;
    }

    private sealed record Snapshot(IReadOnlyList<JourneyEvent> Journey, IReadOnlyDictionary<string, IReadOnlyList<string>> Deliveries);

    private async Task<Snapshot> SnapshotAsync(string client)
    {
        var deliveries = new Dictionary<string, IReadOnlyList<string>>();
        foreach (var party in new[] { _sdd, _waakvlam, _plus })
        {
            deliveries[party.PartyId] = [.. (await Kit.DeliveriesAsync(party)).Select(d => d.Name + ":" + d.Status + ":" + d.AttemptCount)];
        }

        return new Snapshot(await Kit.JourneyAsync(_waakvlam, client), deliveries);
    }

    private async Task AssertUnchangedAsync(string client, Snapshot before)
    {
        var now = await SnapshotAsync(client);
        Assert.Equal(before.Journey, now.Journey);
        foreach (var (party, names) in before.Deliveries)
        {
            Assert.Equal(names, now.Deliveries[party]);
        }
    }
}
