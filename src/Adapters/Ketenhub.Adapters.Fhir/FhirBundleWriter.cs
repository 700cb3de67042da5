using Hl7.Fhir.Model;
using Ketenhub.Contracts.V1;
using FhirCareTeam = Hl7.Fhir.Model.CareTeam;
using FhirConsent = Hl7.Fhir.Model.Consent;
using FhirTask = Hl7.Fhir.Model.Task;
using V1Consent = Ketenhub.Contracts.V1.Consent;

namespace Ketenhub.Adapters.Fhir;

/// <summary>
/// Writes one <see cref="Delivery"/> as a FHIR R4 transaction Bundle (see <c>docs/adapters.md</c> for the mapping).
/// </summary>
/// <remarks>
/// Every entry's <c>fullUrl</c> is a <c>urn:uuid</c> derived from the delivery's name and the entry's position, so the
/// same delivery always gives the same Bundle. Every resource is written at an id derived from its type and hub identifier
/// (<c>PUT Type/{id}</c>, see <see cref="ResourceIds"/>), so a redelivery, or another delivery naming the same resource,
/// updates the one resource and creates no duplicates, without conditional entries.
/// </remarks>
public static class FhirBundleWriter
{
    internal const string TaskCodeSystem = "http://hl7.org/fhir/CodeSystem/task-code";

    /// <summary>Writes the Bundle for a delivery.</summary>
    /// <param name="delivery">The delivery.</param>
    /// <param name="context">The parties and hub address.</param>
    /// <returns>The transaction Bundle.</returns>
    /// <exception cref="AdapterException">The delivery has no payload.</exception>
    public static Bundle Write(Delivery delivery, AdapterContext context) => new Builder(delivery, context).Build();

    private sealed class Builder(Delivery delivery, AdapterContext context)
    {
        private readonly Bundle bundle = new() { Type = Bundle.BundleType.Transaction };
        private readonly Dictionary<(string Type, string System, string Value), Slot> slots = [];
        private readonly Dictionary<string, ResourceReference?> organizations = new(StringComparer.Ordinal);
        private readonly Dictionary<(string Party, string CoachId), ResourceReference> coaches = [];
        private readonly HubSystems systems = HubSystems.For(context.HubBaseUrl);
        private readonly FullUrls fullUrls = new(delivery.Name);
        private ResourceReference? patient;

        public Bundle Build()
        {
            bundle.Identifier = new Identifier(Sys("deliveries"), Names.Id(delivery.Name));
            if (delivery.CreateTime is not null)
            {
                bundle.Timestamp = delivery.CreateTime.ToDateTimeOffset();
            }

            switch (delivery.PayloadCase)
            {
                case Delivery.PayloadOneofCase.Referral:
                    AddReferral(delivery.Referral);
                    break;
                case Delivery.PayloadOneofCase.Transition:
                    AddTransition(delivery.Transition);
                    break;
                case Delivery.PayloadOneofCase.Signal:
                    AddSignal(delivery.Signal);
                    break;
                case Delivery.PayloadOneofCase.ThinNotice:
                    AddThinNotice(delivery.ThinNotice);
                    break;
                case Delivery.PayloadOneofCase.Task:
                    AddCoachTask(delivery.Task);
                    break;
                case Delivery.PayloadOneofCase.ReferralUpdate:
                    AddReferralUpdate(delivery.ReferralUpdate);
                    break;
                default:
                    throw new AdapterException("UNSUPPORTED_PAYLOAD", "The delivery has no payload the FHIR adapter can express.");
            }

            if (delivery.Coach is not null && delivery.PayloadCase != Delivery.PayloadOneofCase.ThinNotice)
            {
                AddCareTeam(delivery.Coach);
            }

            if (context.Consent is not null)
            {
                AddConsent(context.Consent);
            }

            return bundle;
        }

        private string Sys(string collection) => systems[collection];

