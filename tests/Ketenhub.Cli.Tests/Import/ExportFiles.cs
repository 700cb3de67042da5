using System.Globalization;
using System.Text;
using Ketenhub.Cli.Import;

namespace Ketenhub.Cli.Tests.Import;

/// <summary>Writes school exports for the tests: fictitious students with BSNs that pass the elfproef, and chosen bad rows.</summary>
public static class ExportFiles
{
    public const string Header = "Leerlingnummer;BSN;Achternaam;Geboortedatum;Gemeentecode;BRIN;Verwachte uitstroomdatum";

    /// <summary>The bad rows every large export carries, by data row number, with the column and reason the import must report.</summary>
    public static readonly IReadOnlyDictionary<int, (string Column, string Reason)> BadRows = new Dictionary<int, (string, string)>
    {
        [17] = ("bsn", "INVALID_BSN"),
        [404] = ("birth_date", "INVALID_DATE"),
        [1234] = ("municipality_code", "NO_SOCIAL_SERVICE"),
        [2500] = ("brin", "BRIN_NOT_OF_SCHOOL"),
        [3001] = ("expected_leave_date", "MISSING_VALUE"),
        [4999] = ("bsn", "DUPLICATE_STUDENT"),
    };

    /// <summary>A BSN that passes the elfproef, distinct for each <paramref name="n"/> within a series.</summary>
    public static string Bsn(int series, int n)
    {
        for (var attempt = 0; ; attempt++)
        {
            var stem = (series * 1_000_000 + (n * 7) + attempt).ToString("D8", CultureInfo.InvariantCulture);
            var sum = 0;
            for (var i = 0; i < 8; i++)
            {
                sum += (stem[i] - '0') * (9 - i);
            }

            var check = sum % 11;
            if (check < 10 && (stem + check) != "000000000")
            {
                var bsn = stem + check;
                if (SchoolExport.IsValidBsn(bsn))
                {
                    return bsn;
                }
            }
        }
    }

    /// <summary>
    /// An export of <paramref name="rows"/> students of the Hans Petrischool (BRIN 18XP) in Drechtsteden
    /// municipalities, with the <see cref="BadRows"/> that fall within it; Windows line endings, a BOM and
    /// quoted surnames with separators inside.
    /// </summary>
    public static string Write(string path, int series, int rows, bool withBadRows = true)
    {
        var municipalities = new[] { "0505", "0642", "0590", "0482" };
        var text = new StringBuilder(Header + "\r\n");
        for (var n = 1; n <= rows; n++)
        {
            var bsn = Bsn(series, n);
            var birth = new DateOnly(2008, 1, 1).AddDays(n % 700);
            var birthText = n % 2 == 0 ? birth.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : birth.ToString("dd-MM-yyyy", CultureInfo.InvariantCulture);
            var municipality = municipalities[n % municipalities.Length];
            var brin = "18XP";
            var leave = "2026-07-01";
            if (withBadRows && BadRows.TryGetValue(n, out var bad))
            {
                switch (bad.Reason)
                {
                    case "INVALID_BSN": bsn = bsn[..8] + ((bsn[8] - '0' + 1) % 10).ToString(CultureInfo.InvariantCulture); break;
                    case "INVALID_DATE": birthText = "30-02-2008"; break;
                    case "NO_SOCIAL_SERVICE": municipality = "0363"; break;
                    case "BRIN_NOT_OF_SCHOOL": brin = "21DS"; break;
                    case "MISSING_VALUE": leave = string.Empty; break;
                    case "DUPLICATE_STUDENT": bsn = Bsn(series, 1); break;
                }
            }

            text.Append(CultureInfo.InvariantCulture, $"L{n:D5};{bsn};\"Jansen; de {n}\";{birthText};{municipality};{brin};{leave}\r\n");
        }

        File.WriteAllText(path, text.ToString(), new UTF8Encoding(true));
        return path;
    }
}
