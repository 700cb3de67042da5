using System.Globalization;
using Hl7.Fhir.Model;
using Ketenhub.Contracts.V1;

namespace Ketenhub.Adapters.Fhir;

/// <summary>
/// A referral's volume (the iWmo/iJw <c>Omvang</c>) as <c>ServiceRequest.quantity[x]</c> and back (docs/adapters.md,
/// "Product, volume and end date"): in total over the period a <c>Quantity</c>, per day, week or month a <c>Ratio</c>
/// whose denominator is one UCUM day (<c>d</c>), week (<c>wk</c>) or month (<c>mo</c>). The unit is UCUM where UCUM has
/// it (minute <c>min</c>, hour <c>h</c>, day and night <c>d</c>), ISO 4217 <c>EUR</c> for euros, and the hub's
/// <c>volume-unit</c> code system for day parts and pieces, which have no unit elsewhere.
/// </summary>
internal static class FhirVolume
{
    /// <summary>The largest quantity the iStandaarden take (eight digits).</summary>
    public const int MaxQuantity = 99_999_999;

    private static readonly (VolumeUnit Unit, string System, string Code, string Display)[] Units =
    [
        (VolumeUnit.Minute, FhirVocabulary.Ucum, "min", "minute"),
        (VolumeUnit.Hour, FhirVocabulary.Ucum, "h", "hour"),
        (VolumeUnit.DayAndNight, FhirVocabulary.Ucum, "d", "day"),
        (VolumeUnit.DayPart, EnumCodes<VolumeUnit>.System, "day-part", "day part of four hours"),
        (VolumeUnit.PiecesOutput, EnumCodes<VolumeUnit>.System, "pieces-output", "pieces of output"),
        (VolumeUnit.Euros, FhirVocabulary.Currencies, "EUR", "euro"),
        (VolumeUnit.PiecesEffort, EnumCodes<VolumeUnit>.System, "pieces-effort", "pieces of effort"),
    ];

    private static readonly (VolumeFrequency Frequency, string Code, string Display)[] Periods =
    [
        (VolumeFrequency.PerDay, "d", "day"),
        (VolumeFrequency.PerWeek, "wk", "week"),
        (VolumeFrequency.PerMonth, "mo", "month"),
    ];

    /// <summary>The volume as a <c>Quantity</c> (in total) or a <c>Ratio</c> (per period); null when it has no unit or frequency.</summary>
    /// <param name="volume">The volume.</param>
    /// <returns>The FHIR value of <c>ServiceRequest.quantity[x]</c>, or null.</returns>
    public static DataType? Write(SupportVolume volume)
    {
        var unit = Array.FindIndex(Units, u => u.Unit == volume.Unit);
        if (unit < 0)
        {
            return null;
        }

        var (_, system, code, display) = Units[unit];
        var amount = new Quantity { Value = volume.Quantity, Unit = display, System = system, Code = code };
        if (volume.Frequency == VolumeFrequency.Total)
        {
            return amount;
        }

        var period = Array.FindIndex(Periods, p => p.Frequency == volume.Frequency);
        if (period < 0)
        {
            return null;
        }

        return new Ratio
        {
            Numerator = amount,
            Denominator = new Quantity { Value = 1, Unit = Periods[period].Display, System = FhirVocabulary.Ucum, Code = Periods[period].Code },
        };
    }

    /// <summary>
    /// Reads <c>ServiceRequest.quantity[x]</c> back into a volume. Each problem is told to <paramref name="problem"/>
    /// (field path, reason, description, never a value) and gives null.
    /// </summary>
    /// <param name="value">The quantity, a Quantity or a Ratio; null when the ServiceRequest has none.</param>
    /// <param name="problem">Told each problem; null to ignore them.</param>
    /// <returns>The volume, or null.</returns>
    public static SupportVolume? Read(DataType? value, Action<string, string, string>? problem = null)
    {
        const string Field = "ServiceRequest.quantity";
        switch (value)
        {
            case null:
                return null;
            case Quantity total:
                return Amount(total, Field, problem) is { } t ? new SupportVolume { Quantity = t.Quantity, Unit = t.Unit, Frequency = VolumeFrequency.Total } : null;
            case Ratio ratio:
            {
                if (ratio.Numerator is null)
                {
                    problem?.Invoke(Field + ".numerator", "FIELD_REQUIRED", "A volume per period needs its quantity in the numerator.");
                    return null;
                }

                var amount = Amount(ratio.Numerator, Field + ".numerator", problem);
                var frequency = Frequency(ratio.Denominator, Field + ".denominator", problem);
                return amount is { } a && frequency is { } f ? new SupportVolume { Quantity = a.Quantity, Unit = a.Unit, Frequency = f } : null;
            }

            default:
                problem?.Invoke(Field, "INVALID_REQUEST", "A volume is a Quantity (in total over the period) or a Ratio (per day, week or month).");
                return null;
        }
    }

    private static (int Quantity, VolumeUnit Unit)? Amount(Quantity quantity, string field, Action<string, string, string>? problem)
    {
        VolumeUnit? unit = null;
        foreach (var u in Units)
        {
            if (quantity.System == u.System && quantity.Code == u.Code)
            {
                unit = u.Unit;
            }
        }

        // The hub's own code system names every unit, those with a UCUM or ISO 4217 code too.
        if (unit is null && quantity.System == EnumCodes<VolumeUnit>.System && EnumCodes<VolumeUnit>.TryParse(quantity.Code, out var own))
        {
            unit = own;
        }

        int? amount = null;
        if (quantity.Value is not { } value)
        {
            problem?.Invoke(field + ".value", "FIELD_REQUIRED", "A volume needs its quantity.");
        }
        else if (value < 0 || value > MaxQuantity || value != decimal.Truncate(value) || quantity.Comparator is not null)
        {
            problem?.Invoke(field + ".value", "VALUE_OUT_OF_RANGE", "The quantity is a whole number from 0 to " + MaxQuantity.ToString(CultureInfo.InvariantCulture) + ", without a comparator.");
        }
        else
        {
            amount = (int)value;
        }

        if (unit is null)
        {
            problem?.Invoke(field + ".code", string.IsNullOrEmpty(quantity.Code) ? "FIELD_REQUIRED" : "UNKNOWN_ENUM_VALUE", "The unit must be UCUM min, h or d, ISO 4217 EUR, or a code of " + EnumCodes<VolumeUnit>.System + ".");
        }

        return amount is { } a && unit is { } un ? (a, un) : null;
    }

    private static VolumeFrequency? Frequency(Quantity? denominator, string field, Action<string, string, string>? problem)
    {
        if (denominator is null)
        {
            problem?.Invoke(field, "FIELD_REQUIRED", "A volume per period needs its period in the denominator: 1 d, 1 wk or 1 mo (UCUM).");
            return null;
        }

        foreach (var p in Periods)
        {
            if (denominator.System == FhirVocabulary.Ucum && denominator.Code == p.Code && denominator.Value == 1 && denominator.Comparator is null)
            {
                return p.Frequency;
            }
        }

        problem?.Invoke(field, "UNKNOWN_ENUM_VALUE", "The period must be 1 d, 1 wk or 1 mo (UCUM).");
        return null;
    }
}
