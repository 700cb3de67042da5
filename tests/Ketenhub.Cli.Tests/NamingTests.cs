using Grpc.Health.V1;
using Ketenhub.Contracts.V1;

namespace Ketenhub.Cli.Tests;

/// <summary>How contract enum values and resource names are written on the command line and in output.</summary>
public sealed class NamingTests
{
    [Theory]
    [InlineData("coaching", Purpose.Coaching)]
    [InlineData("COACHING", Purpose.Coaching)]
    [InlineData(" Coaching ", Purpose.Coaching)]
    [InlineData("purpose_coaching", Purpose.Coaching)]
    [InlineData("PURPOSE_COACHING", Purpose.Coaching)]
    [InlineData("income_and_participation", Purpose.IncomeAndParticipation)]
    [InlineData("income-and-participation", Purpose.IncomeAndParticipation)]
    public void Purpose_IsReadWithOrWithoutPrefix_AnyCase(string text, Purpose expected)
    {
        Assert.True(EnumNames<Purpose>.TryParse(text, out var value));
        Assert.Equal(expected, value);
    }

    [Theory]
    [InlineData("support_plan", DataCategory.SupportPlan)]
    [InlineData("contact_details", DataCategory.ContactDetails)]
    [InlineData("work", DataCategory.Work)]
    public void DataCategory_IsRead(string text, DataCategory expected)
    {
        Assert.True(EnumNames<DataCategory>.TryParse(text, out var value));
        Assert.Equal(expected, value);
    }

    [Fact]
    public void TransitionKind_WithDigits_IsRead()
    {
        Assert.True(EnumNames<TransitionKind>.TryParse("school_leaver_18", out var kind));
        Assert.Equal(TransitionKind.SchoolLeaver18, kind);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData(null)]
    [InlineData("unspecified")]
    [InlineData("PURPOSE_UNSPECIFIED")]
    [InlineData("coach")]
    [InlineData("support_plan")]
    public void Purpose_RefusesUnspecifiedAndUnknownValues(string? text)
    {
        Assert.False(EnumNames<Purpose>.TryParse(text, out _));
    }

    [Fact]
    public void Choices_AreTheContractValuesWithoutPrefixOrUnspecified()
    {
        Assert.Equal(["client", "parent", "mentor", "curator", "guardian", "administrator"], EnumNames<GrantorRole>.Choices);
        Assert.Equal(["school_leaver_18", "scale_up", "scale_down", "provider_change", "relocation", "support_ended"], EnumNames<TransitionKind>.Choices);
    }

    [Fact]
    public void Format_GivesTheContractNameWithoutPrefix()
    {
        Assert.Equal("AWAITING_CONSENT", EnumNames<RecipientOutcome>.Format(RecipientOutcome.AwaitingConsent));
        Assert.Equal("AWAITING_CONFIRMATION", EnumNames<ConsentState>.Format(ConsentState.AwaitingConfirmation));
        Assert.Equal("SCHOOL_LEAVER_18", EnumNames<TransitionKind>.Format(TransitionKind.SchoolLeaver18));
        Assert.Equal("SERVING", EnumNames<HealthCheckResponse.Types.ServingStatus>.Format(HealthCheckResponse.Types.ServingStatus.Serving));
        Assert.Equal("SUPPORT_PLAN, CONTACT_DETAILS", EnumNames<DataCategory>.Format([DataCategory.SupportPlan, DataCategory.ContactDetails]));
    }

    [Fact]
    public void Format_KeepsANumberTheContractDoesNotKnow()
    {
        Assert.Equal("99", EnumNames<Purpose>.Format((Purpose)99));
    }

    [Fact]
    public void EveryValueOfTheEnumsTheToolReads_RoundTrips()
    {
        AssertRoundTrip<GrantorRole>();
        AssertRoundTrip<Purpose>();
        AssertRoundTrip<DataCategory>();
        AssertRoundTrip<TransitionKind>();
        AssertRoundTrip<ServiceKind>();
        AssertRoundTrip<LifeDomain>();
        AssertRoundTrip<SignalKind>();
        AssertRoundTrip<SignalSeverity>();
    }

    [Theory]
    [InlineData("sdd", "parties/sdd")]
    [InlineData("parties/sdd", "parties/sdd")]
    [InlineData(" hans-petrischool ", "parties/hans-petrischool")]
    [InlineData("", "")]
    [InlineData(null, "")]
    public void Party_TakesAnIdOrAName(string? input, string expected)
    {
        Assert.Equal(expected, Names.Party(input));
    }

    [Fact]
    public void Client_AndConsent_TakeAnIdOrAName()
    {
        Assert.Equal("clients/cli_1", Names.Client("cli_1"));
        Assert.Equal("clients/cli_1", Names.Client("clients/cli_1"));
        Assert.Equal("consents/cns_1", Names.Consent("cns_1"));
        Assert.Equal("sdd", Names.ShortParty("parties/sdd"));
        Assert.Equal("ketenhub", Names.ShortParty("ketenhub"));
    }

    private static void AssertRoundTrip<T>()
        where T : struct, Enum
    {
        var values = Enum.GetValues<T>().Where(v => Convert.ToInt32(v, System.Globalization.CultureInfo.InvariantCulture) != 0).ToList();
        Assert.Equal(values.Count, EnumNames<T>.Choices.Count);
        foreach (var value in values)
        {
            Assert.True(EnumNames<T>.TryParse(EnumNames<T>.Format(value), out var upper), $"{typeof(T).Name}.{value}");
            Assert.True(EnumNames<T>.TryParse(EnumNames<T>.Format(value).ToLowerInvariant(), out var lower), $"{typeof(T).Name}.{value}");
            Assert.Equal(value, upper);
            Assert.Equal(value, lower);
        }
    }
}
