using System.Diagnostics;
using System.Xml.Linq;
using Ketenhub.Adapters.IWmo.Inbound;
using Ketenhub.Adapters.IWmo.Outbound;
using Ketenhub.Adapters.IWmo.Schemas;
using Ketenhub.Contracts.V1;
using static Ketenhub.Adapters.IWmo.Tests.Fixtures;

namespace Ketenhub.Adapters.IWmo.Tests;

public sealed class SchemaTests
{
    [Theory]
    [InlineData(IStandaard.IWmo)]
    [InlineData(IStandaard.IJw)]
    public void Every_message_the_adapter_handles_has_an_embedded_compiled_schema(IStandaard standaard)
    {
        var set = SchemaCatalog.For(standaard);

        Assert.True(set.IsCompiled);
        Assert.Same(set, SchemaCatalog.For(standaard));
        foreach (var bericht in Berichten.All)
        {
            Assert.Contains(Berichten.SchemaFile(standaard, bericht), SchemaCatalog.SchemaFiles(standaard));
            Assert.True(set.Contains(Berichten.Namespace(standaard, bericht)), $"{standaard} {bericht}");
        }
    }

    [Fact]
    public async Task The_shared_schema_set_validates_from_many_threads_at_once()
    {
        var good = Produce(new OutboundRequest(ReferralDelivery(Provider, Wijkteam), Adult(), Provider, Wijkteam, Now)).Document;
        var bad = new XDocument(good);
        bad.Descendants().Single(e => e.Name.LocalName == "Bsn").Value = "12";

        var results = await Task.WhenAll(Enumerable.Range(0, 64).Select(i => Task.Run(() =>
            SchemaCatalog.Validate(i % 2 == 0 ? new XDocument(good) : new XDocument(bad), IStandaard.IWmo).Count)));

        for (var i = 0; i < results.Length; i++)
        {
            Assert.True(i % 2 == 0 ? results[i] == 0 : results[i] > 0, $"run {i}: {results[i]} problems");
        }
    }

    /// <summary>Every kind of message the adapter writes, in both standards.</summary>
    public static TheoryData<string> ProducedMessages() => new(Produced().Keys);

    private static Dictionary<string, XDocument> Produced()
    {
        var directory = new MemoryDirectory();
        directory.Delivered(Provider.Name, 4711, "referrals/" + ReferralId);
        directory.Delivered(YouthProvider.Name, 5150, "referrals/ref_youth");
        var inbound = new InboundTranslator(directory);
        var minor = BornOn(new DateOnly(2010, 1, 1));
        XDocument Retour(XDocument heen) => inbound.Translate(PartnerMessages.Bytes(heen), Today).BuildRetour();

        return new()
        {
            ["WMO301"] = Produce(new OutboundRequest(ReferralDelivery(Provider, Wijkteam), Adult(), Provider, Wijkteam, Now)).Document,
            ["WMO315"] = Produce(new OutboundRequest(ReferralDelivery(Sdd, Provider), Adult(), Sdd, Provider, Now)).Document,
            ["JW301"] = Produce(new OutboundRequest(ReferralDelivery(YouthProvider, Wijkteam), minor, YouthProvider, Wijkteam, Now)).Document,
            ["JW315"] = Produce(new OutboundRequest(ReferralDelivery(Sdd, YouthProvider), minor, Sdd, YouthProvider, Now)).Document,
            ["WMO301-scoped"] = Produce(new OutboundRequest(Scoped(ReferralDelivery(Provider, Wijkteam)), Adult(), Provider, Wijkteam, Now)).Document,
            ["WMO315-scoped"] = Produce(new OutboundRequest(Scoped(ReferralDelivery(Sdd, Provider)), Adult(), Sdd, Provider, Now)).Document,
            ["JW301-scoped"] = Produce(new OutboundRequest(Scoped(ReferralDelivery(YouthProvider, Wijkteam)), minor, YouthProvider, Wijkteam, Now)).Document,
            ["JW315-scoped"] = Produce(new OutboundRequest(Scoped(ReferralDelivery(Sdd, YouthProvider)), minor, Sdd, YouthProvider, Now)).Document,
            ["WMO302"] = Retour(PartnerMessages.Toewijzing(IStandaard.IWmo, Dordrecht, ProviderAgb, ReferralId)),
            ["JW302"] = Retour(PartnerMessages.Toewijzing(IStandaard.IJw, Dordrecht, YouthProviderAgb, ReferralId)),
            ["WMO306"] = Retour(PartnerMessages.Start(IStandaard.IWmo, ProviderAgb, 4711, Today)),
            ["WMO306-rejected"] = Retour(PartnerMessages.Start(IStandaard.IWmo, ProviderAgb, 4711, Today, bsn: "111222334")),
            ["JW306"] = Retour(PartnerMessages.Start(IStandaard.IJw, YouthProviderAgb, 5150, Today)),
            ["WMO308"] = Retour(PartnerMessages.Stop(IStandaard.IWmo, ProviderAgb, 4711, Today, Today, "19")),
            ["JW308"] = Retour(PartnerMessages.Stop(IStandaard.IJw, YouthProviderAgb, 5150, Today, Today, "31")),
            ["WMO301-allocated"] = Produce(new OutboundRequest(Allocated(ReferralDelivery(Provider, Wijkteam)), Adult(), Provider, Wijkteam, Now)).Document,
            ["WMO316"] = Retour(Produce(new OutboundRequest(Scoped(ReferralDelivery(Wijkteam, Provider)), Adult(), Wijkteam, Provider, Now)).Document),
            ["JW316"] = Retour(Produce(new OutboundRequest(Scoped(ReferralDelivery(Sdd, YouthProvider)), minor, Sdd, YouthProvider, Now)).Document),
            ["WMO319"] = Produce(new OutboundRequest(DeclinedVerzoek(Provider, "03"), Adult(), Provider, Provider, Now)).Document,
            ["JW319"] = Produce(new OutboundRequest(DeclinedVerzoek(YouthProvider, "WJ001-9332"), minor, YouthProvider, YouthProvider, Now)).Document,
            ["WMO320"] = RetourWriter.Write(IStandaard.IWmo, Bericht.Antwoord, Produce(new OutboundRequest(DeclinedVerzoek(Provider, "03"), Adult(), Provider, Provider, Now)).Document, new Dictionary<XElement, List<string>>(), Today),
            ["JW320"] = RetourWriter.Write(IStandaard.IJw, Bericht.Antwoord, Produce(new OutboundRequest(DeclinedVerzoek(YouthProvider, "07"), minor, YouthProvider, YouthProvider, Now)).Document, new Dictionary<XElement, List<string>>(), Today),
        };
    }

