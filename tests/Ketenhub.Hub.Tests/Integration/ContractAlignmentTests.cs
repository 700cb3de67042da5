using System.Reflection;
using Google.Protobuf.Reflection;
using Ketenhub.Hub.Host.Transport;
using C = Ketenhub.Contracts.V1;
using D = Ketenhub.Hub.Common;

namespace Ketenhub.HubTests.Integration;

/// <summary>
/// The host maps domain and contract enums by number (<see cref="Wire"/>). This guards that every pair with
/// the same meaning has the same numbers and the same names.
/// </summary>
public sealed class ContractAlignmentTests
{
    public static readonly TheoryData<Type, Type> Pairs = new()
    {
        { typeof(D.LifeDomain), typeof(C.LifeDomain) },
        { typeof(D.Purpose), typeof(C.Purpose) },
        { typeof(D.DataCategory), typeof(C.DataCategory) },
        { typeof(D.ServiceKind), typeof(C.ServiceKind) },
        { typeof(D.MessageType), typeof(C.MessageType) },
        { typeof(D.PartyKind), typeof(C.PartyKind) },
        { typeof(D.DeliveryChannel), typeof(C.DeliveryChannel) },
        { typeof(D.GrantorRole), typeof(C.GrantorRole) },
        { typeof(D.ConsentState), typeof(C.ConsentState) },
        { typeof(D.SignalKind), typeof(C.SignalKind) },
        { typeof(D.SignalSeverity), typeof(C.SignalSeverity) },
        { typeof(D.TransitionKind), typeof(C.TransitionKind) },
        { typeof(D.ReferralUrgency), typeof(C.ReferralUrgency) },
        { typeof(D.PerformerStatus), typeof(C.PerformerStatus) },
        { typeof(D.VolumeUnit), typeof(C.VolumeUnit) },
        { typeof(D.VolumeFrequency), typeof(C.VolumeFrequency) },
        { typeof(D.ReferralKind), typeof(C.ReferralKind) },
        { typeof(D.DeliveryStatus), typeof(C.DeliveryStatus) },
        { typeof(D.TaskKind), typeof(C.TaskKind) },
        { typeof(D.CorrectionTopic), typeof(C.CorrectionTopic) },
        { typeof(D.RecipientOutcome), typeof(C.RecipientOutcome) },
        { typeof(D.JourneyEventType), typeof(C.JourneyEventType) },
        { typeof(D.RepresentationKind), typeof(C.RepresentationKind) },
    };

    [Theory]
    [MemberData(nameof(Pairs))]
    public void DomainAndContractEnum_HaveTheSameNumbers(Type domain, Type contract)
    {
        Assert.Equal(Numbers(contract), Numbers(domain));
    }

    [Theory]
    [MemberData(nameof(Pairs))]
    public void DomainAndContractEnum_HaveTheSameNameForEachNumber(Type domain, Type contract)
    {
        foreach (var number in Numbers(contract))
        {
            var contractName = Enum.GetName(contract, Enum.ToObject(contract, number))!;
            var domainName = Enum.GetName(domain, Enum.ToObject(domain, number));
            Assert.True(domainName is not null, $"{domain.Name} has no value {number} ({contractName}).");
            Assert.True(Normalize(contractName) == Normalize(domainName!), $"{domain.Name} {number}: contract {contractName}, domain {domainName}.");
        }
    }

    [Theory]
    [MemberData(nameof(Pairs))]
    public void TheProtoNames_WithoutTheirPrefix_MatchTheDomainNames(Type domain, Type contract)
    {
        // LIFE_DOMAIN_CARE → CARE ↔ Care: guards the generated C# names too.
        var prefix = Normalize(contract.Name);
        foreach (var field in contract.GetFields(BindingFlags.Public | BindingFlags.Static))
        {
            var original = field.GetCustomAttribute<OriginalNameAttribute>()!.Name;
            var normalized = Normalize(original);
            Assert.StartsWith(prefix, normalized, StringComparison.Ordinal);
            var number = Convert.ToInt32(field.GetValue(null), System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal(normalized[prefix.Length..], Normalize(Enum.GetName(domain, Enum.ToObject(domain, number))!));
        }
    }

    [Theory]
    [MemberData(nameof(Pairs))]
    public void TheHostsMapping_CarriesEveryValueBothWays(Type domain, Type contract)
    {
        var to = typeof(Wire).GetMethod(nameof(Wire.To))!.MakeGenericMethod(domain);
        var from = typeof(Wire).GetMethod(nameof(Wire.From))!.MakeGenericMethod(contract);
        foreach (Enum value in Enum.GetValues(contract))
        {
            var mapped = (Enum)to.Invoke(null, [value])!;
            Assert.Equal(Normalize(value.ToString()), Normalize(mapped.ToString()));
            Assert.Equal(value, from.Invoke(null, [mapped]));
        }
    }

    [Fact]
    public void EveryContractEnumWithADomainTwin_IsGuarded()
    {
        var guarded = Pairs.Select(row => (Type)row[1]).ToHashSet();
        var domainNames = typeof(D.LifeDomain).Assembly.GetTypes()
            .Where(t => t.IsEnum && t.Namespace == typeof(D.LifeDomain).Namespace)
            .Select(t => t.Name)
            .ToHashSet();
        var twins = typeof(C.LifeDomain).Assembly.GetTypes()
            .Where(t => t.IsEnum && !t.IsNested && t.Namespace == typeof(C.LifeDomain).Namespace && domainNames.Contains(t.Name))
            .ToList();

        Assert.Equal(23, guarded.Count);
        Assert.All(twins, t => Assert.Contains(t, guarded));
    }

    private static int[] Numbers(Type enumType) =>
        [.. Enum.GetValues(enumType).Cast<object>().Select(v => Convert.ToInt32(v, System.Globalization.CultureInfo.InvariantCulture)).Order()];

    private static string Normalize(string name) => name.Replace("_", string.Empty, StringComparison.Ordinal).ToUpperInvariant();
}