        /// <summary>The reference to a resource, keyed on its hub identifier, whether or not its entry is added yet.</summary>
        private Slot Reserve(string type, string system, string value)
        {
            if (!slots.TryGetValue((type, system, value), out var slot))
            {
                slot = new Slot(new ResourceReference(fullUrls.Next()));
                slots.Add((type, system, value), slot);
            }

            return slot;
        }

        /// <summary>
        /// Adds a resource once, keyed on its hub identifier, as an update at the id derived from that identifier
        /// (<c>PUT Type/{id}</c>, update as create): no conditional entry, so a server that limits transactions with
        /// conditional entries (Medplum: at most 8 entries) takes the Bundle whatever its size. Returns a reference to it.
        /// </summary>
        private ResourceReference Add(string type, string system, string value, Func<Identifier, Resource> make)
        {
            var slot = Reserve(type, system, value);
            if (!slot.Added)
            {
                slot.Added = true;
                var identifier = new Identifier(system, value);
                var resource = make(identifier);
                resource.Id = ResourceIds.Of(type, system, value);
                bundle.Entry.Add(new Bundle.EntryComponent
                {
                    FullUrl = slot.Reference.Reference,
                    Resource = resource,
                    Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.PUT, Url = type + "/" + resource.Id },
                });
            }

            return slot.Reference;
        }

        private ResourceReference Patient()
        {
            if (patient is not null)
            {
                return patient;
            }

            var view = ClientView.Of(delivery, context.HubBaseUrl);
            patient = Add("Patient", view.PseudonymSystem, view.Pseudonym, id =>
            {
                var p = new Patient { Identifier = [id] };
                if (view.ClientId is { } clientId)
                {
                    p.Identifier.Add(new Identifier(Sys("clients"), clientId));
                }

                if (view.Bsn is { Length: > 0 } bsn)
                {
                    p.Identifier.Add(new Identifier(FhirVocabulary.Bsn, bsn));
                }

                if (view.BirthDate is not null)
                {
                    p.BirthDate = FhirFormat.Date(view.BirthDate);
                }

                if (view.MunicipalityCode is { Length: > 0 } municipality)
                {
                    p.Address.Add(new Address
                    {
                        Use = Address.AddressUse.Home,
                        Extension = [new Extension(FhirVocabulary.MunicipalityExtension, new Code(municipality))],
                    });
                }

                return p;
            });
            return patient;
        }

        private ResourceReference? Organization(string partyName)
        {
            if (string.IsNullOrEmpty(partyName))
            {
                return null;
            }

            if (!organizations.TryGetValue(partyName, out var reference))
            {
                reference = AddOrganization(partyName);
                organizations.Add(partyName, reference);
            }

            return reference;
        }

        private ResourceReference AddOrganization(string partyName)
        {
            return Add("Organization", Sys("parties"), Names.Id(partyName), id =>
            {
                var org = new Organization { Identifier = [id] };
                if (context.FindParty(partyName) is { } party)
                {
                    if (party.DisplayName.Length > 0)
                    {
                        org.Name = party.DisplayName;
                    }

                    AddIdentifier(org, FhirVocabulary.Agb, party.Agb);
                    AddIdentifier(org, FhirVocabulary.Oin, party.Oin);
                    AddIdentifier(org, FhirVocabulary.Brin, party.Brin);
                    AddIdentifier(org, FhirVocabulary.Kvk, party.Kvk);
                    AddIdentifier(org, FhirVocabulary.Ura, context.Uras.TryGetValue(partyName, out var ura) ? ura : string.Empty);
                }

                return org;
            });
        }

        private static void AddIdentifier(Organization org, string system, string value)
        {
            if (value.Length > 0)
            {
                org.Identifier.Add(new Identifier(system, value));
            }
        }

        private ResourceReference? Coach(Coach? coach)
        {
            if (coach is null)
            {
                return null;
            }

            if (!coaches.TryGetValue((coach.Party, coach.CoachId), out var reference))
            {
                reference = AddCoach(coach);
                coaches.Add((coach.Party, coach.CoachId), reference);
            }

            return reference;
        }

