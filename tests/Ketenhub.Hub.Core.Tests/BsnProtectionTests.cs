using System.Security.Cryptography;
using Ketenhub.Hub.Clients;
using Ketenhub.Hub.Common;
using Ketenhub.Hub.Parties;
using Ketenhub.Hub.Routing;

namespace Ketenhub.Hub.Core.Tests;

/// <summary>BSN encryption with rotating keys, per-recipient pseudonyms, and the per-party legal-need setting.</summary>
public class BsnProtectionTests
{
    private static readonly byte[] KeyA = RandomNumberGenerator.GetBytes(32);
    private static readonly byte[] KeyB = RandomNumberGenerator.GetBytes(32);

    private static BsnProtector Protector(string active, params (string Id, byte[] Key)[] keys) =>
        new(keys.ToDictionary(k => k.Id, k => k.Key), active);

    [Fact]
    public void Protect_RecordsTheKeyId_HidesTheBsn_AndRoundTrips()
    {
        var protector = Protector("a", ("a", KeyA));

        var stored = protector.Protect("cli_1", "123456782");

        Assert.StartsWith("v1:a:", stored, StringComparison.Ordinal);
        Assert.DoesNotContain("123456782", stored, StringComparison.Ordinal);
        Assert.Equal("a", BsnProtector.KeyIdOf(stored));
        Assert.Equal("123456782", protector.Unprotect("cli_1", stored));
    }

    [Fact]
    public void Protect_SameBsnTwice_GivesDifferentCiphertexts()
    {
        var protector = Protector("a", ("a", KeyA));
        Assert.NotEqual(protector.Protect("cli_1", "123456782"), protector.Protect("cli_1", "123456782"));
    }

    [Fact]
    public void EightDigitBsn_IsStoredWithItsLeadingZero()
    {
        var protector = Protector("a", ("a", KeyA));
        Assert.Equal("012345672", protector.Unprotect("cli_1", protector.Protect("cli_1", "12345672")));
    }

