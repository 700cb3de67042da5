using Hl7.Fhir.Model;
using Ketenhub.Contracts.V1;
using FhirCareTeam = Hl7.Fhir.Model.CareTeam;
using FhirConsent = Hl7.Fhir.Model.Consent;
using FhirTask = Hl7.Fhir.Model.Task;
using V1Consent = Ketenhub.Contracts.V1.Consent;

namespace Ketenhub.Adapters.Fhir;

/// <summary>
/// Reads a Bundle written by <see cref="FhirBundleWriter"/> back into the contract's messages: the inverse of the
/// outbound mapping, for partners that want the hub's own messages and for the adapter's round-trip tests.
/// </summary>
/// <remarks>
/// A Bundle carries the delivery's name, client, creation time, coach and payload, and the consent that allowed the
/// content. The hub's transport fields of a <see cref="Delivery"/> (sequence, recipient, sender, status, decision,
/// attempt count, escalation) are not part of the FHIR form and stay empty.
/// </remarks>
/// <param name="hubBaseUrl">The hub's base address the Bundle's identifier systems were built from.</param>
public sealed class FhirDeliveryReader(Uri hubBaseUrl)
{
    private string Sys(string collection) => FhirVocabulary.HubIdSystem(hubBaseUrl, collection);

    /// <summary>Reads the delivery a Bundle carries.</summary>
    /// <param name="bundle">A Bundle from <see cref="FhirBundleWriter"/>.</param>
    /// <returns>The delivery.</returns>
    /// <exception cref="AdapterException">The Bundle holds no payload the hub writes.</exception>
    public Delivery Read(Bundle bundle)
    {
        var index = new BundleIndex(bundle);
        var delivery = new Delivery();
        if (bundle.Identifier?.System == Sys("deliveries"))
        {
            delivery.Name = "deliveries/" + bundle.Identifier.Value;
        }

        if (bundle.Timestamp is { } timestamp)
        {
            delivery.CreateTime = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(timestamp);
        }

        if (index.All<Patient>().FirstOrDefault() is { } patient)
        {
            if (BundleIndex.IdentifierOf(patient, Sys("clients")) is { } client)
            {
                delivery.Client = "clients/" + client;
            }

            if (BundleIndex.IdentifierOf(patient, Sys(ClientView.PseudonymCollection)) is { } pseudonym)
            {
                delivery.ClientDetails = new DeliveredClient
                {
                    Pseudonym = pseudonym,
                    Bsn = BundleIndex.IdentifierOf(patient, FhirVocabulary.Bsn) ?? string.Empty,
                    BirthDate = FhirFormat.ParseDate(patient.BirthDate),
                    MunicipalityCode = patient.Address
                        .SelectMany(a => a.Extension)
                        .FirstOrDefault(e => e.Url == FhirVocabulary.MunicipalityExtension)?.Value is Code code ? code.Value ?? string.Empty : string.Empty,
                };
            }
        }

        if (index.All<FhirCareTeam>().FirstOrDefault(t => BundleIndex.IdentifierOf(t, Sys("care-teams")) is not null) is { } careTeam)
        {
            delivery.Coach = ReadCoach(index, careTeam.Participant.FirstOrDefault()?.Member);
        }

        var tasks = index.All<FhirTask>().ToList();
        if (tasks.FirstOrDefault(t => BundleIndex.IdentifierOf(t, Sys("transitions")) is not null) is { } transitionTask)
        {
            delivery.Transition = ReadTransition(index, transitionTask);
        }
        else if (index.All<ServiceRequest>().FirstOrDefault() is { } serviceRequest)
        {
            delivery.Referral = ReadReferral(index, serviceRequest);
        }
        else if (index.All<Flag>().FirstOrDefault() is { } flag)
        {
            delivery.Signal = ReadSignal(index, flag);
        }
        else if (index.All<Communication>().FirstOrDefault(c => BundleIndex.IdentifierOf(c, Sys("thin-notices")) is not null) is { } notice)
        {
            delivery.ThinNotice = ReadThinNotice(index, notice);
        }
        else if (tasks.FirstOrDefault(t => BundleIndex.IdentifierOf(t, Sys("coach-tasks")) is not null) is { } coachTask)
        {
            delivery.Task = ReadCoachTask(index, coachTask);
        }
        else if (tasks.FirstOrDefault(t => BundleIndex.IdentifierOf(t, Sys("referral-tasks")) is not null) is { } updateTask)
        {
            delivery.ReferralUpdate = ReadReferralUpdate(index, updateTask);
        }
        else
        {
            throw new AdapterException("UNSUPPORTED_PAYLOAD", "The Bundle holds no resource the hub writes.");
        }

        return delivery;
    }