        private ResourceReference AddCoach(Coach coach)
        {
            var key = Names.Id(coach.Party) + "/" + coach.CoachId;
            var practitioner = Add("Practitioner", Sys("coaches"), key, id =>
            {
                var p = new Practitioner { Identifier = [id] };
                if (coach.DisplayName.Length > 0)
                {
                    p.Name.Add(new HumanName { Text = coach.DisplayName });
                }

                return p;
            });
            var organization = Organization(coach.Party);
            return Add("PractitionerRole", Sys("coach-roles"), key, id =>
            {
                var role = new PractitionerRole
                {
                    Identifier = [id],
                    Active = true,
                    Practitioner = practitioner,
                    Organization = organization,
                    Code = [new CodeableConcept(FhirVocabulary.Roles, "coach")],
                };
                if (coach.Phone.Length > 0)
                {
                    role.Telecom.Add(new ContactPoint(ContactPoint.ContactPointSystem.Phone, ContactPoint.ContactPointUse.Work, coach.Phone));
                }

                if (coach.Email.Length > 0)
                {
                    role.Telecom.Add(new ContactPoint(ContactPoint.ContactPointSystem.Email, ContactPoint.ContactPointUse.Work, coach.Email));
                }

                return role;
            });
        }

        private void AddCareTeam(Coach coach)
        {
            var role = Coach(coach);
            var patientRef = Patient();
            var organization = Organization(coach.Party);
            Add("CareTeam", Sys("care-teams"), Names.Id(delivery.Client), id => new FhirCareTeam
            {
                Identifier = [id],
                Status = FhirCareTeam.CareTeamStatus.Active,
                Subject = patientRef,
                Participant =
                [
                    new FhirCareTeam.ParticipantComponent
                    {
                        Role = [new CodeableConcept(FhirVocabulary.Roles, "coach")],
                        Member = role,
                    },
                ],
                ManagingOrganization = organization is null ? [] : [organization],
            });
        }

        private ResourceReference AddReferral(Referral referral)
        {
            var referralId = Names.Id(referral.Name);
            var patientRef = Patient();
            var requester = Organization(referral.Requester);
            var performers = referral.Performers.Select(p => Organization(p.Party)!).ToList();
            var coach = Coach(referral.Coach);
            var serviceRequest = Add("ServiceRequest", Sys("referrals"), referralId, id =>
            {
                var sr = new ServiceRequest
                {
                    Identifier = [id],
                    Status = RequestStatus.Active,
                    Intent = RequestIntent.Order,
                    Code = Concept(EnumCodes<ServiceKind>.Coding(referral.Service)),
                    Subject = patientRef,
                    Requester = requester,
                    Performer = performers,
                    Priority = referral.Urgency switch
                    {
                        ReferralUrgency.Routine => RequestPriority.Routine,
                        ReferralUrgency.Urgent => RequestPriority.Urgent,
                        ReferralUrgency.Crisis => RequestPriority.Stat,
                        _ => null,
                    },
                };
                foreach (var domain in referral.LifeDomains)
                {
                    if (EnumCodes<LifeDomain>.Coding(domain) is { } coding)
                    {
                        sr.Category.Add(new CodeableConcept { Coding = [coding] });
                    }
                }

                // A request for a toewijzing says so in a category of its own; a care request (the default) writes none.
                if (referral.Kind == ReferralKind.AllocationRequest && EnumCodes<ReferralKind>.Coding(referral.Kind) is { } kind)
                {
                    sr.Category.Add(new CodeableConcept { Coding = [kind] });
                }

                // The requester's own reference: a placer identifier (HL7 v2-0203 PLAC) assigned by the requester.
                if (referral.RequesterReference.Length > 0)
                {
                    sr.Identifier.Add(new Identifier(Sys("requester-references"), referral.RequesterReference)
                    {
                        Type = new CodeableConcept(FhirVocabulary.IdentifierTypes, FhirVocabulary.Placer),
                        Assigner = requester,
                    });
                }

                // A toewijzing the hub issued is based on the request for it.
                if (referral.AllocationRequest.Length > 0)
                {
                    sr.BasedOn.Add(new ResourceReference { Identifier = new Identifier(Sys("referrals"), Names.Id(referral.AllocationRequest)) });
                }

                if (referral.ProductCode.Length > 0)
                {
                    sr.Code ??= new CodeableConcept();
                    sr.Code.Coding.Add(new Coding(FhirVocabulary.ProductCodes, referral.ProductCode));
                }

                if (referral.Volume is not null)
                {
                    sr.Quantity = FhirVolume.Write(referral.Volume);
                }

                if (referral.RequestedEndDate is { Year: > 0 } end)
                {
                    sr.Occurrence = new Period { End = FhirFormat.Date(end) };
                }

                if (referral.Reason.Length > 0)
                {
                    sr.ReasonCode.Add(new CodeableConcept { Text = referral.Reason });
                }

                if (referral.Strengths.Length > 0)
                {
                    sr.Note.Add(new Annotation { Text = referral.Strengths });
                }

                if (referral.CreateTime is not null)
                {
                    sr.AuthoredOn = FhirFormat.DateTime(referral.CreateTime);
                }

                if (coach is not null)
                {
                    sr.SupportingInfo.Add(coach);
                }

                return sr;
            });

            foreach (var performer in referral.Performers)
            {
                AddPerformerTask(referralId, serviceRequest, requester, performer);
            }

            return serviceRequest;
        }

