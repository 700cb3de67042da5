using Ketenhub.Cli.Tests.Infrastructure;
using Ketenhub.Contracts.V1;

namespace Ketenhub.Cli.Tests;

/// <summary>Command lines the tool refuses before calling the hub: exit code 1 and a message that says what is wrong.</summary>
public sealed class UsageTests
{
    private readonly FakeHub _hub = new();

    [Fact]
    public async Task UnknownEnumValue_IsAUsageError_ThatListsTheChoices()
    {
        var result = await Run("consent", "grant", "--as", "sdd", "--client", "cli_1", "--grantor", "uncle", "--to", "sdd", "--purpose", "coaching", "--category", "work");

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("--grantor: 'uncle' is not one of client, parent, mentor, curator, guardian, administrator.", result.Error);
        Assert.Empty(_hub.Calls);
    }

    [Fact]
    public async Task OneBadValueInAList_IsAUsageError()
    {
        var result = await Run("consent", "grant", "--as", "sdd", "--client", "cli_1", "--grantor", "client", "--to", "sdd", "--purpose", "transition,bogus", "--category", "work");

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("--purpose: 'bogus' is not one of coaching, care_delivery, transition, signal_follow_up, income_and_participation, coordination.", result.Error);
    }

    [Theory]
    [InlineData("14-03-2008")]
    [InlineData("2008-02-30")]
    [InlineData("2008/03/14")]
    [InlineData("tomorrow")]
    public async Task DateNotInIsoForm_IsAUsageError(string date)
    {
        var result = await Run("client", "register", "--as", "hans-petrischool", "--bsn", "111222333", "--birth-date", date, "--municipality", "0642");

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains($"--birth-date: '{date}' is not a date in the form yyyy-MM-dd.", result.Error);
        Assert.Empty(_hub.Calls);
    }

    [Fact]
    public async Task MissingRequiredOption_IsAUsageError_WithAPointerToHelp()
    {
        var result = await Run("client", "register", "--as", "hans-petrischool", "--bsn", "111222333", "--municipality", "0642");

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("--birth-date", result.Error);
        Assert.Contains("See 'ketenhub client register --help'.", result.Error);
    }

    [Fact]
    public async Task MissingParty_IsAUsageError()
    {
        var result = await Run("consent", "list", "--client", "cli_1");

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("Identify the caller with --token <bearer token> (or $KETENHUB_TOKEN), with --client-cert on the hub's mutual TLS endpoint, or on a development hub with --as <party id> (or $KETENHUB_PARTY).", result.Error);
        Assert.Empty(_hub.Calls);
    }

    [Theory]
    [InlineData("--hub", "http://127.0.0.1:5080", "--client-cert", "{cert}", "--client-key", "{key}", "need an https:// --hub")]
    [InlineData("--hub", "http://127.0.0.1:5080", "--ca-file", "{cert}", "", "", "need an https:// --hub")]
    [InlineData("--hub", "https://127.0.0.1:5443", "--client-key", "{key}", "", "", "--client-key needs --client-cert.")]
    [InlineData("--hub", "https://127.0.0.1:5443", "--client-cert", "{missing}", "", "", "does not exist")]
    [InlineData("--hub", "https://127.0.0.1:5443", "--client-cert", "{key}", "", "", "not a PEM certificate with its --client-key, nor a PKCS#12 file")]
    [InlineData("--hub", "https://127.0.0.1:5443", "--ca-file", "{key}", "", "", "--ca-file: the file holds no certificate.")]
    public async Task TlsOptions_ThatCannotWork_AreUsageErrors_BeforeAnyCall(string hubOption, string hub, string option, string file, string secondOption, string secondFile, string expected)
    {
        var folder = Directory.CreateTempSubdirectory("ketenhub-cli-tls-");
        try
        {
            using var key = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
            var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=sdd", key, System.Security.Cryptography.HashAlgorithmName.SHA256);
            using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddDays(1));
            var paths = new Dictionary<string, string>
            {
                ["{cert}"] = Path.Combine(folder.FullName, "sdd.pem"),
                ["{key}"] = Path.Combine(folder.FullName, "sdd-key.pem"),
                ["{missing}"] = Path.Combine(folder.FullName, "absent.pem"),
            };
            await File.WriteAllTextAsync(paths["{cert}"], certificate.ExportCertificatePem());
            await File.WriteAllTextAsync(paths["{key}"], key.ExportPkcs8PrivateKeyPem());
            string[] args = ["client", "register", hubOption, hub, option, paths.GetValueOrDefault(file, file), "--bsn", "111222333", "--birth-date", "2008-03-14", "--municipality", "0505"];
            if (secondOption.Length > 0)
            {
                args = [.. args, secondOption, paths.GetValueOrDefault(secondFile, secondFile)];
            }

            var result = await Run(args);

            Assert.Equal(ExitCodes.Usage, result.ExitCode);
            Assert.Contains(expected, result.Error);
            Assert.Empty(_hub.Calls);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData("localhost:5080")]
    [InlineData("ftp://127.0.0.1:5080")]
    [InlineData("not a url")]
    public async Task HubThatIsNotAnHttpAddress_IsAUsageError(string hub)
    {
        var result = await Run("health", "--hub", hub);

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("is not an http:// or https:// address", result.Error);
    }

