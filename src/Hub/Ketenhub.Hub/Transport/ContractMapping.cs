using Ketenhub.Contracts.V1;
using Ketenhub.Hub.Clients;
using Ketenhub.Hub.Consent;
using Ketenhub.Hub.Journeys;
using Ketenhub.Hub.Messages;
using ContractConsent = Ketenhub.Contracts.V1.Consent;
using ContractDeliveredClient = Ketenhub.Contracts.V1.DeliveredClient;
using ContractDelivery = Ketenhub.Contracts.V1.Delivery;
using ContractJourneyEvent = Ketenhub.Contracts.V1.JourneyEvent;
using D = Ketenhub.Hub.Common;
using Decision = Ketenhub.Hub.Delivery.Decision;
using DeliveryRecord = Ketenhub.Hub.Delivery.DeliveryRecord;
using DomainJourneyEvent = Ketenhub.Hub.Journeys.JourneyEvent;

namespace Ketenhub.Hub.Host.Transport;

/// <summary>Domain records to contract messages. The BSN never leaves through here.</summary>
public static class ContractMapping
{
    public static Contracts.V1.Party ToContract(Hub.Parties.Party party) => new()
    {
        Name = party.Name,
        Kind = Wire.From<Contracts.V1.PartyKind>(party.Kind),
        DisplayName = party.DisplayName,
        Brin = party.Brin ?? string.Empty,
        Agb = party.Agb ?? string.Empty,
        Oin = party.Oin ?? string.Empty,
        Kvk = party.Kvk ?? string.Empty,
        MunicipalityCodes = { party.MunicipalityCodes },
        DeliveryChannel = Wire.From<Contracts.V1.DeliveryChannel>(party.Channel),
    };

    public static Client ToContract(ClientSummary client, string? schoolId) => new()
    {
        Name = client.Name,
        BirthDate = Wire.Date(client.BirthDate),
        MunicipalityCode = client.MunicipalityCode,
        School = Wire.PartyName(schoolId),
        CreateTime = Wire.Time(client.CreateTime),
    };

    public static Contracts.V1.CaseloadEntry ToContract(Ketenhub.Hub.Journeys.CaseloadEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var contract = new Contracts.V1.CaseloadEntry
        {
            Client = ToContract(entry.Client, entry.SchoolId),
            Coach = ToContract(entry.Assignment.Coach),
            CoachSinceTime = Wire.Time(entry.Assignment.From),
            NextRuleBirthday = Wire.Date(entry.NextRuleBirthday),
            NextRuleAge = entry.NextRuleAge,
        };
        contract.OpenSignals.Add(entry.OpenSignals.Select(s => new Contracts.V1.OpenSignal
        {
            Signal = "signals/" + s.SignalId,
            Severity = Wire.From<SignalSeverity>(s.Severity),
            Domain = Wire.From<LifeDomain>(s.Domain),
            CreateTime = Wire.Time(s.CreateTime),
            AcknowledgeDeadline = Wire.Time(s.AcknowledgeDeadline),
        }));
        contract.OpenTasks.Add(entry.OpenTasks.Select(t => new Contracts.V1.OpenTask
        {
            Delivery = "deliveries/" + t.DeliveryId,
            Kind = Wire.From<TaskKind>(t.Kind),
            CreateTime = Wire.Time(t.CreateTime),
        }));
        contract.EndingConsents.Add(entry.EndingConsents.Select(c =>
        {
            var ending = new EndingConsent { Consent = c.Name, EndTime = Wire.Time(c.End) };
            ending.Purposes.Add(c.Purposes.Select(p => Wire.From<Purpose>(p)));
            return ending;
        }));
        return contract;
    }

    public static Coach? ToContract(CoachInfo? coach) => coach is null ? null : new Coach
    {
        Party = Wire.PartyName(coach.PartyId),
        CoachId = coach.CoachId,
        DisplayName = coach.DisplayName,
        Phone = coach.Phone,
        Email = coach.Email,
    };

    public static CoachDraft? ToDraft(Coach? coach) =>
        coach is null ? null : new CoachDraft(coach.Party, coach.CoachId, coach.DisplayName, coach.Phone, coach.Email);