        private void AddPerformerTask(string referralId, ResourceReference serviceRequest, ResourceReference? requester, ReferralPerformer performer)
        {
            var patientRef = Patient();
            var owner = Organization(performer.Party);
            Add("Task", Sys("referral-tasks"), referralId + "/" + Names.Id(performer.Party), id =>
            {
                var task = new FhirTask
                {
                    Identifier = [id],
                    Status = TaskStatusOf(performer.Status),
                    Intent = FhirTask.TaskIntent.Order,
                    Code = new CodeableConcept(TaskCodeSystem, "fulfill"),
                    BasedOn = [serviceRequest],
                    Focus = serviceRequest,
                    For = patientRef,
                    Requester = requester,
                    Owner = owner,
                    StatusReason = ReasonConcept(performer.Status, performer.ReasonCode),
                };
                if (performer.UpdateTime is not null)
                {
                    task.LastModified = FhirFormat.DateTime(performer.UpdateTime);
                }

                if (performer.StartDate is not null || performer.EndDate is not null)
                {
                    task.ExecutionPeriod = new Period
                    {
                        Start = performer.StartDate is null ? null : FhirFormat.Date(performer.StartDate),
                        End = performer.EndDate is null ? null : FhirFormat.Date(performer.EndDate),
                    };
                }

                return task;
            });
        }

        private void AddReferralUpdate(ReferralUpdate update)
        {
            var referralId = Names.Id(update.Referral);
            var serviceRequest = new ResourceReference("ServiceRequest?identifier=" + Sys("referrals") + "|" + referralId);
            var patientRef = Patient();
            var owner = Organization(update.Performer);
            Add("Task", Sys("referral-tasks"), referralId + "/" + Names.Id(update.Performer), id =>
            {
                var task = new FhirTask
                {
                    Identifier = [id],
                    Status = TaskStatusOf(update.Status),
                    Intent = FhirTask.TaskIntent.Order,
                    Code = new CodeableConcept(TaskCodeSystem, "fulfill"),
                    BasedOn = [serviceRequest],
                    Focus = serviceRequest,
                    For = patientRef,
                    Owner = owner,
                    StatusReason = ReasonConcept(update.Status, update.ReasonCode),
                };
                if (EnumCodes<ServiceKind>.Coding(update.Service) is { } service)
                {
                    task.Input.Add(Input("service", new CodeableConcept { Coding = [service] }));
                }

                return task;
            });
        }