    [Theory]
    [MemberData(nameof(ProducedMessages))]
    public void Every_produced_message_is_valid_for_dotnet(string name)
    {
        var document = Produced()[name];
        var standaard = name.StartsWith("JW", StringComparison.Ordinal) ? IStandaard.IJw : IStandaard.IWmo;
        Assert.Empty(SchemaCatalog.Validate(XDocument.Parse(document.ToString()), standaard));
    }

    [Theory]
    [MemberData(nameof(ProducedMessages))]
    public void Every_produced_message_is_valid_for_xmllint_too(string name)
    {
        var document = Produced()[name];
        var standaard = name.StartsWith("JW", StringComparison.Ordinal) ? IStandaard.IJw : IStandaard.IWmo;
        var (code, output) = Xmllint.Validate(standaard, document);
        Assert.True(code == 0, output);
        Assert.Contains("validates", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Xmllint_rejects_what_the_schema_forbids()
    {
        var document = Produced()["WMO301"];
        document.Descendants().Single(e => e.Name.LocalName == "Ontvanger").Value = Dordrecht; // an AGB field with a CBS code

        var (code, output) = Xmllint.Validate(IStandaard.IWmo, document);

        Assert.NotEqual(0, code);
        Assert.Contains("Ontvanger", output, StringComparison.Ordinal);
        Assert.NotEmpty(SchemaCatalog.Validate(document, IStandaard.IWmo));
    }
}

/// <summary>libxml2's xmllint as an independent validator, run on the schema files as embedded in the adapter.</summary>
internal static class Xmllint
{
    private static readonly Lazy<string> SchemaDir = new(() =>
    {
        var dir = Directory.CreateTempSubdirectory("ketenhub-iwmo-xsd-").FullName;
        foreach (var standaard in new[] { IStandaard.IWmo, IStandaard.IJw })
        {
            var target = Directory.CreateDirectory(Path.Combine(dir, Berichten.Key(standaard))).FullName;
            foreach (var file in SchemaCatalog.SchemaFiles(standaard))
            {
                File.WriteAllText(Path.Combine(target, file), SchemaCatalog.ReadSchemaText(standaard, file));
            }
        }

        return dir;
    });

    public static (int Code, string Output) Validate(IStandaard standaard, XDocument document)
    {
        var root = document.Root!;
        Assert.True(Berichten.TryIdentify(root.Name.NamespaceName, out var s, out var bericht));
        Assert.Equal(standaard, s);
        var file = Path.Combine(SchemaDir.Value, $"{Guid.NewGuid():N}.xml");
        File.WriteAllBytes(file, IWmoXml.ToBytes(document));
        try
        {
            var schema = Path.Combine(SchemaDir.Value, Berichten.Key(standaard), Berichten.SchemaFile(standaard, bericht));
            var start = new ProcessStartInfo("xmllint") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            foreach (var arg in new[] { "--noout", "--nonet", "--schema", schema, file })
            {
                start.ArgumentList.Add(arg);
            }

            Process process;
            try
            {
                process = Process.Start(start)!;
            }
            catch (System.ComponentModel.Win32Exception ex)
            {
                throw new Xunit.Sdk.XunitException(
                    "xmllint is not installed (not found on PATH). The iWmo schema tests validate every message with it: " +
                    "install the Debian/Ubuntu package libxml2-utils (apt-get install libxml2-utils; .ci/run does), see the README's prerequisites.",
                    ex);
            }

            using (process)
            {
                var stderr = process.StandardError.ReadToEndAsync();
                var stdout = process.StandardOutput.ReadToEnd();
                process.WaitForExit();
                return (process.ExitCode, stdout + stderr.Result);
            }
        }
        finally
        {
            File.Delete(file);
        }
    }
}
