namespace Ketenhub.Client;

/// <summary>Converts between <see cref="DateOnly"/> and the contract's <c>google.type.Date</c>.</summary>
public static class KetenhubDates
{
    /// <summary>The contract date of a calendar date.</summary>
    /// <param name="date">The date.</param>
    /// <returns>A full <c>google.type.Date</c> (year, month and day set).</returns>
    public static Google.Type.Date ToContractDate(this DateOnly date) => new() { Year = date.Year, Month = date.Month, Day = date.Day };

    /// <summary>The calendar date of a full contract date.</summary>
    /// <param name="date">A date with year, month and day set.</param>
    /// <returns>The date.</returns>
    /// <exception cref="ArgumentException">The date is partial (a zero year, month or day) or does not exist.</exception>
    public static DateOnly ToDateOnly(this Google.Type.Date date)
    {
        ArgumentNullException.ThrowIfNull(date);
        if (date.Year is < 1 or > 9999 || date.Month is < 1 or > 12 || date.Day < 1 || date.Day > DateTime.DaysInMonth(date.Year, date.Month))
        {
            throw new ArgumentException("The date is not a full calendar date.", nameof(date));
        }

        return new DateOnly(date.Year, date.Month, date.Day);
    }
}