    [Theory]
    [InlineData("bogus")]
    [InlineData("consent")]
    [InlineData("consent", "grant", "--as", "sdd", "--nonsense")]
    public async Task UnknownOrIncompleteCommand_IsAUsageError(params string[] args)
    {
        var result = await Run(args);

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.StartsWith("error: ", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_ExitsZero_AndListsTheCommands()
    {
        var result = await Run("--help");

        Assert.Equal(ExitCodes.Ok, result.ExitCode);
        foreach (var command in new[] { "client", "coach", "consent", "transition", "signal", "explain", "deliveries", "journey", "health" })
        {
            Assert.Contains(command, result.Output);
        }
    }

    [Fact]
    public async Task Transition_NeedsClientKindAndEffectiveDate()
    {
        var result = await Run("transition", "send", "--as", "hans-petrischool", "--summary", "text");

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("The transition needs --client, --kind, --effective (as options or in --file).", result.Error);
        Assert.Empty(_hub.Calls);
    }

    [Fact]
    public async Task ReferralOptions_NeedAService_AndAServiceNeedsAPerformer()
    {
        string[] transition = ["transition", "send", "--as", "hans-petrischool", "--client", "cli_1", "--kind", "school_leaver_18", "--effective", "2026-07-01"];

        var withoutService = await Run([.. transition, "--referral-performer", "sdd"]);
        var withoutPerformer = await Run([.. transition, "--referral-service", "participation_work"]);

        Assert.Equal(ExitCodes.Usage, withoutService.ExitCode);
        Assert.Contains("need --referral-service", withoutService.Error);
        Assert.Equal(ExitCodes.Usage, withoutPerformer.ExitCode);
        Assert.Contains("--referral-service needs at least one --referral-performer.", withoutPerformer.Error);
        Assert.Empty(_hub.Calls);
    }

    [Fact]
    public async Task DraftFileThatIsMissingOrNotATransition_IsAUsageError()
    {
        var path = Path.Combine(Path.GetTempPath(), "ketenhub-cli-" + Guid.NewGuid().ToString("N") + ".json");
        await File.WriteAllTextAsync(path, "{ \"kind\": \"NO_SUCH_KIND\" }");
        try
        {
            var missing = await Run("explain", "transition", "--as", "hans-petrischool", "--file", path + ".absent");
            var invalid = await Run("explain", "transition", "--as", "hans-petrischool", "--file", path);

            Assert.Equal(ExitCodes.Usage, missing.ExitCode);
            Assert.Contains("--file: cannot read", missing.Error);
            Assert.Equal(ExitCodes.Usage, invalid.ExitCode);
            Assert.Contains("is not a Transition in protobuf JSON", invalid.Error);
            Assert.Empty(_hub.Calls);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task TailCountBelowOne_IsAUsageError()
    {
        var result = await Run("deliveries", "tail", "--as", "sdd", "--count", "0");

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("--count must be at least 1.", result.Error);
        Assert.DoesNotContain(_hub.Calls, c => c.Request is StreamDeliveriesRequest);
    }

    private Task<CliResult> Run(params string[] args) => Tool.RunAsync(new Dictionary<string, string>(), _hub.Connect, args);
}
