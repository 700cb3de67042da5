namespace Ketenhub.Hub.Common;

// The domain's own enumerations. Their names and numbers equal the contract's (ketenhub.v1) so the host
// can map them one to one; a test guards that they stay aligned.

public enum LifeDomain { Unspecified = 0, Care = 1, Housing = 2, Finances = 3, Safety = 4, Parenting = 5, Work = 6, Education = 7 }

public enum Purpose { Unspecified = 0, Coaching = 1, CareDelivery = 2, Transition = 3, SignalFollowUp = 4, IncomeAndParticipation = 5, Coordination = 6 }

public enum DataCategory { Unspecified = 0, ContactDetails = 1, SupportPlan = 2, Finances = 3, Housing = 4, Health = 5, Education = 6, Work = 7, Safety = 8, Family = 9 }

public enum ServiceKind { Unspecified = 0, WaakvlamSupport = 1, IndividualGuidance = 2, DayActivities = 3, ShelteredHousing = 4, HouseholdHelp = 5, DebtCounselling = 6, ParticipationWork = 7, YouthCare = 8 }

public enum MessageType { Unspecified = 0, Referral = 1, Transition = 2, Signal = 3, ReferralUpdate = 4 }

public enum PartyKind { Unspecified = 0, School = 1, SocialService = 2, Municipality = 3, CareProvider = 4, Wijkteam = 5 }

/// <summary>What a referral asks of its performers: care, or a toewijzing for its requester (iWmo/iJw verzoek om toewijzing, 315).</summary>
public enum ReferralKind { Unspecified = 0, Care = 1, AllocationRequest = 2 }

/// <summary>The unit of a referral's volume (iWmo/iJw <c>Eenheid</c>, WJ756).</summary>
public enum VolumeUnit { Unspecified = 0, Minute = 1, Hour = 2, DayAndNight = 3, DayPart = 4, PiecesOutput = 5, Euros = 6, PiecesEffort = 7 }

/// <summary>How often a referral's volume applies (iWmo/iJw <c>Frequentie</c>, WJ757).</summary>
public enum VolumeFrequency { Unspecified = 0, PerDay = 1, PerWeek = 2, PerMonth = 3, Total = 4 }

public enum DeliveryChannel { Unspecified = 0, Stream = 1, Fhir = 2, Iwmo = 3, Webhook = 4 }

public enum GrantorRole { Unspecified = 0, Client = 1, Parent = 2, Mentor = 3, Curator = 4, Guardian = 5, Administrator = 6 }

public enum ConsentState { Unspecified = 0, Active = 1, NotYetValid = 2, Expired = 3, Withdrawn = 4, AwaitingConfirmation = 5, RepresentationEnded = 6 }

public enum SignalKind { Unspecified = 0, PaymentArrears = 1, RentArrears = 2, EvictionRisk = 3, MissedContacts = 4, SchoolAbsence = 5, IncomeStopped = 6, HealthCrisis = 7, SafetyConcern = 8, SocialIsolation = 9 }

public enum SignalSeverity { Unspecified = 0, Info = 1, Concern = 2, Urgent = 3, Crisis = 4 }

public enum TransitionKind { Unspecified = 0, SchoolLeaver18 = 1, ScaleUp = 2, ScaleDown = 3, ProviderChange = 4, Relocation = 5, SupportEnded = 6 }

public enum ReferralUrgency { Unspecified = 0, Routine = 1, Urgent = 2, Crisis = 3 }

public enum PerformerStatus { Unspecified = 0, Requested = 1, Accepted = 2, Declined = 3, Started = 4, Ended = 5 }

public enum DeliveryStatus { Unspecified = 0, Pending = 1, Acknowledged = 2, AwaitingConsent = 3, Withheld = 4, SetAside = 5, Expired = 6, AwaitingRetour = 7 }

public enum TaskKind { Unspecified = 0, ConfirmConsents = 1, Handover = 2, CheckClientFacts = 3, CorrectionRequested = 4, RetourOverdue = 5 }

/// <summary>What a client's request for a correction is about.</summary>
public enum CorrectionTopic { Unspecified = 0, BirthDate = 1, Municipality = 2, Consent = 3, Shared = 4, Other = 5 }

public enum RecipientOutcome { Unspecified = 0, Content = 1, ThinNotice = 2, AwaitingConsent = 3, Blocked = 4 }

public enum JourneyEventType
{
    Unspecified = 0, ClientRegistered = 1, CoachAssigned = 2, ConsentGranted = 3, ConsentWithdrawn = 4, ConsentConfirmed = 5,
    CameOfAge = 6, ReferralRequested = 7, ReferralAccepted = 8, ReferralDeclined = 9, ReferralStarted = 10, ReferralEnded = 11,
    TransitionAnnounced = 12, SignalRaised = 13, SignalAcknowledged = 14, SignalEscalated = 15, RoleEnded = 16,
    ClientFactsCorrected = 17, MunicipalityChanged = 18, RepresentativeRecorded = 19, RepresentativeEnded = 20,
    AwaitingRetour = 21, RetourOverdue = 22,
}

/// <summary>What a delivery carries.</summary>
public enum PayloadKind { Referral = 1, Transition = 2, Signal = 3, ThinNotice = 4, Task = 5, ReferralUpdate = 6 }

/// <summary>The role a party has for a client.</summary>
public enum RoleKind { School = 1, Provider = 2, SocialService = 3, Coach = 4 }

/// <summary>
/// A legal representation of a client: who may decide for them, on what, over a period. The kinds are parental
/// authority (gezag) and the measures of iWmo code list WJ003: voogdij (06), bewindvoering (07), mentorschap (08) and
/// curatele (09). Zaakwaarneming (10) is informal and gives no one the right to consent, so the hub does not record it.
/// </summary>
public enum RepresentationKind
{
    Unspecified = 0,

    /// <summary>A parent with parental authority (ouderlijk gezag) over a minor; ends at 18.</summary>
    ParentalAuthority = 1,

    /// <summary>A guardian (voogd, WJ003 06) of a minor without a parent with authority; ends at 18.</summary>
    Guardianship = 2,

    /// <summary>A mentor (WJ003 08): decisions on care, treatment and support, not on money.</summary>
    Mentorship = 3,

    /// <summary>A curator (WJ003 09): decisions on money and on care.</summary>
    Curatorship = 4,

    /// <summary>An administrator (bewindvoerder, WJ003 07): decisions on money only.</summary>
    Administration = 5,
}
