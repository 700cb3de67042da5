namespace Ketenhub.Adapters.IWmo.Codes;

/// <summary>
/// WJ001 retour codes (iWmo 3.2 and iJw 3.2 share the list) that the adapter writes into its retours or reads
/// from a partner's retour.
/// </summary>
public static class RetourCodes
{
    /// <summary>0001: Bericht is afgekeurd om technische redenen (also for a constraint such as the BSN elfproef).</summary>
    public const string TechnischAfgekeurd = "0001";

    /// <summary>0200: Geen opmerking over deze berichtklasse (accepted).</summary>
    public const string Geaccepteerd = "0200";

    /// <summary>0233: Berichtklasse is niet beoordeeld (a parent class was already rejected).</summary>
    public const string NietBeoordeeld = "0233";

    /// <summary>8848 (TR135): Dagtekening moet gelijk zijn aan of voor de systeemdatum liggen.</summary>
    public const string DagtekeningInToekomst = "8848";

    /// <summary>9056 (TR056): Identificatie moet uniek zijn.</summary>
    public const string IdentificatieNietUniek = "9056";

    /// <summary>S300 (TR378): Gemeentecode ongeldig.</summary>
    public const string GemeentecodeOngeldig = "S300";

    /// <summary>9019 (TR019): Het regiebericht kan niet gekoppeld worden aan een toewijzing.</summary>
    public const string NietGekoppeldAanToewijzing = "9019";

    /// <summary>9063 (TR063): Het bericht kan niet verwerkt worden omdat geen eerder bericht ontvangen is.</summary>
    public const string GeenEerderBericht = "9063";

    /// <summary>9069 (TR069): Er is geen actueel startbericht met dezelfde sleutel.</summary>
    public const string GeenActueelStartbericht = "9069";

    /// <summary>9074 (TR074): Er is al een eerder bericht ontvangen met dezelfde sleutel.</summary>
    public const string AlEerderOntvangen = "9074";

    /// <summary>9326 (TR326): De actuele levering is nog niet gestopt met een Stopbericht.</summary>
    public const string NogNietGestopt = "9326";

    /// <summary>9415 (TR415): Er is al een StopProduct met gelijk Bsn, ToewijzingNummer, Begindatum (en RedenBeeindiging niet 20).</summary>
    public const string StopAlOntvangen = "9415";

    /// <summary>9379 (TR379): ReferentieAanbieder refereert niet naar een verzoek om toewijzing.</summary>
    public const string ReferentieOnbekend = "9379";

    /// <summary>9347 (TR347): ReferentieAanbieder is not unique for the provider within the legal domain (a 315 product under a reference used for another).</summary>
    public const string ReferentieNietUniek = "9347";
}

/// <summary>Fo01 error codes of the message exchange, for refusals that happen before a retour can be written.</summary>
public static class FoutCodes
{
    /// <summary>IB001: Bericht voldoet niet aan XSD (also for a document that is not well-formed XML).</summary>
    public const string VoldoetNietAanXsd = "IB001";

    /// <summary>IB004: De functie wordt niet ondersteund (a message this adapter does not take, for example a WMO323).</summary>
    public const string FunctieNietOndersteund = "IB004";

    /// <summary>IB005: Gemeentecode is niet bekend.</summary>
    public const string GemeentecodeOnbekend = "IB005";

    /// <summary>IB010: Geadresseerde partij niet aangesloten of AGB-code is incorrect.</summary>
    public const string PartijOnbekend = "IB010";
}