    /// <summary>Reads the consent a Bundle carries, if any.</summary>
    /// <param name="bundle">A Bundle from <see cref="FhirBundleWriter"/>.</param>
    /// <returns>The consent, or <see langword="null"/>.</returns>
    public V1Consent? ReadConsent(Bundle bundle)
    {
        var index = new BundleIndex(bundle);
        var fhir = index.All<FhirConsent>().FirstOrDefault();
        if (fhir is null)
        {
            return null;
        }

        var consent = new V1Consent
        {
            Name = "consents/" + BundleIndex.IdentifierOf(fhir, Sys("consents")),
            Client = ClientOf(index, fhir.Patient),
            RecordedBy = PartyOf(index, fhir.Organization.FirstOrDefault()),
            State = fhir.Status switch
            {
                FhirConsent.ConsentState.Active => ConsentState.Active,
                FhirConsent.ConsentState.Draft => ConsentState.NotYetValid,
                FhirConsent.ConsentState.Proposed => ConsentState.AwaitingConfirmation,
                FhirConsent.ConsentState.Inactive => ConsentState.Expired,
                FhirConsent.ConsentState.Rejected => ConsentState.Withdrawn,
                _ => ConsentState.Unspecified,
            },
        };
        var performer = fhir.Performer.FirstOrDefault();
        if (index.Resolve<RelatedPerson>(performer) is { } related
            && EnumCodes<GrantorRole>.TryParse(EnumCodes<GrantorRole>.Find(related.Relationship.FirstOrDefault())?.Code, out var role))
        {
            consent.GrantorRole = role;
        }
        else if (index.Resolve<Patient>(performer) is not null)
        {
            consent.GrantorRole = GrantorRole.Client;
        }

        if (fhir.Provision is { } provision)
        {
            consent.StartTime = FhirFormat.ParseDateTime(provision.Period?.Start);
            consent.EndTime = FhirFormat.ParseDateTime(provision.Period?.End);
            var actor = provision.Actor.FirstOrDefault()?.Reference;
            if (actor?.Identifier is { } kind && kind.System == EnumCodes<PartyKind>.System
                && EnumCodes<PartyKind>.TryParse(kind.Value, out var partyKind))
            {
                consent.RecipientKind = partyKind;
            }
            else
            {
                consent.RecipientParty = PartyOf(index, actor);
            }

            foreach (var purpose in provision.Purpose)
            {
                if (purpose.System == EnumCodes<Purpose>.System && EnumCodes<Purpose>.TryParse(purpose.Code, out var p))
                {
                    consent.Purposes.Add(p);
                }
            }

            foreach (var category in provision.Class)
            {
                if (category.System == EnumCodes<DataCategory>.System && EnumCodes<DataCategory>.TryParse(category.Code, out var c))
                {
                    consent.DataCategories.Add(c);
                }
            }
        }

        return consent;
    }

    internal Referral ReadReferral(BundleIndex index, ServiceRequest sr)
    {
        var referralId = BundleIndex.IdentifierOf(sr, Sys("referrals"));
        var referral = new Referral
        {
            Name = referralId is null ? string.Empty : "referrals/" + referralId,
            Client = ClientOf(index, sr.Subject),
            Requester = PartyOf(index, sr.Requester),
            Service = Parse<ServiceKind>(sr.Code),
            Reason = sr.ReasonCode.FirstOrDefault(r => r.Coding.Count == 0)?.Text ?? string.Empty,
            Urgency = sr.Priority switch
            {
                RequestPriority.Routine => ReferralUrgency.Routine,
                RequestPriority.Urgent => ReferralUrgency.Urgent,
                RequestPriority.Asap or RequestPriority.Stat => ReferralUrgency.Crisis,
                _ => ReferralUrgency.Unspecified,
            },
            Strengths = sr.Note.FirstOrDefault()?.Text ?? string.Empty,
            Coach = ReadCoach(index, sr.SupportingInfo.FirstOrDefault(r => index.Resolve<PractitionerRole>(r) is not null)),
            CreateTime = FhirFormat.ParseDateTime(sr.AuthoredOn),
            ProductCode = sr.Code?.Coding.FirstOrDefault(c => c.System == FhirVocabulary.ProductCodes)?.Code ?? string.Empty,
            Volume = FhirVolume.Read(sr.Quantity),
            RequestedEndDate = FhirFormat.ParseDate((sr.Occurrence as Period)?.End),
            Kind = sr.Category.Any(c => EnumCodes<ReferralKind>.TryParse(EnumCodes<ReferralKind>.Find(c)?.Code, out var k) && k == ReferralKind.AllocationRequest) ? ReferralKind.AllocationRequest : ReferralKind.Unspecified,
            RequesterReference = FhirInboundTranslator.PlacerReference(sr) ?? string.Empty,
            AllocationRequest = sr.BasedOn.Select(b => b.Identifier).FirstOrDefault(i => i?.System == Sys("referrals"))?.Value is { } request ? "referrals/" + request : string.Empty,
        };
        foreach (var category in sr.Category)
        {
            if (EnumCodes<LifeDomain>.TryParse(EnumCodes<LifeDomain>.Find(category)?.Code, out var domain))
            {
                referral.LifeDomains.Add(domain);
            }
        }

        var tasks = index.All<FhirTask>().Where(t => ReferencesServiceRequest(index, t, sr)).ToList();
        foreach (var performerRef in sr.Performer)
        {
            var party = PartyOf(index, performerRef);
            var performer = new ReferralPerformer { Party = party };
            var task = tasks.FirstOrDefault(t => PartyOf(index, t.Owner) == party);
            if (task is not null)
            {
                ReadPerformerTask(task, performer);
            }

            referral.Performers.Add(performer);
        }

        return referral;
    }

