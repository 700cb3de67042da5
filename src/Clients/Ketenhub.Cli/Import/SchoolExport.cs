using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Ketenhub.Cli.Import;

/// <summary>A validated row of a school export: one student approaching 18 and the date they are expected to leave school.</summary>
public sealed record ExportRow(int Row, int Line, string Bsn, DateOnly BirthDate, string MunicipalityCode, string Brin, DateOnly ExpectedLeaveDate)
{
    /// <summary>The social service the transition goes to, <c>parties/{id}</c>; set once the municipality is looked up.</summary>
    public string SocialService { get; init; } = string.Empty;

    /// <summary>The base of the row's request ids (see <see cref="SchoolExport.RequestIdBase"/>).</summary>
    public string RequestIdBase { get; init; } = string.Empty;
}

/// <summary>
/// What is wrong with one row: the data row number (1 = the first row under the header), the physical line
/// it starts on, the column (empty for the whole row) and a coded reason. Never the row's values.
/// </summary>
public sealed record RowProblem(int Row, int Line, string Column, string Reason, string Detail);

/// <summary>The columns of a school export and the checks on each row, before anything is sent.</summary>
public static class SchoolExport
{
    public const string BsnColumn = "bsn";
    public const string BirthDateColumn = "birth_date";
    public const string MunicipalityColumn = "municipality_code";
    public const string BrinColumn = "brin";
    public const string LeaveDateColumn = "expected_leave_date";

    /// <summary>The youngest and oldest age at which a student may be expected to leave a VSO school in an 18-/18+ export.</summary>
    public const int MinimumLeaveAge = 16;
    public const int MaximumLeaveAge = 23;

    /// <summary>The required columns and the names school packages also use for them (compared without case, spaces, '-' or '_').</summary>
    public static readonly IReadOnlyDictionary<string, string[]> Columns = new Dictionary<string, string[]>
    {
        [BsnColumn] = ["bsn", "burgerservicenummer", "sofinummer"],
        [BirthDateColumn] = ["birth_date", "birthdate", "geboortedatum"],
        [MunicipalityColumn] = ["municipality_code", "municipality", "gemeentecode", "gemeente"],
        [BrinColumn] = ["brin", "brin_code", "brinnummer"],
        [LeaveDateColumn] = ["expected_leave_date", "leave_date", "verwachte_uitstroomdatum", "uitstroomdatum"],
    };

    private static readonly string[] DateFormats = ["yyyy-MM-dd", "dd-MM-yyyy", "d-M-yyyy", "dd/MM/yyyy", "d/M/yyyy", "yyyyMMdd"];

    /// <summary>Finds each required column in the header; null and the missing columns when one is absent.</summary>
    public static IReadOnlyDictionary<string, int>? MapHeader(IReadOnlyList<string> header, out IReadOnlyList<string> missing)
    {
        var normalised = header.Select(Normalise).ToList();
        var map = new Dictionary<string, int>();
        var absent = new List<string>();
        foreach (var (column, aliases) in Columns)
        {
            var index = normalised.FindIndex(h => aliases.Any(a => Normalise(a) == h));
            if (index < 0)
            {
                absent.Add(column);
            }
            else
            {
                map[column] = index;
            }
        }

        missing = absent;
        return absent.Count == 0 ? map : null;
    }