        private void AddTransition(Transition transition)
        {
            var transitionId = Names.Id(transition.Name);
            var patientRef = Patient();
            var requester = Organization(transition.Sender);
            var from = Organization(transition.FromParty);
            var to = Organization(transition.ToParty);
            var coachAfter = Coach(transition.CoachAfter);
            var coach = Coach(transition.Coach);
            var referrals = transition.Referrals.Select(AddReferral).ToList();
            var careTeam = delivery.Coach is null
                ? null
                : Reserve("CareTeam", Sys("care-teams"), Names.Id(delivery.Client)).Reference;

            Add("Task", Sys("transitions"), transitionId, id =>
            {
                var task = new FhirTask
                {
                    Identifier = [id],
                    Status = FhirTask.TaskStatus.Requested,
                    Intent = FhirTask.TaskIntent.Order,
                    Code = Concept(EnumCodes<TransitionKind>.Coding(transition.Kind)),
                    For = patientRef,
                    Requester = requester,
                    Owner = to,
                };
                if (transition.EffectiveDate is not null)
                {
                    task.ExecutionPeriod = new Period { Start = FhirFormat.Date(transition.EffectiveDate) };
                }

                if (transition.CreateTime is not null)
                {
                    task.AuthoredOn = FhirFormat.DateTime(transition.CreateTime);
                }

                if (transition.HandoverSummary.Length > 0)
                {
                    task.Note.Add(new Annotation { Text = transition.HandoverSummary });
                }

                if (from is not null)
                {
                    task.Input.Add(Input("from-party", from));
                }

                if (coachAfter is not null)
                {
                    task.Input.Add(Input("coach-after", coachAfter));
                }

                foreach (var referral in referrals)
                {
                    task.Input.Add(Input("referral", referral));
                }

                return task;
            });

            Add("EpisodeOfCare", Sys("transition-episodes"), transitionId, id =>
            {
                var episode = new EpisodeOfCare
                {
                    Identifier = [id],
                    Status = EpisodeOfCare.EpisodeOfCareStatus.Planned,
                    Type = [Concept(EnumCodes<TransitionKind>.Coding(transition.Kind))!],
                    Patient = patientRef,
                    ManagingOrganization = to,
                    CareManager = coach,
                };
                if (transition.EffectiveDate is not null)
                {
                    episode.Period = new Period { Start = FhirFormat.Date(transition.EffectiveDate) };
                }

                if (careTeam is not null)
                {
                    episode.Team.Add(careTeam);
                }

                return episode;
            });
        }

        private void AddSignal(Signal signal)
        {
            var signalId = Names.Id(signal.Name);
            var patientRef = Patient();
            var author = Organization(signal.Sender);
            var flag = Add("Flag", Sys("signals"), signalId, id =>
            {
                var f = new Flag
                {
                    Identifier = [id],
                    Status = Flag.FlagStatus.Active,
                    Code = Concept(EnumCodes<SignalKind>.Coding(signal.Kind)) ?? new CodeableConcept(),
                    Subject = patientRef,
                    Author = author,
                };
                AddConcept(f.Category, EnumCodes<LifeDomain>.Coding(signal.LifeDomain));
                AddConcept(f.Category, EnumCodes<SignalSeverity>.Coding(signal.Severity));
                if (signal.CreateTime is not null)
                {
                    f.Period = new Period { Start = FhirFormat.DateTime(signal.CreateTime) };
                }

                return f;
            });
            var recipient = Organization(delivery.Recipient);
            Add("Communication", Sys("signal-communications"), signalId, id =>
            {
                var c = new Communication
                {
                    Identifier = [id],
                    Status = EventStatus.Completed,
                    Priority = PriorityOf(signal.Severity),
                    Subject = patientRef,
                    About = [flag],
                    Sender = author,
                    Recipient = recipient is null ? [] : [recipient],
                };
                c.Category.Add(new CodeableConcept(FhirVocabulary.CommunicationKinds, "signal"));
                if (signal.CreateTime is not null)
                {
                    c.Sent = FhirFormat.DateTime(signal.CreateTime);
                }

                if (signal.Description.Length > 0)
                {
                    c.Payload.Add(new Communication.PayloadComponent { Content = new FhirString(signal.Description) });
                }

                return c;
            });
        }

