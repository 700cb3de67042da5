using Google.Protobuf.WellKnownTypes;
using Ketenhub.Contracts.V1;

namespace Ketenhub.Adapters.Fhir.Tests;

/// <summary>Parties, a context and one delivery of every payload kind, as the hub would send them.</summary>
internal static class Samples
{
    public static readonly Uri Hub = new("https://ketenhub.example.nl/");

    public static readonly Party Sdd = new()
    {
        Name = "parties/sdd", Kind = PartyKind.SocialService, DisplayName = "Sociale Dienst Drechtsteden",
        Oin = "00000001823288444000", DeliveryChannel = DeliveryChannel.Stream,
    };

    public static readonly Party Waakvlam = new()
    {
        Name = "parties/waakvlam-drechtsteden", Kind = PartyKind.CareProvider, DisplayName = "Waakvlam Drechtsteden",
        Agb = "73730001", Kvk = "12345678", DeliveryChannel = DeliveryChannel.Fhir,
    };

    public static readonly Party Begeleiding = new()
    {
        Name = "parties/begeleiding-plus", Kind = PartyKind.CareProvider, DisplayName = "Begeleiding Plus",
        Agb = "73730002", DeliveryChannel = DeliveryChannel.Fhir,
    };

    public static readonly Party School = new()
    {
        Name = "parties/hans-petrischool", Kind = PartyKind.School, DisplayName = "Hans Petrischool", Brin = "18XP",
    };

    public static readonly Coach Coach = new()
    {
        Party = Waakvlam.Name, CoachId = "c-017", DisplayName = "Coach Achternaam", Phone = "+31612345678", Email = "coach@waakvlam.example.nl",
    };

    public static readonly Coach NewCoach = new()
    {
        Party = Begeleiding.Name, CoachId = "c-204", DisplayName = "Nieuwe Coach", Phone = "+31687654321",
    };

    public static AdapterContext Context(Party recipient, Party sender, Consent? consent = null) =>
        new(Hub, recipient, sender, new[] { Sdd, Waakvlam, Begeleiding, School }.ToDictionary(p => p.Name), consent);

    public static Timestamp Time(int minute) => Timestamp.FromDateTimeOffset(new DateTimeOffset(2026, 11, 23, 10, minute, 30, 250, TimeSpan.Zero));

    public static Google.Type.Date Date(int year, int month, int day) => new() { Year = year, Month = month, Day = day };

    public static Referral Referral(string id = "r-100") => new()
    {
        Name = "referrals/" + id,
        Client = "clients/k-42",
        Requester = Sdd.Name,
        Service = ServiceKind.IndividualGuidance,
        Reason = "Schulden lopen op; huur twee maanden achter.\nHeeft hulp nodig bij post.",
        LifeDomains = { LifeDomain.Finances, LifeDomain.Housing },
        Urgency = ReferralUrgency.Urgent,
        Strengths = "Komt afspraken na als ze via WhatsApp worden bevestigd.",
        Performers =
        {
            new ReferralPerformer { Party = Waakvlam.Name, Status = PerformerStatus.Requested, UpdateTime = Time(1) },
            new ReferralPerformer
            {
                Party = Begeleiding.Name, Status = PerformerStatus.Started, UpdateTime = Time(2), StartDate = Date(2026, 12, 1),
            },
        },
        Coach = Coach,
        CreateTime = Time(0),
    };

    /// <summary>A referral that also names the municipality's product code, a volume and the end date asked for.</summary>
    public static Referral ScopedReferral(string id)
    {
        var referral = Referral(id);
        referral.ProductCode = "07A08";
        referral.Volume = new SupportVolume { Quantity = 3, Unit = VolumeUnit.DayPart, Frequency = VolumeFrequency.PerWeek };
        referral.RequestedEndDate = Date(2027, 9, 30);
        return referral;
    }