    /// <summary>
    /// Checks one record: every required value present, the BSN nine digits that pass the elfproef (an
    /// eight-digit BSN, as spreadsheets leave it, gets its leading zero back), real dates (yyyy-MM-dd or
    /// dd-MM-yyyy), a birth date not in the future, a four-digit CBS code (a <c>GM</c> prefix is allowed),
    /// a BRIN of two digits and two letters or digits, and a leave date at an age from 16 to 23.
    /// </summary>
    public static ExportRow? Validate(CsvRecord record, int row, IReadOnlyDictionary<string, int> columns, int headerWidth, DateOnly today, List<RowProblem> problems)
    {
        var before = problems.Count;
        void Problem(string column, string reason, string detail) => problems.Add(new RowProblem(row, record.Line, column, reason, detail));

        if (record.Fields.Count > headerWidth)
        {
            Problem(string.Empty, "TOO_MANY_FIELDS", $"The row has {record.Fields.Count} fields, the header {headerWidth}; check the separator and quotes.");
        }

        string Value(string column) => columns[column] < record.Fields.Count ? record.Fields[columns[column]].Trim() : string.Empty;

        var values = Columns.Keys.ToDictionary(c => c, Value);
        foreach (var (column, value) in values)
        {
            if (value.Length == 0)
            {
                Problem(column, "MISSING_VALUE", $"{column} is empty or absent.");
            }
        }

        var bsn = values[BsnColumn];
        if (bsn.Length == 8 && bsn.All(char.IsAsciiDigit))
        {
            bsn = "0" + bsn;
        }

        if (bsn.Length > 0 && !IsValidBsn(bsn))
        {
            Problem(BsnColumn, "INVALID_BSN", "bsn is not nine digits that pass the elfproef.");
        }

        var birth = ParseDate(values[BirthDateColumn]);
        if (values[BirthDateColumn].Length > 0 && birth is null)
        {
            Problem(BirthDateColumn, "INVALID_DATE", "birth_date is not a date (yyyy-MM-dd or dd-MM-yyyy).");
        }
        else if (birth is { } b && (b > today || b.Year < 1900))
        {
            Problem(BirthDateColumn, "INVALID_BIRTH_DATE", "birth_date must be from 1900 up to today.");
        }

        var municipality = values[MunicipalityColumn];
        if (municipality.StartsWith("GM", StringComparison.OrdinalIgnoreCase))
        {
            municipality = municipality[2..];
        }

        if (municipality.Length is > 0 and < 4 && municipality.All(char.IsAsciiDigit))
        {
            // Spreadsheets drop the leading zeros of 0505.
            municipality = municipality.PadLeft(4, '0');
        }

        if (values[MunicipalityColumn].Length > 0 && (municipality.Length != 4 || !municipality.All(char.IsAsciiDigit)))
        {
            Problem(MunicipalityColumn, "INVALID_MUNICIPALITY_CODE", "municipality_code is not a four-digit CBS municipality code.");
        }

        var brin = values[BrinColumn].ToUpperInvariant();
        if (brin.Length > 0 && !IsBrin(brin))
        {
            Problem(BrinColumn, "INVALID_BRIN", "brin is not a BRIN code (two digits and two letters or digits).");
        }

        var leave = ParseDate(values[LeaveDateColumn]);
        if (values[LeaveDateColumn].Length > 0 && leave is null)
        {
            Problem(LeaveDateColumn, "INVALID_DATE", "expected_leave_date is not a date (yyyy-MM-dd or dd-MM-yyyy).");
        }
        else if (leave is { } l && birth is { } born && (l < born.AddYears(MinimumLeaveAge) || l > born.AddYears(MaximumLeaveAge + 1)))
        {
            Problem(LeaveDateColumn, "LEAVE_AGE_OUT_OF_RANGE", $"expected_leave_date must fall between the student's {MinimumLeaveAge}th birthday and {MaximumLeaveAge + 1}th birthday.");
        }

        return problems.Count == before ? new ExportRow(row, record.Line, bsn, birth!.Value, municipality, brin, leave!.Value) : null;
    }

    /// <summary>
    /// The base of a row's request ids: <c>imp-</c> and the first 40 hex digits of the HMAC-SHA256, under the
    /// school's import key (see <see cref="ImportKey"/>), of the school, the batch (by default the file's
    /// name without its folder) and the row's values as checked (BSN, birth date, municipality code, BRIN,
    /// leave date). The same row of the same file by the same school gets the same base on every run; the
    /// key keeps the BSN from being guessed back from an id (request ids are kept in the hub's audit trail).
    /// The client is registered with the base plus <c>-c</c>.
    /// </summary>
    public static string RequestIdBase(byte[] key, string school, string batch, ExportRow row)
    {
        var text = string.Join('\n', "ketenhub-import-v1", school, batch, row.Bsn, Iso(row.BirthDate), row.MunicipalityCode, row.Brin, Iso(row.ExpectedLeaveDate));
        return "imp-" + Convert.ToHexStringLower(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(text)))[..40];
    }

    /// <summary>
    /// The request id of a row's transition: <c>imp-</c>, the first 40 hex digits of the SHA-256 of the
    /// school, the batch, the client the hub registered (the hub gives a known BSN its existing client, so
    /// this name is the same on every run, whatever the import key) and the transition's content, and
    /// <c>-t</c>. It holds nothing of the row but the hub's own name for the client.
    /// </summary>
    public static string TransitionRequestId(string school, string batch, string client, ExportRow row)
    {
        var text = string.Join('\n', "ketenhub-import-v1-transition", school, batch, client, row.SocialService, Iso(row.ExpectedLeaveDate));
        return "imp-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..40] + "-t";
    }

    public static string Iso(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    public static bool IsValidBsn(string bsn)
    {
        if (bsn.Length != 9 || !bsn.All(char.IsAsciiDigit) || bsn == "000000000")
        {
            return false;
        }

        var sum = 0;
        for (var i = 0; i < 8; i++)
        {
            sum += (bsn[i] - '0') * (9 - i);
        }

        sum -= bsn[8] - '0';
        return sum % 11 == 0;
    }

    private static bool IsBrin(string brin) =>
        brin.Length == 4 && char.IsAsciiDigit(brin[0]) && char.IsAsciiDigit(brin[1]) && char.IsAsciiLetterOrDigit(brin[2]) && char.IsAsciiLetterOrDigit(brin[3]);

    private static DateOnly? ParseDate(string text) =>
        DateOnly.TryParseExact(text, DateFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var date) ? date : null;

    private static string Normalise(string header) =>
        new([.. header.Trim().ToLowerInvariant().Where(c => c is not (' ' or '_' or '-' or '.'))]);
}