    public static CareTeam ToContract(CareTeamView view) => new()
    {
        Client = view.Client.Name,
        Coach = ToContract(view.Coach?.Coach),
        CoachSinceTime = Wire.Time(view.Coach?.From),
        Parties = { view.Parties.Select(Wire.PartyName) },
        Etag = view.Etag,
    };

    /// <summary>A referral as <paramref name="reader"/> sees it: the linked open referrals it may know of.</summary>
    public static Referral ToContract(ReferralRecord referral, string? reader) => new()
    {
        OpenReferrals = { referral.OpenReferralsAtRequest.Where(r => r.IsKnownTo(reader)).Select(r => r.Name) },
        Name = referral.Name,
        Client = "clients/" + referral.ClientId,
        Requester = Wire.PartyName(referral.Requester),
        Service = Wire.From<ServiceKind>(referral.Service),
        Reason = referral.Reason,
        LifeDomains = { referral.LifeDomains.Select(x => Wire.From<LifeDomain>(x)) },
        Urgency = Wire.From<ReferralUrgency>(referral.Urgency),
        Strengths = referral.Strengths,
        Performers =
        {
            referral.Performers.Select(p => new ReferralPerformer
            {
                Party = Wire.PartyName(p.PartyId),
                Status = Wire.From<PerformerStatus>(p.Status),
                ReasonCode = p.ReasonCode ?? string.Empty,
                UpdateTime = Wire.Time(p.UpdateTime),
                StartDate = Wire.Date(p.StartDate),
                EndDate = Wire.Date(p.EndDate),
            }),
        },
        Coach = ToContract(referral.Coach),
        CreateTime = Wire.Time(referral.CreateTime),
        ProductCode = referral.ProductCode ?? string.Empty,
        Volume = referral.Volume is { } volume
            ? new Contracts.V1.SupportVolume { Quantity = volume.Quantity, Unit = Wire.From<VolumeUnit>(volume.Unit), Frequency = Wire.From<VolumeFrequency>(volume.Frequency) }
            : null,
        RequestedEndDate = Wire.Date(referral.RequestedEndDate),
        Kind = Wire.From<ReferralKind>(referral.Kind),
        RequesterReference = referral.RequesterReference ?? string.Empty,
        AllocationRequest = referral.AllocationRequestId is null ? string.Empty : "referrals/" + referral.AllocationRequestId,
        AllocationReference = referral.AllocationReference ?? string.Empty,
        ContentEraseTime = referral.ContentEraseTime is { } erased ? Wire.Time(erased) : null,
    };

    /// <param name="referral">The referral as submitted.</param>
    /// <param name="clientOverride">The client when the referral comes with a transition.</param>
    /// <param name="field">The referral's field path in the request, for a bad end date.</param>
    public static ReferralDraft ToDraft(Referral? referral, string? clientOverride = null, string field = "referral")
    {
        referral ??= new Referral();
        return new ReferralDraft(
            clientOverride ?? referral.Client,
            Wire.To<D.ServiceKind>(referral.Service),
            referral.Reason,
            [.. referral.LifeDomains.Select(d => Wire.To<D.LifeDomain>(d))],
            Wire.To<D.ReferralUrgency>(referral.Urgency),
            referral.Strengths,
            [.. referral.Performers.Select(p => p.Party)])
        {
            ProductCode = referral.ProductCode,
            Volume = referral.Volume is { } volume
                ? new Ketenhub.Hub.Messages.SupportVolume(volume.Quantity, Wire.To<D.VolumeUnit>(volume.Unit), Wire.To<D.VolumeFrequency>(volume.Frequency))
                : null,
            RequestedEndDate = Wire.Date(referral.RequestedEndDate, field + ".requested_end_date"),
            Kind = Wire.To<D.ReferralKind>(referral.Kind),
            RequesterReference = referral.RequesterReference,
        };
    }

