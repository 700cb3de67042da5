using Grpc.Core;
using Ketenhub.Contracts.V1;
using Ketenhub.HubTests.Infrastructure;
using Ketenhub.Testing.InProcess;
using static Ketenhub.Testing.InProcess.PartyClient;

namespace Ketenhub.HubTests.Integration;

/// <summary>
/// A referral's product code, volume and requested end date (what an iWmo/iJw toewijzing and verzoek carry): kept as
/// given and read back; each one wrong gets its coded error on its own field and nothing is stored.
/// </summary>
public sealed class ReferralScopeTests : IDisposable
{
    private readonly HubFactory _hub = new();
    private readonly PartyClient _sdd;

    public ReferralScopeTests() => _sdd = _hub.As("sdd");

    public void Dispose() => _hub.Dispose();

    [Fact]
    public async Task AReferralsProductCodeVolumeAndEndDate_AreKeptAndReadBack()
    {
        var client = await _sdd.RegisterAsync(Kit.NewBsn(), Date(1994, 11, 2), "0505");
        var referral = Kit.CareReferral(client.Name, "begeleiding-plus");
        referral.ProductCode = "02A03";
        referral.Volume = new SupportVolume { Quantity = 6, Unit = VolumeUnit.Hour, Frequency = VolumeFrequency.PerWeek };
        referral.RequestedEndDate = Date(2026, 12, 31);

        var created = await _sdd.Referrals.CreateReferralAsync(new CreateReferralRequest { RequestId = NewRequestId(), Referral = referral });
        var read = (await _sdd.Referrals.GetReferralAsync(new GetReferralRequest { Name = created.Referral.Name })).Referral;

        Assert.Equal("02A03", read.ProductCode);
        Assert.Equal(new SupportVolume { Quantity = 6, Unit = VolumeUnit.Hour, Frequency = VolumeFrequency.PerWeek }, read.Volume);
        Assert.Equal(Date(2026, 12, 31), read.RequestedEndDate);
    }

    public static TheoryData<string, string, string> Wrong() => new()
    {
        { "code-too-long", "referral.product_code", "FIELD_TOO_LONG" },
        { "code-characters", "referral.product_code", "INVALID_CHARACTERS" },
        { "quantity", "referral.volume.quantity", "VALUE_OUT_OF_RANGE" },
        { "unit", "referral.volume.unit", "FIELD_REQUIRED" },
        { "frequency", "referral.volume.frequency", "FIELD_REQUIRED" },
        { "total-without-end", "referral.requested_end_date", "FIELD_REQUIRED" },
        { "end-in-the-past", "referral.requested_end_date", "INVALID_DATE" },
        { "end-no-date", "referral.requested_end_date", "INVALID_DATE" },
    };

    [Theory]
    [MemberData(nameof(Wrong))]
    public async Task EachWrongField_GetsItsCodedError_AndNothingIsStored(string wrong, string field, string reason)
    {
        var client = await _sdd.RegisterAsync(Kit.NewBsn(), Date(1994, 11, 2), "0505");
        var referral = Kit.CareReferral(client.Name, "begeleiding-plus");
        referral.ProductCode = "02A03";
        referral.Volume = new SupportVolume { Quantity = 6, Unit = VolumeUnit.Hour, Frequency = VolumeFrequency.PerWeek };
        referral.RequestedEndDate = Date(2026, 12, 31);
        switch (wrong)
        {
            case "code-too-long": referral.ProductCode = "02A031"; break;
            case "code-characters": referral.ProductCode = "02 A"; break;
            case "quantity": referral.Volume.Quantity = 100_000_000; break;
            case "unit": referral.Volume.Unit = VolumeUnit.Unspecified; break;
            case "frequency": referral.Volume.Frequency = VolumeFrequency.Unspecified; break;
            case "total-without-end": referral.Volume.Frequency = VolumeFrequency.Total; referral.RequestedEndDate = null; break;
            case "end-in-the-past": referral.RequestedEndDate = Date(2025, 12, 31); break;
            case "end-no-date": referral.RequestedEndDate = Date(2026, 2, 30); break;
        }

        var error = await Errors.Detail(() => _sdd.Referrals.CreateReferralAsync(new CreateReferralRequest { RequestId = NewRequestId(), Referral = referral }).ResponseAsync);

        Assert.Equal((StatusCode.InvalidArgument, reason), (error.Code, error.Reason));
        Assert.Equal([new Violation(field, reason)], error.Violations);
        var mine = await _sdd.Referrals.ListReferralsAsync(new ListReferralsRequest { PageSize = 1000 });
        Assert.DoesNotContain(mine.Referrals, r => r.Client == client.Name);
    }
}