        private void AddThinNotice(ThinNotice notice)
        {
            var patientRef = Patient();
            var contact = Organization(notice.ContactParty);
            var recipient = Organization(delivery.Recipient);
            Add("Communication", Sys("thin-notices"), Names.Id(delivery.Name), id =>
            {
                var c = new Communication
                {
                    Identifier = [id],
                    Status = EventStatus.Completed,
                    Priority = PriorityOf(notice.Severity),
                    Subject = patientRef,
                    Sender = contact,
                    Recipient = recipient is null ? [] : [recipient],
                };
                c.Category.Add(new CodeableConcept(FhirVocabulary.CommunicationKinds, "thin-notice"));
                AddConcept(c.Category, EnumCodes<MessageType>.Coding(notice.MessageType));
                AddConcept(c.Category, EnumCodes<SignalSeverity>.Coding(notice.Severity));
                AddConcept(c.ReasonCode, EnumCodes<LifeDomain>.Coding(notice.LifeDomain));
                if (delivery.CreateTime is not null)
                {
                    c.Sent = FhirFormat.DateTime(delivery.CreateTime);
                }

                return c;
            });
        }

        private void AddCoachTask(CoachTask coachTask)
        {
            var patientRef = Patient();
            var owner = Coach(coachTask.Coach);
            var newCoach = Coach(coachTask.NewCoach);
            var requester = Organization(delivery.Sender);
            Add("Task", Sys("coach-tasks"), Names.Id(delivery.Name), id =>
            {
                var task = new FhirTask
                {
                    Identifier = [id],
                    Status = FhirTask.TaskStatus.Requested,
                    Intent = FhirTask.TaskIntent.Order,
                    Code = Concept(EnumCodes<TaskKind>.Coding(coachTask.Kind)),
                    For = patientRef,
                    Owner = owner,
                    Requester = requester,
                };
                if (delivery.CreateTime is not null)
                {
                    task.AuthoredOn = FhirFormat.DateTime(delivery.CreateTime);
                }

                foreach (var resource in coachTask.Resources)
                {
                    task.Input.Add(Input("resource", new FhirString(resource)));
                }

                if (newCoach is not null)
                {
                    task.Input.Add(Input("new-coach", newCoach));
                }

                return task;
            });
        }