    [Fact]
    public void CiphertextOfAnotherClient_DoesNotDecrypt()
    {
        var protector = Protector("a", ("a", KeyA));
        var stored = protector.Protect("cli_1", "123456782");

        var error = Assert.Throws<HubException>(() => protector.Unprotect("cli_2", stored));
        Assert.Equal(ErrorReasons.BsnKeyUnavailable, error.Reason);
        Assert.DoesNotContain("123456782", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AlteredCiphertext_IsRefused()
    {
        var protector = Protector("a", ("a", KeyA));
        var stored = protector.Protect("cli_1", "123456782");
        var altered = stored[..^2] + (stored[^2] == 'A' ? 'B' : 'A') + stored[^1];

        Assert.Equal(ErrorReasons.BsnKeyUnavailable, Assert.Throws<HubException>(() => protector.Unprotect("cli_1", altered)).Reason);
        Assert.Equal(ErrorReasons.BsnKeyUnavailable, Assert.Throws<HubException>(() => protector.Unprotect("cli_1", "v1:a:!!")).Reason);
        Assert.Equal(ErrorReasons.BsnKeyUnavailable, Assert.Throws<HubException>(() => protector.Unprotect("cli_1", "123456782")).Reason);
    }

    [Fact]
    public void Rotation_OldKeyStillDecrypts_NewKeyEncrypts_RemovedKeyIsReported()
    {
        var before = Protector("a", ("a", KeyA));
        var old = before.Protect("cli_1", "123456782");

        var during = Protector("b", ("a", KeyA), ("b", KeyB));
        Assert.False(during.IsCurrent(old));
        Assert.Equal("123456782", during.Unprotect("cli_1", old));
        var fresh = during.Protect("cli_1", "123456782");
        Assert.True(during.IsCurrent(fresh));
        Assert.Equal("b", BsnProtector.KeyIdOf(fresh));

        var after = Protector("b", ("b", KeyB));
        Assert.Equal("123456782", after.Unprotect("cli_1", fresh));
        Assert.Equal(ErrorReasons.BsnKeyUnavailable, Assert.Throws<HubException>(() => after.Unprotect("cli_1", old)).Reason);
    }

    [Fact]
    public void KeyIdWithAColon_CannotSmuggleAnotherKey()
    {
        // A forged prefix naming a key that exists must still fail authentication under that key.
        var protector = Protector("a", ("a", KeyA), ("b", KeyB));
        var stored = protector.Protect("cli_1", "123456782");
        var relabelled = "v1:b:" + stored["v1:a:".Length..];
        Assert.Throws<HubException>(() => protector.Unprotect("cli_1", relabelled));
    }

    [Fact]
    public void Options_ReportEveryProblemByItsKey()
    {
        var options = new BsnEncryptionOptions
        {
            ActiveKeyId = "missing",
            Keys = { ["ok"] = Convert.ToBase64String(KeyA), ["short"] = Convert.ToBase64String(new byte[16]), ["bad id!"] = Convert.ToBase64String(KeyB) },
        };

        var problems = options.Problems();

        Assert.Contains(problems, p => p.Contains("Hub:BsnEncryption:Keys:short", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("key id", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("Hub:BsnEncryption:ActiveKeyId", StringComparison.Ordinal));
        Assert.Equal(3, problems.Count);
        Assert.Empty(new BsnEncryptionOptions { ActiveKeyId = "ok", Keys = { ["ok"] = Convert.ToBase64String(KeyA) } }.Problems());
        Assert.NotEmpty(new BsnEncryptionOptions().Problems());
    }

    [Fact]
    public void Pseudonyms_AreStablePerPair_DifferPerParty_AndPerKey()
    {
        var pseudonyms = new ClientPseudonyms(KeyA);

        var atA = pseudonyms.For("cli_1", "party-a");
        Assert.Matches("^psn-[0-9a-f]{32}$", atA);
        Assert.Equal(atA, new ClientPseudonyms(KeyA.ToArray()).For("cli_1", "party-a"));
        Assert.NotEqual(atA, pseudonyms.For("cli_1", "party-b"));
        Assert.NotEqual(atA, pseudonyms.For("cli_2", "party-a"));
        Assert.NotEqual(atA, new ClientPseudonyms(KeyB).For("cli_1", "party-a"));

        // The client id is length-prefixed, so no two (client, party) pairs feed the same bytes to the MAC.
        Assert.NotEqual(pseudonyms.For("a", "b\nc"), pseudonyms.For("a\nb", "c"));
    }

    [Fact]
    public void Disclosure_BsnOnlyForALegalNeed_AndOnlyThePseudonymWithoutDetails()
    {
        var protector = Protector("a", ("a", KeyA));
        var disclosure = new ClientDisclosure(protector, new ClientPseudonyms(KeyB));
        var client = new ClientRecord("cli_1", "hash", protector.Protect("cli_1", "123456782"), new DateOnly(2008, 3, 1), "0505", DateTimeOffset.UnixEpoch);
        var provider = new Party("zorg", PartyKind.CareProvider, "Zorg", DeliveryChannel.Stream, [], Agb: "12345678", BsnLegalBasis: "Wabvpz art. 2");
        var school = new Party("school", PartyKind.School, "School", DeliveryChannel.Stream, [], Brin: "12AB");

        var toProvider = disclosure.For(client, provider, withDetails: true, DateTimeOffset.UnixEpoch);
        var toSchool = disclosure.For(client, school, withDetails: true, DateTimeOffset.UnixEpoch);
        var thin = disclosure.For(client, provider, withDetails: false, DateTimeOffset.UnixEpoch);

        Assert.Equal("123456782", toProvider.Bsn);
        Assert.Null(toSchool.Bsn);
        Assert.Equal(new DateOnly(2008, 3, 1), toSchool.BirthDate);
        Assert.Equal("0505", toSchool.MunicipalityCode);
        Assert.NotEqual(toProvider.Pseudonym, toSchool.Pseudonym);
        Assert.Equal(new DeliveredClient(toProvider.Pseudonym, null, null, null), thin);
    }

    [Fact]
    public void PartiesFile_ReceivesBsnNeedsALegalBasis_AndALegalBasisNeedsReceivesBsn()
    {
        const string provider = """ "id": "zorg", "kind": "CARE_PROVIDER", "displayName": "Zorg", "agb": "12345678" """;

        var parsed = PartyConfigLoader.Parse($$"""{ "parties": [ { {{provider}}, "receivesBsn": true, "bsnLegalBasis": "Wabvpz art. 2" } ] }""", "parties.json");
        Assert.True(parsed.Find("zorg")!.ReceivesBsn);
        Assert.Equal("Wabvpz art. 2", parsed.Find("zorg")!.BsnLegalBasis);
        Assert.False(PartyConfigLoader.Parse($$"""{ "parties": [ { {{provider}} } ] }""", "parties.json").Find("zorg")!.ReceivesBsn);

        var missing = Assert.Throws<ConfigFileException>(() => PartyConfigLoader.Parse($$"""{ "parties": [ { {{provider}}, "receivesBsn": true } ] }""", "parties.json"));
        Assert.Contains("field 'bsnLegalBasis': is required when receivesBsn is true", Assert.Single(missing.Errors), StringComparison.Ordinal);

        var stray = Assert.Throws<ConfigFileException>(() => PartyConfigLoader.Parse($$"""{ "parties": [ { {{provider}}, "bsnLegalBasis": "Wabvpz" } ] }""", "parties.json"));
        Assert.Contains("field 'bsnLegalBasis': is only allowed with", Assert.Single(stray.Errors), StringComparison.Ordinal);

        var notBool = Assert.Throws<ConfigFileException>(() => PartyConfigLoader.Parse($$"""{ "parties": [ { {{provider}}, "receivesBsn": "yes", "bsnLegalBasis": "Wabvpz" } ] }""", "parties.json"));
        Assert.Contains(notBool.Errors, e => e.Contains("field 'receivesBsn': must be true or false", StringComparison.Ordinal));
    }
}