    public static Transition ToContract(TransitionRecord transition) => new()
    {
        Name = transition.Name,
        Client = "clients/" + transition.ClientId,
        Sender = Wire.PartyName(transition.Sender),
        Kind = Wire.From<TransitionKind>(transition.Kind),
        FromParty = Wire.PartyName(transition.FromParty),
        ToParty = Wire.PartyName(transition.ToParty),
        EffectiveDate = Wire.Date(transition.EffectiveDate),
        HandoverSummary = transition.HandoverSummary,
        Coach = ToContract(transition.Coach),
        CreateTime = Wire.Time(transition.CreateTime),
        Referrals = { transition.ReferralIds.Select(id => new Referral { Name = "referrals/" + id }) },
        NewMunicipalityCode = transition.NewMunicipalityCode ?? string.Empty,
        ContentEraseTime = transition.ContentEraseTime is { } erased ? Wire.Time(erased) : null,
    };

    /// <summary>A prospective client for explain; null when the request has none.</summary>
    public static Hub.Clients.ProspectiveClient? ToProspective(Contracts.V1.ProspectiveClient? prospective) =>
        prospective is null
            ? null
            : new Hub.Clients.ProspectiveClient(
                Wire.Date(prospective.BirthDate, "prospective_client.birth_date", D.ErrorReasons.InvalidBirthDate),
                prospective.MunicipalityCode,
                prospective.School);

    public static TransitionDraft ToDraft(Transition? transition)
    {
        transition ??= new Transition();
        return new TransitionDraft(
            transition.Client,
            Wire.To<D.TransitionKind>(transition.Kind),
            transition.FromParty,
            transition.ToParty,
            Wire.Date(transition.EffectiveDate, "transition.effective_date"),
            transition.HandoverSummary,
            ToDraft(transition.CoachAfter),
            [.. transition.Referrals.Select((r, i) => ToDraft(r, transition.Client, $"transition.referrals[{i}]"))])
        {
            NewMunicipalityCode = transition.NewMunicipalityCode,
        };
    }

    public static Signal ToContract(SignalRecord signal) => new()
    {
        Name = signal.Name,
        Client = "clients/" + signal.ClientId,
        Sender = Wire.PartyName(signal.Sender),
        Kind = Wire.From<SignalKind>(signal.Kind),
        LifeDomain = Wire.From<LifeDomain>(signal.Domain),
        Severity = Wire.From<SignalSeverity>(signal.Severity),
        Description = signal.Description,
        CreateTime = Wire.Time(signal.CreateTime),
        ContentEraseTime = signal.ContentEraseTime is { } erased ? Wire.Time(erased) : null,
    };

    public static SignalDraft ToDraft(Signal? signal)
    {
        signal ??= new Signal();
        return new SignalDraft(signal.Client, Wire.To<D.SignalKind>(signal.Kind), Wire.To<D.LifeDomain>(signal.LifeDomain), Wire.To<D.SignalSeverity>(signal.Severity), signal.Description);
    }

    public static ContractConsent ToContract(ConsentView view)
    {
        var c = view.Consent;
        return new ContractConsent
        {
            Name = c.Name,
            Client = "clients/" + c.ClientId,
            GrantorRole = Wire.From<GrantorRole>(c.Grantor),
            RecipientParty = Wire.PartyName(c.RecipientParty),
            RecipientKind = Wire.From<PartyKind>(c.RecipientKind),
            Purposes = { c.Purposes.Select(x => Wire.From<Purpose>(x)) },
            DataCategories = { c.Categories.Select(x => Wire.From<DataCategory>(x)) },
            StartTime = Wire.Time(c.Start),
            EndTime = Wire.Time(c.End),
            WithdrawTime = Wire.Time(c.WithdrawTime),
            ConfirmTime = Wire.Time(c.ConfirmTime),
            State = Wire.From<ConsentState>(view.State),
            RecordedBy = Wire.PartyName(c.RecordedBy),
            Representative = c.RepresentationId is null ? string.Empty : "representatives/" + c.RepresentationId,
        };
    }

    public static Representative ToContract(RepresentativeView view) => new()
    {
        Name = view.Representation.Name,
        Client = "clients/" + view.ClientId,
        Kind = Wire.From<RepresentationKind>(view.Representation.Kind),
        DisplayName = view.DisplayName,
        StartDate = Wire.Date(view.Representation.From),
        EndDate = Wire.Date(view.Representation.Until),
        RecordedBy = view.Representation.Source == "party" ? Wire.PartyName(view.Representation.RecordedBy) : string.Empty,
        Current = view.Current,
        CreateTime = Wire.Time(view.Representation.RecordTime),
    };

