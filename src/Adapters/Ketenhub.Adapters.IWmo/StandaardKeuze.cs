using Ketenhub.Adapters.IWmo.Codes;
using Ketenhub.Contracts.V1;

namespace Ketenhub.Adapters.IWmo;

/// <summary>
/// Chooses iJw or iWmo for one message, from the client's age on the message's date, the service and what the
/// partner's system speaks. Pure: the date is given, never read from a clock.
/// </summary>
/// <remarks>
/// Under 18 the Jeugdwet applies, so a partner that speaks iJw gets iJw; a service the Jeugdwet does not provide
/// (household help) goes as iWmo. From the 18th birthday the same client's flows go as iWmo, except youth care
/// itself, which continues as verlengde jeugdhulp under the Jeugdwet (iJw) where the partner speaks it.
/// </remarks>
public static class StandaardKeuze
{
    /// <summary>Whether a client born on <paramref name="birthDate"/> is 18 or older on <paramref name="on"/> (a 29 February birthday counts from 28 February).</summary>
    public static bool IsAdult(DateOnly birthDate, DateOnly on) => on >= birthDate.AddYears(18);

    /// <summary>The standard to use, or null when no standard the partner speaks covers the service at that age.</summary>
    public static IStandaard? For(DateOnly birthDate, DateOnly on, ServiceKind service, IStandaarden speaks)
    {
        bool Covers(IStandaard s) => speaks.HasFlag(s == IStandaard.IWmo ? IStandaarden.IWmo : IStandaarden.IJw) && ProductCategories.For(service, s) is not null;

        if (!IsAdult(birthDate, on) || service == ServiceKind.YouthCare)
        {
            if (Covers(IStandaard.IJw))
            {
                return IStandaard.IJw;
            }

            return service == ServiceKind.YouthCare ? null : Covers(IStandaard.IWmo) ? IStandaard.IWmo : null;
        }

        return Covers(IStandaard.IWmo) ? IStandaard.IWmo : null;
    }
}
