using Ketenhub.Cli.Import;

namespace Ketenhub.Cli.Tests.Import;

/// <summary>Reading a school export: CSV as Dutch packages write it, and the checks on each row before anything is sent.</summary>
public sealed class SchoolExportTests
{
    private static readonly DateOnly Today = new(2026, 11, 23);

    private static List<CsvRecord> Read(string text)
    {
        using var csv = CsvRecords.FromReader(new StringReader(text));
        var records = new List<CsvRecord>();
        while (csv.Next() is { } record)
        {
            records.Add(record);
        }

        return records;
    }

    [Fact]
    public void Semicolons_Quotes_Crlf_AndALineBreakInsideQuotes()
    {
        var records = Read("\uFEFFbsn;naam;geboortedatum\r\n111222333;\"Jansen; Sanne\";2008-03-14\r\n\r\n123456782;\"De \"\"Grote\"\"\r\nBeer\";14-03-2008\r\n");

        Assert.Equal(3, records.Count);
        Assert.Equal(["bsn", "naam", "geboortedatum"], records[0].Fields);
        Assert.Equal(["111222333", "Jansen; Sanne", "2008-03-14"], records[1].Fields);
        Assert.Equal(2, records[1].Line);
        Assert.Equal(["123456782", "De \"Grote\"\r\nBeer", "14-03-2008"], records[2].Fields);
        Assert.Equal(4, records[2].Line);
    }

    [Fact]
    public void Commas_WhenTheHeaderUsesThem_LfOrCrEndings_AndNoFinalLineBreak()
    {
        var records = Read("bsn,brin\n111222333,\"18XP\"\r123456782 , 21DS");

        Assert.Equal(',', CsvRecords.FromReader(new StringReader("bsn,brin\n")).Separator);
        Assert.Equal(["111222333", "18XP"], records[1].Fields);
        Assert.Equal(["123456782", "21DS"], records[2].Fields);
        Assert.Equal(3, records[2].Line);
    }

    [Fact]
    public void Header_TakesDutchNames_InAnyCase_AndNamesTheMissingColumns()
    {
        var map = SchoolExport.MapHeader(["Leerlingnummer", "BSN", "Geboortedatum", "Gemeentecode", "BRIN", "Verwachte uitstroomdatum", "Achternaam"], out var missing);
        Assert.NotNull(map);
        Assert.Empty(missing);
        Assert.Equal(1, map[SchoolExport.BsnColumn]);
        Assert.Equal(5, map[SchoolExport.LeaveDateColumn]);

        Assert.Null(SchoolExport.MapHeader(["bsn", "birth_date", "brin"], out missing));
        Assert.Equal([SchoolExport.MunicipalityColumn, SchoolExport.LeaveDateColumn], missing);
    }

    [Theory]
    [InlineData("111222333;2008-03-14;0642;18XP;2026-07-01", "", "")]
    [InlineData("11222335;14-03-2008;GM0642;18xp;01-07-2026", "", "")]
    [InlineData("123456789;2008-03-14;0642;18XP;2026-07-01", "bsn", "INVALID_BSN")]
    [InlineData("111222333;2008-02-30;0642;18XP;2026-07-01", "birth_date", "INVALID_DATE")]
    [InlineData("111222333;2027-01-01;0642;18XP;2044-07-01", "birth_date", "INVALID_BIRTH_DATE")]
    [InlineData("111222333;2008-03-14;64a2;18XP;2026-07-01", "municipality_code", "INVALID_MUNICIPALITY_CODE")]
    [InlineData("111222333;2008-03-14;0642;XP18;2026-07-01", "brin", "INVALID_BRIN")]
    [InlineData("111222333;2008-03-14;0642;18XP;2020-07-01", "expected_leave_date", "LEAVE_AGE_OUT_OF_RANGE")]
    [InlineData("111222333;2008-03-14;;18XP;2026-07-01", "municipality_code", "MISSING_VALUE")]
    [InlineData("111222333;2008-03-14;0642;18XP", "expected_leave_date", "MISSING_VALUE")]
    [InlineData("111222333;2008-03-14;0642;18XP;2026-07-01;extra", "", "TOO_MANY_FIELDS")]
    public void Row_IsCheckedBeforeAnythingIsSent_WithACodedReasonPerColumn(string line, string column, string reason)
    {
        var records = Read("bsn;birth_date;municipality_code;brin;expected_leave_date\n" + line + "\n");
        var map = SchoolExport.MapHeader(records[0].Fields, out _)!;
        var problems = new List<RowProblem>();

        var row = SchoolExport.Validate(records[1], 1, map, records[0].Fields.Count, Today, problems);

        if (reason.Length == 0)
        {
            Assert.Empty(problems);
            Assert.NotNull(row);
            Assert.Equal(9, row.Bsn.Length);
            Assert.Equal("0642", row.MunicipalityCode);
            Assert.Equal("18XP", row.Brin);
            Assert.Equal(new DateOnly(2026, 7, 1), row.ExpectedLeaveDate);
            return;
        }

        Assert.Null(row);
        var problem = Assert.Single(problems);
        Assert.Equal((1, 2, column, reason), (problem.Row, problem.Line, problem.Column, problem.Reason));
        Assert.DoesNotContain("111222333", problem.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void RequestIds_AreTheSameForTheSameRowSchoolBatchAndKey_AndDifferOtherwise()
    {
        var key = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();
        var row = new ExportRow(1, 2, "111222333", new DateOnly(2008, 3, 14), "0642", "18XP", new DateOnly(2026, 7, 1)) { SocialService = "parties/sdd" };
        var id = SchoolExport.RequestIdBase(key, "hans-petrischool", "export.csv", row);

        Assert.Matches("^imp-[0-9a-f]{40}$", id);
        Assert.Equal(id, SchoolExport.RequestIdBase(key, "hans-petrischool", "export.csv", row with { Row = 7, Line = 9 }));
        Assert.NotEqual(id, SchoolExport.RequestIdBase(key, "de-sprong", "export.csv", row));
        Assert.NotEqual(id, SchoolExport.RequestIdBase(key, "hans-petrischool", "export-2.csv", row));
        Assert.NotEqual(id, SchoolExport.RequestIdBase(key, "hans-petrischool", "export.csv", row with { ExpectedLeaveDate = new DateOnly(2026, 8, 1) }));
        Assert.NotEqual(id, SchoolExport.RequestIdBase([.. key.Reverse()], "hans-petrischool", "export.csv", row));

        // The transition's id depends on the hub's client, not on the key or the BSN.
        var transition = SchoolExport.TransitionRequestId("hans-petrischool", "export.csv", "clients/cli_1", row);
        Assert.Matches("^imp-[0-9a-f]{40}-t$", transition);
        Assert.Equal(transition, SchoolExport.TransitionRequestId("hans-petrischool", "export.csv", "clients/cli_1", row with { Bsn = "123456782" }));
        Assert.NotEqual(transition, SchoolExport.TransitionRequestId("hans-petrischool", "export.csv", "clients/cli_2", row));
    }

    [Fact]
    public void ImportKey_IsCreatedOnce_OwnerOnly_AndReadBack()
    {
        var path = Path.Combine(Path.GetTempPath(), $"ketenhub-import-key-{Guid.NewGuid():N}", "id.key");
        try
        {
            var created = ImportKey.LoadOrCreate(path);
            Assert.Equal(32, created.Length);
            Assert.Equal(created, ImportKey.LoadOrCreate(path));
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            }

            File.WriteAllText(path, "not a key");
            Assert.Throws<CliUsageException>(() => ImportKey.LoadOrCreate(path));
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
        }
    }
}
