using Ketenhub.Hub.Common;

namespace Ketenhub.Hub.Clients;

/// <summary>
/// How far ahead a date about a client may lie (<c>Hub:DateHorizon</c>): an effective, start or end date further
/// ahead than this is refused as a typing error (2199 for 2019), not stored as a plan.
/// </summary>
public sealed record DateLimits(TimeSpan Horizon)
{
    /// <summary>Two years: the default of <c>Hub:DateHorizon</c>.</summary>
    public static readonly TimeSpan DefaultHorizon = TimeSpan.FromDays(730);
}

/// <summary>
/// Dates that make sense for a client: not before the client's birth and not further ahead than the horizon. The
/// messages name the field, never the date or the client's birth date.
/// </summary>
public static class ClientDates
{
    /// <summary>Adds a violation for <paramref name="field"/> when <paramref name="date"/> lies before the client's birth or beyond the horizon.</summary>
    public static void Check(Validator v, ClientRecord client, DateOnly? date, string field, DateOnly today, DateLimits limits)
    {
        ArgumentNullException.ThrowIfNull(v);
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(limits);
        if (date is not { } value)
        {
            return;
        }

        if (value < client.BirthDate)
        {
            v.Add(ErrorReasons.InvalidDate, field, $"{field} lies before the client's birth.");
        }
        else if (value > today.AddDays((int)Math.Ceiling(limits.Horizon.TotalDays)))
        {
            v.Add(ErrorReasons.InvalidDate, field, $"{field} lies more than {(int)Math.Ceiling(limits.Horizon.TotalDays)} days ahead.", ("maxDaysAhead", ((int)Math.Ceiling(limits.Horizon.TotalDays)).ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }
    }
}
