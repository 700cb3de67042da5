using Ketenhub.Hub.Clients;
using Ketenhub.Hub.Common;
using Ketenhub.Hub.Consent;
using Ketenhub.Hub.Journeys;
using Ketenhub.Hub.Parties;

namespace Ketenhub.Hub.Core.Tests;

/// <summary>
/// Fictitious parties, clients and consents. Every instant is fixed; nothing reads the wall clock. The BSN
/// is a well-known test number, the names are invented.
/// </summary>
internal static class TestData
{
    /// <summary>The repository's root folder (the one with Hub.sln) above the test's output.</summary>
    public static string RepositoryRoot()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Hub.sln")))
        {
            root = root.Parent;
        }

        return root?.FullName ?? throw new InvalidOperationException("The tests do not run inside the repository.");
    }

    /// <summary>A Tuesday morning in winter (CET, UTC+1): 2025-01-14 10:00 in Amsterdam.</summary>
    public static readonly DateTimeOffset Now = new(2025, 1, 14, 9, 0, 0, TimeSpan.Zero);

    public const string Zwijndrecht = "0642";
    public const string Dordrecht = "0505";

    public static readonly Party School = new("school-a", PartyKind.School, "Test College", DeliveryChannel.Stream, [], Brin: "12AB");
    public static readonly Party OtherSchool = new("school-b", PartyKind.School, "Test Lyceum", DeliveryChannel.Stream, [], Brin: "34CD");
    public static readonly Party SocialServiceZwijndrecht = new("sd-zwijndrecht", PartyKind.SocialService, "Sociale Dienst Test", DeliveryChannel.Stream, [Zwijndrecht], Oin: "00000001234567890000");
    public static readonly Party SocialServiceDordrecht = new("sd-dordrecht", PartyKind.SocialService, "Sociale Dienst Test Twee", DeliveryChannel.Stream, [Dordrecht], Oin: "00000001234567890001");
    public static readonly Party Wijkteam = new("wijkteam-noord", PartyKind.Wijkteam, "Wijkteam Test", DeliveryChannel.Stream, [Zwijndrecht], Oin: "00000001234567890002");
    public static readonly Party ProviderA = new("zorg-a", PartyKind.CareProvider, "Zorgaanbieder A", DeliveryChannel.Stream, [], Agb: "12345678");
    public static readonly Party ProviderB = new("zorg-b", PartyKind.CareProvider, "Zorgaanbieder B", DeliveryChannel.Stream, [], Agb: "23456789");
    public static readonly Party CoachProvider = new("coach-org", PartyKind.CareProvider, "Coachbureau Test", DeliveryChannel.Stream, [], Agb: "34567890");

    public static PartyDirectory AllParties() =>
        new([School, OtherSchool, SocialServiceZwijndrecht, SocialServiceDordrecht, Wijkteam, ProviderA, ProviderB, CoachProvider]);

    /// <summary>
    /// A fictitious client living in Zwijndrecht; by default 16 at <see cref="Now"/>. It has one recorded representation of
    /// every kind, with no end: parental authority and guardianship from birth, mentorship, curatorship and administration
    /// from the 18th birthday, each with the id <see cref="RepresentationOf"/> gives, so that a representative's consent
    /// from <see cref="NewConsent"/> rests on one.
    /// </summary>
    public static ClientRecord Client(DateOnly? birthDate = null, string municipality = Zwijndrecht)
    {
        var born = birthDate ?? new DateOnly(2008, 6, 1);
        return new ClientRecord("cli_test1", "hash-test", "111222333", born, municipality, Now.AddYears(-1))
        {
            Representations = [.. Enum.GetValues<RepresentationKind>().Where(k => k != RepresentationKind.Unspecified).Select(k =>
                new Representation(RepresentationOf(k), k, "sealed-name", RepresentationRules.ForMinors(k) ? born : born.AddYears(18), null, "wijkteam-noord", "party", Now.AddYears(-1)))],
        };
    }

    /// <summary>The id of the test client's representation of a kind.</summary>
    public static string RepresentationOf(RepresentationKind kind) => "rep_" + kind.ToString().ToLowerInvariant();

    public static ConsentRecord NewConsent(
        string id,
        GrantorRole grantor = GrantorRole.Client,
        string? party = null,
        PartyKind kind = PartyKind.Unspecified,
        Purpose[]? purposes = null,
        DataCategory[]? categories = null,
        DateTimeOffset? start = null,
        DateTimeOffset? end = null,
        DateTimeOffset? withdrawn = null,
        DateTimeOffset? confirmed = null) =>
        new(
            id,
            "cli_test1",
            grantor,
            party,
            kind,
            purposes ?? [Purpose.Coaching],
            categories ?? [DataCategory.SupportPlan],
            start ?? Now.AddDays(-30),
            end,
            withdrawn,
            confirmed,
            "wijkteam-noord",
            start ?? Now.AddDays(-30))
        {
            RepresentationId = RepresentationRules.KindFor(grantor) is { } representation ? RepresentationOf(representation) : null,
        };

    public static CoachAssignment CoachOf(string partyId = "coach-org") =>
        new("cch_1", "cli_test1", new CoachInfo(partyId, "coach-1", "Coach Test", "+31100000000", "coach@example.org"), Now.AddDays(-100), null);
}
