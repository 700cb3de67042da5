namespace Ketenhub.Adapters.IWmo;

/// <summary>The two iStandaarden this adapter speaks: iWmo 3.2 (Wmo 2015, adults) and iJw 3.2 (Jeugdwet, youth).</summary>
public enum IStandaard
{
    /// <summary>iWmo 3.2: support under the Wmo 2015.</summary>
    IWmo,

    /// <summary>iJw 3.2: youth care under the Jeugdwet.</summary>
    IJw,
}

/// <summary>Which iStandaarden a party's system can exchange.</summary>
[Flags]
public enum IStandaarden
{
    /// <summary>Neither.</summary>
    None = 0,

    /// <summary>iWmo 3.2.</summary>
    IWmo = 1,

    /// <summary>iJw 3.2.</summary>
    IJw = 2,

    /// <summary>Both.</summary>
    Both = IWmo | IJw,
}

/// <summary>The messages of one iStandaard the adapter reads or writes, by their number (301, 302, …).</summary>
public enum Bericht
{
    /// <summary>301: toewijzing (municipality → provider).</summary>
    Toewijzing = 301,

    /// <summary>302: retour on a 301.</summary>
    ToewijzingRetour = 302,

    /// <summary>305: start levering (provider → municipality).</summary>
    Start = 305,

    /// <summary>306: retour on a 305.</summary>
    StartRetour = 306,

    /// <summary>307: stop levering (provider → municipality).</summary>
    Stop = 307,

    /// <summary>308: retour on a 307.</summary>
    StopRetour = 308,

    /// <summary>315: verzoek om toewijzing (provider → municipality).</summary>
    VerzoekOmToewijzing = 315,

    /// <summary>316: retour on a 315.</summary>
    VerzoekOmToewijzingRetour = 316,

    /// <summary>319: antwoordbericht (municipality → provider): a verzoek om toewijzing refused (or under investigation).</summary>
    Antwoord = 319,

    /// <summary>320: retour on a 319.</summary>
    AntwoordRetour = 320,
}

/// <summary>Constants of the two standards: namespaces, berichtcodes, versions.</summary>
public static class Berichten
{
    /// <summary>Major version (BerichtVersie) of release 3.2.</summary>
    public const string BerichtVersie = "3";

    /// <summary>Minor version (BerichtSubversie) of release 3.2.</summary>
    public const string BerichtSubversie = "2";

    /// <summary>The short name the standard uses in its namespaces (<c>iwmo</c>, <c>ijw</c>).</summary>
    public static string Key(IStandaard standaard) => standaard == IStandaard.IWmo ? "iwmo" : "ijw";

    /// <summary>The message's prefix in file and namespace names (<c>wmo</c>, <c>jw</c>).</summary>
    public static string Prefix(IStandaard standaard) => standaard == IStandaard.IWmo ? "wmo" : "jw";

    /// <summary>The target namespace of a message schema, for example <c>http://www.istandaarden.nl/iwmo/3_2/wmo301/schema</c>.</summary>
    public static string Namespace(IStandaard standaard, Bericht bericht) =>
        $"http://www.istandaarden.nl/{Key(standaard)}/3_2/{Prefix(standaard)}{(int)bericht}/schema";

    /// <summary>The namespace of the standard's basisschema.</summary>
    public static string BasisNamespace(IStandaard standaard) => $"http://www.istandaarden.nl/{Key(standaard)}/3_2/basisschema/schema";

    /// <summary>
    /// The XSD version a message declares in its header (BasisschemaXsdVersie, BerichtXsdVersie; a retour also in
    /// XsdVersieRetour): 1.0.0 for iWmo 3.2 and iJw 3.2 alike, as the released schemas and the maintainer's example
    /// messages of release 3.2 declare it. (The annotation in the embedded iJw schemas still reads 0.1.0, the version
    /// of their draft; the schemas themselves accept any version number, so this is only what partners compare.)
    /// </summary>
    public static string XsdVersie(IStandaard standaard) => "1.0.0";

    /// <summary>The file name of a message schema, for example <c>WMO301.xsd</c> or <c>JW305.xsd</c>.</summary>
    public static string SchemaFile(IStandaard standaard, Bericht bericht) =>
        $"{Prefix(standaard).ToUpperInvariant()}{(int)bericht}.xsd";

    /// <summary>The BerichtCode of a message (iWmo 301 = 414, iJw 301 = 436, …).</summary>
    public static string Code(IStandaard standaard, Bericht bericht) => (standaard, bericht) switch
    {
        (IStandaard.IWmo, Bericht.Toewijzing) => "414",
        (IStandaard.IWmo, Bericht.ToewijzingRetour) => "415",
        (IStandaard.IWmo, Bericht.Start) => "418",
        (IStandaard.IWmo, Bericht.StartRetour) => "419",
        (IStandaard.IWmo, Bericht.Stop) => "420",
        (IStandaard.IWmo, Bericht.StopRetour) => "421",
        (IStandaard.IWmo, Bericht.VerzoekOmToewijzing) => "444",
        (IStandaard.IWmo, Bericht.VerzoekOmToewijzingRetour) => "445",
        (IStandaard.IWmo, Bericht.Antwoord) => "482",
        (IStandaard.IWmo, Bericht.AntwoordRetour) => "483",
        (IStandaard.IJw, Bericht.Toewijzing) => "436",
        (IStandaard.IJw, Bericht.ToewijzingRetour) => "437",
        (IStandaard.IJw, Bericht.Start) => "438",
        (IStandaard.IJw, Bericht.StartRetour) => "439",
        (IStandaard.IJw, Bericht.Stop) => "440",
        (IStandaard.IJw, Bericht.StopRetour) => "441",
        (IStandaard.IJw, Bericht.VerzoekOmToewijzing) => "446",
        (IStandaard.IJw, Bericht.VerzoekOmToewijzingRetour) => "447",
        (IStandaard.IJw, Bericht.Antwoord) => "488",
        (IStandaard.IJw, Bericht.AntwoordRetour) => "489",
        _ => throw new ArgumentOutOfRangeException(nameof(bericht)),
    };

    /// <summary>The retour message that answers <paramref name="bericht"/>.</summary>
    public static Bericht RetourOf(Bericht bericht) => bericht switch
    {
        Bericht.Toewijzing => Bericht.ToewijzingRetour,
        Bericht.Start => Bericht.StartRetour,
        Bericht.Stop => Bericht.StopRetour,
        Bericht.VerzoekOmToewijzing => Bericht.VerzoekOmToewijzingRetour,
        Bericht.Antwoord => Bericht.AntwoordRetour,
        _ => throw new ArgumentOutOfRangeException(nameof(bericht), "Only heenberichten have a retour."),
    };

    /// <summary>Whether <paramref name="bericht"/> is a retour message.</summary>
    public static bool IsRetour(Bericht bericht) => (int)bericht % 2 == 0;

    /// <summary>Every message the adapter handles, for one standard.</summary>
    public static IReadOnlyList<Bericht> All { get; } = Enum.GetValues<Bericht>();

    /// <summary>Finds the standard and message of a document by its root namespace; false for anything else.</summary>
    public static bool TryIdentify(string rootNamespace, out IStandaard standaard, out Bericht bericht)
    {
        foreach (var s in new[] { IStandaard.IWmo, IStandaard.IJw })
        {
            foreach (var b in All)
            {
                if (string.Equals(Namespace(s, b), rootNamespace, StringComparison.Ordinal))
                {
                    standaard = s;
                    bericht = b;
                    return true;
                }
            }
        }

        standaard = default;
        bericht = default;
        return false;
    }
}