    private static bool ReferencesServiceRequest(BundleIndex index, FhirTask task, ServiceRequest sr) =>
        ReferenceEquals(index.Resolve<ServiceRequest>(task.Focus), sr)
        || task.BasedOn.Any(b => ReferenceEquals(index.Resolve<ServiceRequest>(b), sr));

    internal static void ReadPerformerTask(FhirTask task, ReferralPerformer performer)
    {
        performer.Status = PerformerStatusOf(task.Status);
        performer.ReasonCode = task.StatusReason?.Coding.FirstOrDefault()?.Code ?? string.Empty;
        performer.UpdateTime = FhirFormat.ParseDateTime(task.LastModified);
        performer.StartDate = FhirFormat.ParseDate(task.ExecutionPeriod?.Start);
        performer.EndDate = FhirFormat.ParseDate(task.ExecutionPeriod?.End);
    }

    internal static PerformerStatus PerformerStatusOf(FhirTask.TaskStatus? status) => status switch
    {
        FhirTask.TaskStatus.Requested => PerformerStatus.Requested,
        FhirTask.TaskStatus.Accepted => PerformerStatus.Accepted,
        FhirTask.TaskStatus.Rejected => PerformerStatus.Declined,
        FhirTask.TaskStatus.InProgress => PerformerStatus.Started,
        FhirTask.TaskStatus.Completed => PerformerStatus.Ended,
        _ => PerformerStatus.Unspecified,
    };

    private Transition ReadTransition(BundleIndex index, FhirTask task)
    {
        var transitionId = BundleIndex.IdentifierOf(task, Sys("transitions"));
        var transition = new Transition
        {
            Name = "transitions/" + transitionId,
            Client = ClientOf(index, task.For),
            Sender = PartyOf(index, task.Requester),
            Kind = Parse<TransitionKind>(task.Code),
            ToParty = PartyOf(index, task.Owner),
            EffectiveDate = FhirFormat.ParseDate(task.ExecutionPeriod?.Start),
            HandoverSummary = task.Note.FirstOrDefault()?.Text ?? string.Empty,
            CreateTime = FhirFormat.ParseDateTime(task.AuthoredOn),
        };
        foreach (var input in task.Input)
        {
            var name = input.Type?.Coding.FirstOrDefault(c => c.System == FhirVocabulary.TaskInputs)?.Code;
            var reference = input.Value as ResourceReference;
            switch (name)
            {
                case "from-party":
                    transition.FromParty = PartyOf(index, reference);
                    break;
                case "coach-after":
                    transition.CoachAfter = ReadCoach(index, reference);
                    break;
                case "referral" when index.Resolve<ServiceRequest>(reference) is { } sr:
                    transition.Referrals.Add(ReadReferral(index, sr));
                    break;
            }
        }

        var episode = index.All<EpisodeOfCare>().FirstOrDefault(e => BundleIndex.IdentifierOf(e, Sys("transition-episodes")) == transitionId);
        transition.Coach = ReadCoach(index, episode?.CareManager);
        return transition;
    }

