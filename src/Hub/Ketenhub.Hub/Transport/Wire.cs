using System.Security.Cryptography;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Ketenhub.Hub.Common;

namespace Ketenhub.Hub.Host.Transport;

/// <summary>Conversions between contract types and domain types that every service uses.</summary>
public static class Wire
{
    /// <summary>Contract and domain enums share names and numbers (guarded by a test), so the number carries over. Unknown numbers stay unknown and are refused by validation.</summary>
    public static TDomain To<TDomain>(System.Enum value)
        where TDomain : struct, System.Enum => (TDomain)System.Enum.ToObject(typeof(TDomain), System.Convert.ToInt32(value, System.Globalization.CultureInfo.InvariantCulture));

    public static TContract From<TContract>(System.Enum value)
        where TContract : struct, System.Enum => (TContract)System.Enum.ToObject(typeof(TContract), System.Convert.ToInt32(value, System.Globalization.CultureInfo.InvariantCulture));

    public static IReadOnlyList<TDomain> ToList<TDomain>(IEnumerable<System.Enum> values)
        where TDomain : struct, System.Enum => [.. values.Select(To<TDomain>)];

    /// <summary>A <c>google.type.Date</c> as a <see cref="DateOnly"/>; null when absent; INVALID_DATE when not a calendar date.</summary>
    public static DateOnly? Date(Google.Type.Date? date, string field, string reason = ErrorReasons.InvalidDate)
    {
        if (date is null || (date.Year == 0 && date.Month == 0 && date.Day == 0))
        {
            return null;
        }

        if (date.Year is < 1 or > 9999 || date.Month is < 1 or > 12 || date.Day < 1 || date.Day > DateTime.DaysInMonth(date.Year, date.Month))
        {
            throw HubException.Invalid(reason, field, $"{field} is not a valid calendar date.");
        }

        return new DateOnly(date.Year, date.Month, date.Day);
    }

    public static Google.Type.Date? Date(DateOnly? date) =>
        date is { } d ? new Google.Type.Date { Year = d.Year, Month = d.Month, Day = d.Day } : null;

    public static Timestamp? Time(DateTimeOffset? time) => time is { } t ? Timestamp.FromDateTimeOffset(t) : null;

    public static DateTimeOffset? Time(Timestamp? timestamp, string field)
    {
        if (timestamp is null)
        {
            return null;
        }

        if (timestamp.Seconds is < -62135596800 or > 253402300799 || timestamp.Nanos is < 0 or > 999_999_999)
        {
            throw HubException.Invalid(ErrorReasons.InvalidDate, field, $"{field} is out of range.");
        }

        return timestamp.ToDateTimeOffset();
    }

    public static Duration? Span(TimeSpan? span) => span is { } s ? Duration.FromTimeSpan(s) : null;

    /// <summary>The idempotency key of a request: its id and a hash of its whole body.</summary>
    public static RequestKey Key(string requestId, IMessage request) =>
        RequestKey.Create(requestId, System.Convert.ToHexString(SHA256.HashData(request.ToByteArray())));

    public static string PartyName(string? id) => string.IsNullOrEmpty(id) ? string.Empty : "parties/" + id;
}
