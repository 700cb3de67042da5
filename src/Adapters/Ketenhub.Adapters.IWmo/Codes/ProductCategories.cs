using Ketenhub.Contracts.V1;

namespace Ketenhub.Adapters.IWmo.Codes;

/// <summary>
/// The product category (WMO020 for iWmo, the Jeugdwet categories of iJw) the adapter uses for each of the hub's
/// services, and back. Product codes are regional (each region publishes its own product list), so the adapter
/// sends the category only; a partner that needs a regional code maps it on its side.
/// </summary>
public static class ProductCategories
{
    /// <summary>WMO020 02 Begeleiding.</summary>
    public const string WmoBegeleiding = "02";

    /// <summary>WMO020 01 Hulp bij het huishouden.</summary>
    public const string WmoHulpBijHetHuishouden = "01";

    /// <summary>WMO020 07 Dagbesteding.</summary>
    public const string WmoDagbesteding = "07";

    /// <summary>WMO020 15 Beschermd wonen.</summary>
    public const string WmoBeschermdWonen = "15";

    /// <summary>iJw 45 Jeugdhulp ambulant.</summary>
    public const string JwJeugdhulpAmbulant = "45";

    /// <summary>iJw 41 Dagbehandeling.</summary>
    public const string JwDagbehandeling = "41";

    /// <summary>iJw 44 Jeugdhulp verblijf (excl. behandeling).</summary>
    public const string JwVerblijfExclBehandeling = "44";

    /// <summary>
    /// The category for <paramref name="service"/> in <paramref name="standaard"/>, or null when the service is not
    /// provided under that law (debt counselling falls under the Wgs and work under the Participatiewet, neither
    /// under the Wmo or Jeugdwet; household help is not youth care; youth care is not Wmo support).
    /// </summary>
    public static string? For(ServiceKind service, IStandaard standaard) => (standaard, service) switch
    {
        (IStandaard.IWmo, ServiceKind.WaakvlamSupport) => WmoBegeleiding,
        (IStandaard.IWmo, ServiceKind.IndividualGuidance) => WmoBegeleiding,
        (IStandaard.IWmo, ServiceKind.DayActivities) => WmoDagbesteding,
        (IStandaard.IWmo, ServiceKind.ShelteredHousing) => WmoBeschermdWonen,
        (IStandaard.IWmo, ServiceKind.HouseholdHelp) => WmoHulpBijHetHuishouden,
        (IStandaard.IJw, ServiceKind.WaakvlamSupport) => JwJeugdhulpAmbulant,
        (IStandaard.IJw, ServiceKind.IndividualGuidance) => JwJeugdhulpAmbulant,
        (IStandaard.IJw, ServiceKind.YouthCare) => JwJeugdhulpAmbulant,
        (IStandaard.IJw, ServiceKind.DayActivities) => JwDagbehandeling,
        (IStandaard.IJw, ServiceKind.ShelteredHousing) => JwVerblijfExclBehandeling,
        _ => null,
    };

    /// <summary>
    /// The hub service a category stands for when a partner names it (the first service mapped to it; both
    /// waakvlam support and individual guidance are Begeleiding, read back as individual guidance unless
    /// <paramref name="hint"/> is the other one).
    /// </summary>
    public static ServiceKind? ServiceOf(string category, IStandaard standaard, ServiceKind hint = ServiceKind.Unspecified)
    {
        if (hint != ServiceKind.Unspecified && For(hint, standaard) == category)
        {
            return hint;
        }

        return (standaard, category) switch
        {
            (IStandaard.IWmo, WmoBegeleiding) => ServiceKind.IndividualGuidance,
            (IStandaard.IWmo, WmoDagbesteding) => ServiceKind.DayActivities,
            (IStandaard.IWmo, WmoBeschermdWonen) => ServiceKind.ShelteredHousing,
            (IStandaard.IWmo, WmoHulpBijHetHuishouden) => ServiceKind.HouseholdHelp,
            (IStandaard.IJw, JwJeugdhulpAmbulant) => ServiceKind.YouthCare,
            (IStandaard.IJw, JwDagbehandeling) => ServiceKind.DayActivities,
            (IStandaard.IJw, JwVerblijfExclBehandeling) => ServiceKind.ShelteredHousing,
            _ => null,
        };
    }
}