        private void AddConsent(V1Consent consent)
        {
            var patientRef = Patient();
            ResourceReference performer = patientRef;
            if (consent.GrantorRole != GrantorRole.Client)
            {
                performer = Add("RelatedPerson", Sys("consent-grantors"), Names.Id(consent.Name), id => new RelatedPerson
                {
                    Identifier = [id],
                    Patient = patientRef,
                    Relationship = Concept(EnumCodes<GrantorRole>.Coding(consent.GrantorRole)) is { } role ? [role] : [],
                });
            }

            var custodian = Organization(consent.RecordedBy);
            var recipient = consent.RecipientParty.Length > 0
                ? Organization(consent.RecipientParty)!
                : new ResourceReference { Identifier = new Identifier(EnumCodes<PartyKind>.System, EnumCodes<PartyKind>.Code(consent.RecipientKind)) };
            Add("Consent", Sys("consents"), Names.Id(consent.Name), id =>
            {
                var provision = new FhirConsent.provisionComponent
                {
                    Type = FhirConsent.ConsentProvisionType.Permit,
                    Period = new Period
                    {
                        Start = consent.StartTime is null ? null : FhirFormat.DateTime(consent.StartTime),
                        End = consent.EndTime is null ? null : FhirFormat.DateTime(consent.EndTime),
                    },
                    Actor =
                    [
                        new FhirConsent.provisionActorComponent
                        {
                            Role = new CodeableConcept("http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "IRCP"),
                            Reference = recipient,
                        },
                    ],
                };
                foreach (var purpose in consent.Purposes)
                {
                    if (EnumCodes<Purpose>.Coding(purpose) is { } coding)
                    {
                        provision.Purpose.Add(coding);
                    }
                }

                foreach (var category in consent.DataCategories)
                {
                    if (EnumCodes<DataCategory>.Coding(category) is { } coding)
                    {
                        provision.Class.Add(coding);
                    }
                }

                return new FhirConsent
                {
                    Identifier = [id],
                    Status = ConsentStatusOf(consent.State),
                    Scope = new CodeableConcept("http://terminology.hl7.org/CodeSystem/consentscope", "patient-privacy"),
                    Category = [new CodeableConcept("http://loinc.org", "59284-0")],
                    Patient = patientRef,
                    Performer = [performer],
                    Organization = custodian is null ? [] : [custodian],
                    PolicyRule = new CodeableConcept("http://terminology.hl7.org/CodeSystem/v3-ActCode", "OPTIN"),
                    Provision = provision,
                };
            });
        }

        private static FhirTask.ParameterComponent Input(string name, DataType value) =>
            new() { Type = new CodeableConcept(FhirVocabulary.TaskInputs, name), Value = value };

        private static CodeableConcept? Concept(Coding? coding) => coding is null ? null : new CodeableConcept { Coding = [coding] };

        private static void AddConcept(List<CodeableConcept> concepts, Coding? coding)
        {
            if (coding is not null)
            {
                concepts.Add(new CodeableConcept { Coding = [coding] });
            }
        }

        private static CodeableConcept? ReasonConcept(PerformerStatus status, string reasonCode) =>
            reasonCode.Length == 0
                ? null
                : new CodeableConcept(status == PerformerStatus.Ended ? FhirVocabulary.EndReasons : FhirVocabulary.DeclineReasons, reasonCode);
    }

    private sealed class Slot(ResourceReference reference)
    {
        public ResourceReference Reference { get; } = reference;

        public bool Added { get; set; }
    }

    internal static FhirTask.TaskStatus? TaskStatusOf(PerformerStatus status) => status switch
    {
        PerformerStatus.Requested => FhirTask.TaskStatus.Requested,
        PerformerStatus.Accepted => FhirTask.TaskStatus.Accepted,
        PerformerStatus.Declined => FhirTask.TaskStatus.Rejected,
        PerformerStatus.Started => FhirTask.TaskStatus.InProgress,
        PerformerStatus.Ended => FhirTask.TaskStatus.Completed,
        _ => FhirTask.TaskStatus.Draft,
    };

    internal static RequestPriority? PriorityOf(SignalSeverity severity) => severity switch
    {
        SignalSeverity.Info or SignalSeverity.Concern => RequestPriority.Routine,
        SignalSeverity.Urgent => RequestPriority.Urgent,
        SignalSeverity.Crisis => RequestPriority.Stat,
        _ => null,
    };

    internal static FhirConsent.ConsentState ConsentStatusOf(ConsentState state) => state switch
    {
        ConsentState.Active => FhirConsent.ConsentState.Active,
        ConsentState.NotYetValid => FhirConsent.ConsentState.Draft,
        ConsentState.AwaitingConfirmation => FhirConsent.ConsentState.Proposed,
        ConsentState.Expired => FhirConsent.ConsentState.Inactive,
        ConsentState.Withdrawn => FhirConsent.ConsentState.Rejected,
        _ => FhirConsent.ConsentState.Active,
    };
}