    private static Delivery Base(string id, Party recipient, Party sender) => new()
    {
        Name = "deliveries/" + id,
        Sequence = 17,
        Recipient = recipient.Name,
        Client = "clients/k-42",
        Sender = sender.Name,
        Status = DeliveryStatus.Pending,
        AttemptCount = 1,
        CreateTime = Time(5),
        Coach = Coach,
        ClientDetails = new DeliveredClient
        {
            Pseudonym = "psn-" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(recipient.Name)))[..32],
            BirthDate = Date(2008, 4, 2),
            MunicipalityCode = "0505",
        },
    };

    public static Delivery ReferralDelivery()
    {
        var d = Base("d-1", Waakvlam, Sdd);
        d.ClientDetails.Bsn = "999990019";
        d.Referral = Referral();
        return d;
    }

    public static Delivery TransitionDelivery()
    {
        var d = Base("d-2", Sdd, School);
        d.Transition = new Transition
        {
            Name = "transitions/t-7",
            Client = "clients/k-42",
            Sender = School.Name,
            Kind = TransitionKind.SchoolLeaver18,
            FromParty = School.Name,
            ToParty = Sdd.Name,
            EffectiveDate = Date(2027, 3, 14),
            HandoverSummary = "Werkt graag met de handen; heeft structuur nodig.",
            CoachAfter = NewCoach,
            Referrals = { ScopedReferral("r-200") },
            Coach = NewCoach,
            CreateTime = Time(3),
        };
        return d;
    }

    public static Delivery SignalDelivery()
    {
        var d = Base("d-3", Waakvlam, Sdd);
        d.Signal = new Signal
        {
            Name = "signals/s-9",
            Client = "clients/k-42",
            Sender = Sdd.Name,
            Kind = SignalKind.RentArrears,
            LifeDomain = LifeDomain.Housing,
            Severity = SignalSeverity.Urgent,
            Description = "Huurachterstand van drie maanden gemeld door de verhuurder.",
            CreateTime = Time(4),
        };
        return d;
    }

    public static Delivery ThinNoticeDelivery()
    {
        var d = Base("d-4", Waakvlam, Sdd);
        d.Coach = null;
        d.ClientDetails.BirthDate = null;
        d.ClientDetails.MunicipalityCode = string.Empty;
        d.ThinNotice = new ThinNotice
        {
            MessageType = MessageType.Signal, ContactParty = Sdd.Name, LifeDomain = LifeDomain.Finances, Severity = SignalSeverity.Concern,
        };
        return d;
    }

    public static Delivery CoachTaskDelivery()
    {
        var d = Base("d-5", Waakvlam, Sdd);
        d.Task = new CoachTask
        {
            Kind = TaskKind.Handover,
            Coach = Coach,
            Resources = { "parties/begeleiding-plus", "consents/c-3" },
            NewCoach = NewCoach,
        };
        return d;
    }

    public static Delivery ReferralUpdateDelivery()
    {
        var d = Base("d-6", Sdd, Waakvlam);
        d.ReferralUpdate = new ReferralUpdate
        {
            Referral = "referrals/r-100", Performer = Waakvlam.Name, Status = PerformerStatus.Declined, ReasonCode = "03",
            Service = ServiceKind.IndividualGuidance,
        };
        return d;
    }

    public static Consent Consent(GrantorRole grantor = GrantorRole.Parent) => new()
    {
        Name = "consents/c-3",
        Client = "clients/k-42",
        GrantorRole = grantor,
        RecipientParty = Waakvlam.Name,
        Purposes = { Purpose.CareDelivery, Purpose.Coaching },
        DataCategories = { DataCategory.Finances, DataCategory.Housing, DataCategory.SupportPlan },
        StartTime = Time(0),
        EndTime = Timestamp.FromDateTimeOffset(new DateTimeOffset(2027, 11, 23, 0, 0, 0, TimeSpan.Zero)),
        State = ConsentState.Active,
        RecordedBy = Sdd.Name,
    };

    /// <summary>Every payload kind with its context: (label, delivery, context).</summary>
    public static IEnumerable<(string Kind, Delivery Delivery, AdapterContext Context)> All()
    {
        yield return ("referral", ReferralDelivery(), Context(Waakvlam, Sdd, Consent()));
        yield return ("transition", TransitionDelivery(), Context(Sdd, School, Consent(GrantorRole.Client)));
        yield return ("signal", SignalDelivery(), Context(Waakvlam, Sdd));
        yield return ("thin-notice", ThinNoticeDelivery(), Context(Waakvlam, Sdd));
        yield return ("coach-task", CoachTaskDelivery(), Context(Waakvlam, Sdd));
        yield return ("referral-update", ReferralUpdateDelivery(), Context(Sdd, Waakvlam));
    }

    public static TheoryData<string> Kinds() => new(All().Select(a => a.Kind));

    public static (string Kind, Delivery Delivery, AdapterContext Context) Get(string kind) => All().Single(a => a.Kind == kind);
}
