namespace Ketenhub.Adapters.IWmo.Codes;

/// <summary>
/// Reden beëindiging. The hub keeps end reasons as WMO588 codes (iWmo); iJw numbers some of the same reasons
/// differently (for example iJw 31 "volgens plan beëindigd" is WMO588 19, while WMO588 31 is a move to
/// another municipality), so iJw codes are translated both ways.
/// </summary>
public static class EndReasons
{
    /// <summary>WMO588 19: Levering volgens plan beëindigd.</summary>
    public const string VolgensPlan = "19";

    private static readonly Dictionary<string, string> JwToWmo = new(StringComparer.Ordinal)
    {
        ["02"] = "02", // overlijden
        ["20"] = "20", // tijdelijk beëindigd
        ["31"] = "19", // volgens plan beëindigd
        ["32"] = "21", // voortijdig: eenzijdig door de cliënt
        ["33"] = "22", // voortijdig: eenzijdig door de aanbieder
        ["34"] = "23", // voortijdig: in overeenstemming
        ["35"] = "31", // externe omstandigheden (WMO588 31 names a move as the example)
        ["36"] = "36", // geïnitieerd door de gemeente
        ["37"] = "37", // in verband met wijzigingsverzoek
        ["38"] = "38", // overstap naar andere aanbieder
        ["39"] = "39", // uitstroom naar ander domein
    };

    private static readonly Dictionary<string, string> WmoToJw = JwToWmo.ToDictionary(p => p.Value, p => p.Key, StringComparer.Ordinal);

    /// <summary>The hub's (WMO588) code for a RedenBeeindiging read from a message; null for an unknown code.</summary>
    public static string? ToHub(string code, IStandaard standaard) =>
        standaard == IStandaard.IJw ? JwToWmo.GetValueOrDefault(code) : WmoToJw.ContainsKey(code) ? code : null;

    /// <summary>The RedenBeeindiging to write for a hub (WMO588) code; null when the standard has no such reason.</summary>
    public static string? FromHub(string code, IStandaard standaard) =>
        standaard == IStandaard.IJw ? WmoToJw.GetValueOrDefault(code) : WmoToJw.ContainsKey(code) ? code : null;
}

/// <summary>COD327 code verwijzer: who referred the client, as the 315 states it.</summary>
public static class VerwijzerTypes
{
    /// <summary>01 Gemeente (also for the social service and the wijkteam, which act for the municipality).</summary>
    public const string Gemeente = "01";

    /// <summary>02 Huisarts.</summary>
    public const string Huisarts = "02";

    /// <summary>06 Zelfverwijzer / geen verwijzer (also for a school or a provider asking on its own initiative).</summary>
    public const string GeenVerwijzer = "06";

    /// <summary>The verwijzer type for a referral requested by a party of <paramref name="kind"/>.</summary>
    public static string For(Ketenhub.Contracts.V1.PartyKind kind) => kind switch
    {
        Ketenhub.Contracts.V1.PartyKind.Municipality or Ketenhub.Contracts.V1.PartyKind.SocialService or Ketenhub.Contracts.V1.PartyKind.Wijkteam => Gemeente,
        _ => GeenVerwijzer,
    };
}
