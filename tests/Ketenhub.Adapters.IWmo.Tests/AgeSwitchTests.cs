using Ketenhub.Adapters.IWmo.Outbound;
using Ketenhub.Adapters.IWmo.Schemas;
using Ketenhub.Contracts.V1;
using static Ketenhub.Adapters.IWmo.Tests.Fixtures;

namespace Ketenhub.Adapters.IWmo.Tests;

public sealed class AgeSwitchTests
{
    private static readonly DateOnly Birth = new(2008, 11, 24);

    [Fact]
    public void The_day_before_the_18th_birthday_a_youth_provider_gets_a_valid_jw301()
    {
        var message = Produce(new OutboundRequest(ReferralDelivery(YouthProvider, Wijkteam), BornOn(Birth), YouthProvider, Wijkteam, Now));

        Assert.Equal(IStandaard.IJw, message.Standaard);
        Assert.Equal("http://www.istandaarden.nl/ijw/3_2/jw301/schema", message.Document.Root!.Name.NamespaceName);
        Assert.Equal("436", message.Document.Descendants().Single(e => e.Name.LocalName == "BerichtCode").Value);
        Assert.Equal("45", BerichtContent.Read(message.Document).Products[0].Categorie);
        Assert.Empty(SchemaCatalog.Validate(message.Document, IStandaard.IJw));
    }

    [Fact]
    public void On_the_18th_birthday_the_same_clients_referral_goes_as_wmo301()
    {
        var birthday = new DateTimeOffset(2026, 11, 24, 0, 30, 0, TimeSpan.FromHours(1));
        var message = Produce(new OutboundRequest(ReferralDelivery(YouthProvider, Wijkteam), BornOn(Birth), YouthProvider, Wijkteam, birthday));

        Assert.Equal(IStandaard.IWmo, message.Standaard);
        Assert.Equal("414", message.Document.Descendants().Single(e => e.Name.LocalName == "BerichtCode").Value);
        Assert.Equal("02", BerichtContent.Read(message.Document).Products[0].Categorie);
        Assert.Empty(SchemaCatalog.Validate(message.Document, IStandaard.IWmo));
    }

    [Fact]
    public void The_dutch_date_decides_not_the_utc_date()
    {
        // 23:30 UTC on the 23rd is already the 24th in the Netherlands: the client is 18 there.
        var lateEvening = new DateTimeOffset(2026, 11, 23, 23, 30, 0, TimeSpan.Zero);
        var message = Produce(new OutboundRequest(ReferralDelivery(YouthProvider, Wijkteam), BornOn(Birth), YouthProvider, Wijkteam, lateEvening));
        Assert.Equal(IStandaard.IWmo, message.Standaard);
    }

    [Fact]
    public void A_youth_providers_verzoek_to_the_social_service_switches_too()
    {
        var before = Produce(new OutboundRequest(ReferralDelivery(Sdd, YouthProvider), BornOn(Birth), Sdd, YouthProvider, Now));
        var after = Produce(new OutboundRequest(ReferralDelivery(Sdd, YouthProvider), BornOn(Birth), Sdd, YouthProvider, Now.AddDays(1)));

        Assert.Equal((IStandaard.IJw, Bericht.VerzoekOmToewijzing), (before.Standaard, before.Bericht));
        Assert.Equal((IStandaard.IWmo, Bericht.VerzoekOmToewijzing), (after.Standaard, after.Bericht));
        Assert.Empty(SchemaCatalog.Validate(before.Document, IStandaard.IJw));
        Assert.Empty(SchemaCatalog.Validate(after.Document, IStandaard.IWmo));
        Assert.Equal("446", before.Document.Descendants().Single(e => e.Name.LocalName == "BerichtCode").Value);
    }

    [Theory]
    [InlineData("2008-11-24", "2026-11-23", false)]
    [InlineData("2008-11-24", "2026-11-24", true)]
    [InlineData("2008-02-29", "2026-02-27", false)]
    [InlineData("2008-02-29", "2026-02-28", true)]
    [InlineData("2010-01-01", "2026-11-23", false)]
    public void Adulthood_is_a_pure_function_of_the_two_dates(string birth, string on, bool adult) =>
        Assert.Equal(adult, StandaardKeuze.IsAdult(DateOnly.Parse(birth, System.Globalization.CultureInfo.InvariantCulture), DateOnly.Parse(on, System.Globalization.CultureInfo.InvariantCulture)));

    [Theory]
    [InlineData(17, ServiceKind.WaakvlamSupport, IStandaarden.Both, IStandaard.IJw)]
    [InlineData(17, ServiceKind.WaakvlamSupport, IStandaarden.IWmo, IStandaard.IWmo)]
    [InlineData(17, ServiceKind.HouseholdHelp, IStandaarden.Both, IStandaard.IWmo)]
    [InlineData(18, ServiceKind.WaakvlamSupport, IStandaarden.Both, IStandaard.IWmo)]
    [InlineData(18, ServiceKind.YouthCare, IStandaarden.Both, IStandaard.IJw)]
    [InlineData(20, ServiceKind.ShelteredHousing, IStandaarden.Both, IStandaard.IWmo)]
    public void The_standard_follows_age_service_and_what_the_partner_speaks(int age, ServiceKind service, IStandaarden speaks, IStandaard expected) =>
        Assert.Equal(expected, StandaardKeuze.For(Today.AddYears(-age), Today, service, speaks));

    [Theory]
    [InlineData(18, ServiceKind.WaakvlamSupport, IStandaarden.IJw)]
    [InlineData(17, ServiceKind.YouthCare, IStandaarden.IWmo)]
    [InlineData(30, ServiceKind.DebtCounselling, IStandaarden.Both)]
    [InlineData(17, ServiceKind.ParticipationWork, IStandaarden.Both)]
    public void No_standard_when_nothing_the_partner_speaks_covers_it(int age, ServiceKind service, IStandaarden speaks) =>
        Assert.Null(StandaardKeuze.For(Today.AddYears(-age), Today, service, speaks));
}