    private Signal ReadSignal(BundleIndex index, Flag flag)
    {
        var signalId = BundleIndex.IdentifierOf(flag, Sys("signals"));
        var communication = index.All<Communication>().FirstOrDefault(c => BundleIndex.IdentifierOf(c, Sys("signal-communications")) == signalId);
        var signal = new Signal
        {
            Name = "signals/" + signalId,
            Client = ClientOf(index, flag.Subject),
            Sender = PartyOf(index, flag.Author),
            Kind = Parse<SignalKind>(flag.Code),
            LifeDomain = ParseAny<LifeDomain>(flag.Category),
            Severity = ParseAny<SignalSeverity>(flag.Category),
            Description = (communication?.Payload.FirstOrDefault()?.Content as FhirString)?.Value ?? string.Empty,
            CreateTime = FhirFormat.ParseDateTime(flag.Period?.Start),
        };
        return signal;
    }

    private ThinNotice ReadThinNotice(BundleIndex index, Communication communication) =>
        new()
        {
            MessageType = ParseAny<MessageType>(communication.Category),
            ContactParty = PartyOf(index, communication.Sender),
            LifeDomain = ParseAny<LifeDomain>(communication.ReasonCode),
            Severity = ParseAny<SignalSeverity>(communication.Category),
        };

    private CoachTask ReadCoachTask(BundleIndex index, FhirTask task)
    {
        var coachTask = new CoachTask
        {
            Kind = Parse<TaskKind>(task.Code),
            Coach = ReadCoach(index, task.Owner),
        };
        foreach (var input in task.Input)
        {
            switch (input.Type?.Coding.FirstOrDefault(c => c.System == FhirVocabulary.TaskInputs)?.Code)
            {
                case "resource" when input.Value is FhirString resource:
                    coachTask.Resources.Add(resource.Value);
                    break;
                case "new-coach":
                    coachTask.NewCoach = ReadCoach(index, input.Value as ResourceReference);
                    break;
            }
        }

        return coachTask;
    }

    private ReferralUpdate ReadReferralUpdate(BundleIndex index, FhirTask task)
    {
        var update = new ReferralUpdate
        {
            Referral = index.IdentifierOf(task.Focus, Sys("referrals")) is { } referral ? "referrals/" + referral : string.Empty,
            Performer = PartyOf(index, task.Owner),
            Status = PerformerStatusOf(task.Status),
            ReasonCode = task.StatusReason?.Coding.FirstOrDefault()?.Code ?? string.Empty,
        };
        var service = task.Input.FirstOrDefault(i => i.Type?.Coding.Any(c => c.System == FhirVocabulary.TaskInputs && c.Code == "service") == true);
        update.Service = Parse<ServiceKind>(service?.Value as CodeableConcept);
        return update;
    }

    internal Coach? ReadCoach(BundleIndex index, ResourceReference? reference)
    {
        if (index.Resolve<PractitionerRole>(reference) is not { } role)
        {
            return null;
        }

        var key = BundleIndex.IdentifierOf(role, Sys("coach-roles")) ?? string.Empty;
        var slash = key.IndexOf('/', StringComparison.Ordinal);
        var coach = new Coach
        {
            Party = PartyOf(index, role.Organization),
            CoachId = slash < 0 ? key : key[(slash + 1)..],
            DisplayName = index.Resolve<Practitioner>(role.Practitioner)?.Name.FirstOrDefault()?.Text ?? string.Empty,
        };
        foreach (var telecom in role.Telecom)
        {
            if (telecom.System == ContactPoint.ContactPointSystem.Phone)
            {
                coach.Phone = telecom.Value ?? string.Empty;
            }
            else if (telecom.System == ContactPoint.ContactPointSystem.Email)
            {
                coach.Email = telecom.Value ?? string.Empty;
            }
        }

        return coach;
    }

    internal string PartyOf(BundleIndex index, ResourceReference? reference) =>
        index.IdentifierOf(reference, Sys("parties")) is { } id ? "parties/" + id : string.Empty;

    internal string ClientOf(BundleIndex index, ResourceReference? reference) =>
        index.IdentifierOf(reference, Sys("clients")) is { } id ? "clients/" + id : string.Empty;

    private static T Parse<T>(CodeableConcept? concept)
        where T : struct, Enum => EnumCodes<T>.TryParse(EnumCodes<T>.Find(concept)?.Code, out var value) ? value : default;

    private static T ParseAny<T>(IEnumerable<CodeableConcept> concepts)
        where T : struct, Enum
    {
        foreach (var concept in concepts)
        {
            if (EnumCodes<T>.TryParse(EnumCodes<T>.Find(concept)?.Code, out var value))
            {
                return value;
            }
        }

        return default;
    }
}