    public static RepresentativeDraft ToDraft(Representative? representative)
    {
        representative ??= new Representative();
        return new RepresentativeDraft(
            representative.Client,
            Wire.To<D.RepresentationKind>(representative.Kind),
            representative.DisplayName,
            Wire.Date(representative.StartDate, "representative.start_date"),
            Wire.Date(representative.EndDate, "representative.end_date"));
    }

    public static ConsentDraft ToDraft(ContractConsent? consent)
    {
        consent ??= new ContractConsent();
        return new ConsentDraft(
            consent.Client,
            Wire.To<D.GrantorRole>(consent.GrantorRole),
            consent.RecipientParty,
            Wire.To<D.PartyKind>(consent.RecipientKind),
            [.. consent.Purposes.Select(p => Wire.To<D.Purpose>(p))],
            [.. consent.DataCategories.Select(c => Wire.To<D.DataCategory>(c))],
            Wire.Time(consent.StartTime, "consent.start_time"),
            Wire.Time(consent.EndTime, "consent.end_time"))
        {
            RepresentativeName = consent.Representative,
        };
    }

    public static Contracts.V1.Finding ToContract(Hub.Messages.Finding finding) => new()
    {
        Reason = finding.Reason,
        Resource = finding.Resource ?? string.Empty,
        Explanation = finding.Explanation,
    };

    /// <summary>The client's plan for <paramref name="reader"/>: open referrals without their free text.</summary>
    public static Contracts.V1.ClientPlan ToContract(Hub.Journeys.ClientPlan plan, string reader)
    {
        var contract = new Contracts.V1.ClientPlan
        {
            Client = plan.Client.Name,
            Coach = ToContract(plan.Coach),
            ReadTime = Wire.Time(plan.ReadTime),
        };
        foreach (var referral in plan.OpenReferrals)
        {
            var item = ToContract(referral, reader);
            item.Reason = string.Empty;
            item.Strengths = string.Empty;
            contract.Referrals.Add(item);
        }

        return contract;
    }

    public static RecipientDecision ToContract(Decision decision) => new()
    {
        Recipient = Wire.PartyName(decision.Recipient),
        Outcome = Wire.From<RecipientOutcome>(decision.Outcome),
        RuleIds = { decision.RuleIds },
        Purpose = Wire.From<Purpose>(decision.Purpose),
        DataCategories = { decision.Categories.Select(x => Wire.From<DataCategory>(x)) },
        Consent = decision.ConsentId is null ? string.Empty : "consents/" + decision.ConsentId,
        LegalBasisRuleId = decision.LegalBasisRuleId ?? string.Empty,
        Reason = decision.Reason,
        Explanation = decision.Explanation,
        Delivery = decision.DeliveryId is null ? string.Empty : "deliveries/" + decision.DeliveryId,
        AcknowledgeDeadlineTime = Wire.Time(decision.AckDeadline),
        EscalationTarget = decision.EscalationTarget is null or "coach" ? decision.EscalationTarget ?? string.Empty : Wire.PartyName(decision.EscalationTarget),
    };

    public static ContractJourneyEvent ToContract(DomainJourneyEvent e) => new()
    {
        Sequence = e.Sequence,
        EventTime = Wire.Time(e.Time),
        Type = Wire.From<JourneyEventType>(e.Type),
        Party = Wire.PartyName(e.PartyId),
        Resource = e.Resource ?? string.Empty,
        Detail = e.Detail,
    };

    /// <summary>One message of a delivery stream: a delivery, or a heartbeat in its own field.</summary>
    public static StreamDeliveriesResponse ToContract(Ketenhub.Hub.Delivery.DeliveryStreamItem item) => item switch
    {
        Ketenhub.Hub.Delivery.StreamedDelivery sent => new StreamDeliveriesResponse
        {
            Delivery = ToContract(sent.Outbound.Delivery, sent.Outbound.Payload, sent.Outbound.Coach, sent.Outbound.Client),
        },
        Ketenhub.Hub.Delivery.StreamHeartbeat beat => new StreamDeliveriesResponse
        {
            Heartbeat = new Contracts.V1.StreamHeartbeat
            {
                HighWaterSequence = beat.HighWaterSequence,
                CaughtUp = beat.CaughtUp,
                Time = Wire.Time(beat.Time),
                Outstanding = beat.Outstanding,
            },
        },
        _ => throw new ArgumentOutOfRangeException(nameof(item), item.GetType().Name, "Not a stream item."),
    };

