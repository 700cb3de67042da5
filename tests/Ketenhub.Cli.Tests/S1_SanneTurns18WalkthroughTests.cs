using System.Text.RegularExpressions;
using Google.Protobuf;
using Ketenhub.Cli.Tests.Infrastructure;
using Ketenhub.Testing;
using Ketenhub.Contracts.V1;

namespace Ketenhub.Cli.Tests;

/// <summary>
/// End to end: the real hub process and the tool's entry point, through scenario S1 ("Sanne turns 18") as
/// docs/walkthrough-s1.md walks it. The hub runs on the real clock, so Sanne (born 2008-03-14) is already 18: her
/// mother's consent from 2025 awaits her confirmation, and Sanne gives her own consent for her coach.
/// </summary>
public sealed partial class S1_SanneTurns18WalkthroughTests(HubProcessFixture hub) : IClassFixture<HubProcessFixture>
{
    [Fact]
    public async Task SchoolLeaverTransition_WaitsForSannesConsent_ThenReachesTheSocialService()
    {
        // 1. The Hans Petrischool registers Sanne.
        var registered = await Run("client", "register", "--as", "hans-petrischool", "--bsn", "111222333", "--birth-date", "2008-03-14", "--municipality", "0642", "--school", "hans-petrischool");
        Assert.True(registered.ExitCode == ExitCodes.Ok, registered.ToString());
        var client = registered.Output.Trim();
        Assert.Matches(ClientName(), client);

        // Each organisation has its own name for Sanne: Waakvlam Zorg and SDD learn theirs by registering her BSN
        // with the same birth date and municipality (they get no role by it).
        var atWaakvlam = (await Run("client", "register", "--as", "waakvlam-zorg", "--bsn", "111222333", "--birth-date", "2008-03-14", "--municipality", "0642")).Output.Trim();
        var atSdd = (await Run("client", "register", "--as", "sdd", "--bsn", "111222333", "--birth-date", "2008-03-14", "--municipality", "0642")).Output.Trim();
        Assert.Matches(ClientName(), atWaakvlam);
        Assert.Matches(ClientName(), atSdd);
        Assert.Equal(3, new[] { client, atWaakvlam, atSdd }.Distinct().Count());

        // 2. The school names coach Ahmed of waakvlam-zorg; then her mother's consent from 2025, recorded by
        // waakvlam-zorg (now the coach's organisation); Sanne has turned 18 since.
        var coach = await Run("coach", "assign", "--as", "hans-petrischool", "--client", client, "--coach-party", "waakvlam-zorg", "--coach-id", "ahmed", "--name", "Ahmed", "--phone", "078-1234567", "--email", "ahmed@waakvlam.example");
        Assert.True(coach.ExitCode == ExitCodes.Ok, coach.ToString());
        Assert.Contains("Coach Ahmed (waakvlam-zorg, ahmed)", coach.Output);
        // The mother's parental authority is recorded first: a parent's consent rests on it.
        var authority = await Run("representative", "add", "--as", "waakvlam-zorg", "--client", atWaakvlam, "--kind", "parental_authority", "--name", "Mw. De Jong", "--start", "2008-03-14");
        Assert.True(authority.ExitCode == ExitCodes.Ok, authority.ToString());
        Assert.StartsWith("representatives/", authority.Output.Trim(), StringComparison.Ordinal);
        var mother = await Run("consent", "grant", "--as", "waakvlam-zorg", "--client", atWaakvlam, "--grantor", "parent", "--to", "waakvlam-zorg", "--purpose", "coaching", "--category", "support_plan", "contact_details", "--start", "2025-09-01");
        Assert.True(mother.ExitCode == ExitCodes.Ok, mother.ToString());
        Assert.Contains("State AWAITING_CONFIRMATION", mother.Error);

        // 3. Sanne's own consent for her coach.
        var own = await Run("consent", "grant", "--as", "waakvlam-zorg", "--client", atWaakvlam, "--grantor", "client", "--to", "waakvlam-zorg", "--purpose", "coaching", "--category", "support_plan", "contact_details");
        Assert.True(own.ExitCode == ExitCodes.Ok, own.ToString());

        var consents = await Run("consent", "list", "--as", "waakvlam-zorg", "--client", atWaakvlam, "--json");
        var listed = JsonParser.Default.Parse<ListConsentsResponse>(consents.Output).Consents;
        Assert.Contains(listed, c => c.GrantorRole == GrantorRole.Parent && c.State == ConsentState.AwaitingConfirmation);
        Assert.Contains(listed, c => c.GrantorRole == GrantorRole.Client && c.State == ConsentState.Active);

        // 4. The school asks the hub what a school-leaver transition would do: SDD waits for consent, and why.
        string[] transition =
        [
            "--as", "hans-petrischool", "--client", client, "--kind", "school_leaver_18", "--from", "hans-petrischool", "--to", "sdd", "--effective", "2026-07-01",
            "--summary", "Sanne works well with her hands; a steady coach and clear agreements help.",
            "--referral-service", "participation_work", "--referral-performer", "sdd",
        ];
        var explained = await Run(["explain", "transition", .. transition]);
        Assert.True(explained.ExitCode == ExitCodes.Ok, explained.ToString());
        explained.LineWith("school-leaver-to-social-service");
        explained.LineWith("sdd", "AWAITING_CONSENT", "NO_CONSENT", "No active consent covers parties/sdd for purpose TRANSITION and categories SUPPORT_PLAN, CONTACT_DETAILS");
        explained.LineWith("waakvlam-zorg", "CONTENT", "CONSENT_ACTIVE");
        explained.LineWith("sdd", "AWAITING_CONSENT", "NO_CONSENT", "INCOME_AND_PARTICIPATION");

        // 5. The school announces it. SDD gets nothing yet.
        var sent = await Run(["transition", "send", .. transition]);
        Assert.True(sent.ExitCode == ExitCodes.Ok, sent.ToString());
        Assert.Contains("Coach after the transition: Ahmed (waakvlam-zorg).", sent.Output);
        sent.LineWith("sdd", "AWAITING_CONSENT", "NO_CONSENT");
        sent.LineWith("waakvlam-zorg", "CONTENT", "CONSENT_ACTIVE");
        var transitionName = TransitionName().Match(sent.Output).Value;

        var nothingYet = await Run("deliveries", "tail", "--as", "sdd", "--timeout", "1");
        Assert.True(nothingYet.ExitCode == ExitCodes.Ok, nothingYet.ToString());
        Assert.Contains("0 deliveries received", nothingYet.Error);

        // 6. Sanne consents to SDD: the waiting transition and referral are released.
        var sannes = await Run("consent", "grant", "--as", "sdd", "--client", atSdd, "--grantor", "client", "--to", "sdd", "--purpose", "transition", "income_and_participation", "--category", "support_plan", "contact_details", "work");
        Assert.True(sannes.ExitCode == ExitCodes.Ok, sannes.ToString());
        Assert.Contains("State ACTIVE; 2 waiting deliveries released.", sannes.Error);

        // 7. SDD tails its stream and acknowledges: the transition (committed before the referral it carries), then the referral, with Ahmed as coach.
        var tail = await Run("deliveries", "tail", "--as", "sdd", "--count", "2", "--ack", "--timeout", "15");
        Assert.True(tail.ExitCode == ExitCodes.Ok, tail.ToString());
        tail.LineWith("TRANSITION", atSdd, "CONTENT", transitionName, "SCHOOL_LEAVER_18 effective 2026-07-01, coach Ahmed (waakvlam-zorg)", "[ACKNOWLEDGED]");
        tail.LineWith("REFERRAL", atSdd, "CONTENT", "PARTICIPATION_WORK", "[ACKNOWLEDGED]");
        var again = await Run("deliveries", "tail", "--as", "sdd", "--timeout", "1");
        Assert.Contains("0 deliveries received", again.Error);

        // 8. Ahmed's organisation reads the journey.
        var journey = await Run("journey", "--as", "waakvlam-zorg", "--client", atWaakvlam);
        Assert.True(journey.ExitCode == ExitCodes.Ok, journey.ToString());
        journey.LineWith("CLIENT_REGISTERED", "hans-petrischool");
        journey.LineWith("TRANSITION_ANNOUNCED", "hans-petrischool", transitionName, "SCHOOL_LEAVER_18");
        journey.LineWith("CONSENT_GRANTED", "sdd", "CLIENT");

        // 9. Ahmed goes through Sanne's access report with her: who got what, when and why, in plain Dutch.
        var report = await Run("client", "report", "--as", "waakvlam-zorg", "--client", atWaakvlam);
        Assert.True(report.ExitCode == ExitCodes.Ok, report.ToString());
        Assert.StartsWith("Wie weet wat over jou?", report.Output, StringComparison.Ordinal);
        report.LineWith("kreeg Sociale Dienst Drechtsteden informatie over je overstap na school. Dat mocht, omdat jij toestemming gaf op");
        report.LineWith("kreeg Sociale Dienst Drechtsteden een aanvraag voor hulp bij werk.");
        report.LineWith("Jij gaf Sociale Dienst Drechtsteden toestemming op", "Deze toestemming geldt nu.");
        report.LineWith("Je ouder Mw. De Jong gaf Waakvlam Zorg toestemming op 1 september 2025.", "Je kunt hem zelf bevestigen met je coach.");
        Assert.DoesNotContain("111222333", report.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("CONSENT_", report.Output, StringComparison.Ordinal);

        // 10. A refusal is coded and exits 2.
        var invalid = await Run("client", "register", "--as", "hans-petrischool", "--bsn", "123456789", "--birth-date", "2008-03-14", "--municipality", "0642");
        Assert.Equal(ExitCodes.Refused, invalid.ExitCode);
        Assert.Contains("error: INVALID_BSN (InvalidArgument)", invalid.Error);
    }

    private async Task<CliResult> Run(params string[] args) => await Tool.RunAsync([.. args, "--hub", hub.Url]);

    [GeneratedRegex("^clients/cl_[0-9a-f]{32}$")]
    private static partial Regex ClientName();

    [GeneratedRegex("transitions/trn_[0-9a-f]{32}")]
    private static partial Regex TransitionName();
}