    public static ContractDelivery ToContract(DeliveryRecord record, object? payload, CoachInfo? coach, Ketenhub.Hub.Clients.DeliveredClient? client = null)
    {
        var delivery = new ContractDelivery
        {
            Name = record.Name,
            Sequence = record.Sequence,
            Recipient = Wire.PartyName(record.Recipient),
            Client = "clients/" + record.ClientId,
            Sender = Wire.PartyName(record.Sender),
            Status = Wire.From<DeliveryStatus>(record.Status),
            Decision = ToContract(record.Decision with { DeliveryId = record.Id }),
            AttemptCount = record.AttemptCount,
            CreateTime = Wire.Time(record.CreateTime),
            EscalationOf = record.EscalationOf is null ? string.Empty : "deliveries/" + record.EscalationOf,
            StatusReason = record.Status == Hub.Common.DeliveryStatus.SetAside
                || (record.Status == Hub.Common.DeliveryStatus.Acknowledged
                    && (record.StatusReason?.StartsWith(Hub.Delivery.DeliveryQueue.RetourRejectedPrefix + "WJ001_", StringComparison.Ordinal) == true
                        || record.StatusReason == Ketenhub.Adapters.AdapterException.NotInFormat))
                ? record.StatusReason ?? string.Empty
                : string.Empty,
        };
        if (client is not null)
        {
            delivery.ClientDetails = new ContractDeliveredClient
            {
                Pseudonym = client.Pseudonym,
                Bsn = client.Bsn ?? string.Empty,
                BirthDate = Wire.Date(client.BirthDate),
                MunicipalityCode = client.MunicipalityCode ?? string.Empty,
                LegalRepresentations = { client.Representations.Select(r => Wire.From<Contracts.V1.RepresentationKind>(r)) },
            };
        }

        switch (payload)
        {
            case ReferralRecord referral:
                delivery.Referral = ToContract(referral, record.Recipient);
                delivery.Coach = ToContract(coach);
                break;
            case TransitionRecord transition:
                delivery.Transition = ToContract(transition);
                delivery.Coach = ToContract(coach);
                break;
            case SignalRecord signal:
                delivery.Signal = ToContract(signal);
                delivery.Coach = ToContract(coach);
                break;
            case ThinNoticePayload thin:
                delivery.ThinNotice = new ThinNotice
                {
                    MessageType = Wire.From<MessageType>(thin.MessageType),
                    ContactParty = Wire.PartyName(thin.ContactParty),
                    LifeDomain = Wire.From<LifeDomain>(thin.Domain),
                    Severity = Wire.From<SignalSeverity>(thin.Severity),
                };
                break;
            case CoachTaskPayload task:
                delivery.Task = new CoachTask
                {
                    Kind = Wire.From<TaskKind>(task.Kind),
                    Coach = ToContract(task.Coach),
                    Resources = { task.Resources },
                    NewCoach = ToContract(task.NewCoach),
                    CorrectionTopic = task.Topic is { } topic ? Wire.From<CorrectionTopic>(topic) : CorrectionTopic.Unspecified,
                };
                break;
            case ReferralUpdatePayload update:
                delivery.ReferralUpdate = new ReferralUpdate
                {
                    Referral = "referrals/" + update.ReferralId,
                    Performer = Wire.PartyName(update.Performer),
                    Status = Wire.From<PerformerStatus>(update.Status),
                    ReasonCode = update.ReasonCode ?? string.Empty,
                    Service = Wire.From<ServiceKind>(update.Service),
                    Kind = Wire.From<ReferralKind>(update.Kind),
                    RequesterReference = update.RequesterReference ?? string.Empty,
                };
                delivery.Coach = ToContract(coach);
                break;
        }

        return delivery;
    }
}
