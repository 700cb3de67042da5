using System.CommandLine;
using Google.Protobuf;
using Ketenhub.Contracts.V1;

namespace Ketenhub.Cli.Commands;

/// <summary>The options that describe a transition, shared by <c>transition send</c> and <c>explain transition</c>.</summary>
public sealed class TransitionOptions
{
    public Option<string> Client { get; } = ClientCommands.ClientOption(required: false);

    public Option<TransitionKind?> Kind { get; } = CliOptions.Enum<TransitionKind>("--kind", "The kind of move.");

    public Option<string> From { get; } = CliOptions.Text("--from", "The party the client leaves, for example hans-petrischool.", helpName: "party");

    public Option<string> To { get; } = CliOptions.Text("--to", "The party the client moves to, for example sdd.", helpName: "party");

    public Option<DateOnly?> Effective { get; } = CliOptions.Date("--effective", "The date the transition takes effect.");

    public Option<string> NewMunicipality { get; } = CliOptions.Text("--new-municipality", "For a relocation: the CBS code of the municipality the client moves to, for example 0512.", helpName: "code");

    public Option<string> Summary { get; } = CliOptions.Text("--summary", "Handover summary: what the client can do and needs.", helpName: "text");

    public Option<ServiceKind?> ReferralService { get; } = CliOptions.Enum<ServiceKind>("--referral-service", "Create a referral for this service together with the transition.", helpName: "service");

    public Option<string[]> ReferralPerformers { get; } = CliOptions.TextList("--referral-performer", "The referral's performer(s), party ids, for example sdd.", helpName: "party");

    public Option<string> ReferralReason { get; } = CliOptions.Text("--referral-reason", "Why the referred service is needed.", helpName: "text");

    public Option<LifeDomain[]> ReferralDomains { get; } = CliOptions.Enums<LifeDomain>("--referral-domain", "The life domains the referral is about.", helpName: "domain");

    public Option<string> File { get; } = CliOptions.Text("--file", "A draft Transition in protobuf JSON (fields as in transition.proto); the other options override its fields.", helpName: "draft.json");

    public void AddTo(Command command)
    {
        command.Options.Add(Client);
        command.Options.Add(Kind);
        command.Options.Add(From);
        command.Options.Add(To);
        command.Options.Add(Effective);
        command.Options.Add(NewMunicipality);
        command.Options.Add(Summary);
        command.Options.Add(ReferralService);
        command.Options.Add(ReferralPerformers);
        command.Options.Add(ReferralReason);
        command.Options.Add(ReferralDomains);
        command.Options.Add(File);
    }

    /// <summary>
    /// The transition: the draft file if given, with every option that is set written over it. A usage
    /// error when the client, kind or effective date is missing, or a referral option comes without the others it needs.
    /// </summary>
    public Transition Build(ParseResult parse) => Build(parse, clientRequired: true);

    /// <summary>As <see cref="Build(ParseResult)"/>; without <paramref name="clientRequired"/> the client may be left empty (explain for a prospective client).</summary>
    public Transition Build(ParseResult parse, bool clientRequired)
    {
        var transition = parse.GetValue(File) is { Length: > 0 } path ? Drafts.Read<Transition>(path) : new Transition();
        if (parse.GetValue(Client) is { Length: > 0 } client)
        {
            transition.Client = Names.Client(client);
        }

        if (parse.GetValue(Kind) is { } kind)
        {
            transition.Kind = kind;
        }

        if (parse.GetValue(From) is { Length: > 0 } from)
        {
            transition.FromParty = Names.Party(from);
        }

        if (parse.GetValue(To) is { Length: > 0 } to)
        {
            transition.ToParty = Names.Party(to);
        }

        if (parse.GetValue(Effective) is { } effective)
        {
            transition.EffectiveDate = Render.ToDate(effective);
        }

        if (parse.GetValue(NewMunicipality) is { Length: > 0 } municipality)
        {
            transition.NewMunicipalityCode = municipality;
        }

        if (parse.GetValue(Summary) is { } summary)
        {
            transition.HandoverSummary = summary;
        }

        var service = parse.GetValue(ReferralService);
        var performers = parse.GetValue(ReferralPerformers) ?? [];
        var reason = parse.GetValue(ReferralReason);
        var domains = parse.GetValue(ReferralDomains) ?? [];
        if (service is null && (performers.Length > 0 || reason is not null || domains.Length > 0))
        {
            throw new CliUsageException("--referral-performer, --referral-reason and --referral-domain need --referral-service.");
        }

        if (service is { } referralService)
        {
            if (performers.Length == 0)
            {
                throw new CliUsageException("--referral-service needs at least one --referral-performer.");
            }

            var referral = new Referral { Service = referralService, Reason = reason ?? string.Empty };
            referral.LifeDomains.Add(domains);
            referral.Performers.Add(performers.Select(p => new ReferralPerformer { Party = Names.Party(p) }));
            transition.Referrals.Add(referral);
        }

        var missing = new List<string>();
        if (transition.Client.Length == 0 && clientRequired)
        {
            missing.Add("--client");
        }

        if (transition.Kind == TransitionKind.Unspecified)
        {
            missing.Add("--kind");
        }

        if (transition.EffectiveDate is null)
        {
            missing.Add("--effective");
        }

        if (missing.Count > 0)
        {
            throw new CliUsageException($"The transition needs {string.Join(", ", missing)} (as options or in --file).");
        }

        return transition;
    }
}

/// <summary>The options that describe a signal, shared by <c>signal send</c> and <c>explain signal</c>.</summary>
public sealed class SignalOptions(bool clientRequired = true)
{
    public Option<string> Client { get; } = ClientCommands.ClientOption(clientRequired);

    public Option<SignalKind?> Kind { get; } = CliOptions.Enum<SignalKind>("--kind", "The kind of early warning.", required: true);

    public Option<LifeDomain?> Domain { get; } = CliOptions.Enum<LifeDomain>("--domain", "The life domain it concerns.", required: true);

    public Option<SignalSeverity?> Severity { get; } = CliOptions.Enum<SignalSeverity>("--severity", "How serious it is.", required: true);

    public Option<string> Description { get; } = CliOptions.Text("--description", "What is going on (free text; delivered only under consent).", helpName: "text");

    public void AddTo(Command command)
    {
        command.Options.Add(Client);
        command.Options.Add(Kind);
        command.Options.Add(Domain);
        command.Options.Add(Severity);
        command.Options.Add(Description);
    }

    public Signal Build(ParseResult parse) => new()
    {
        Client = parse.GetValue(Client) is { Length: > 0 } client ? Names.Client(client) : string.Empty,
        Kind = parse.GetValue(Kind) ?? SignalKind.Unspecified,
        LifeDomain = parse.GetValue(Domain) ?? LifeDomain.Unspecified,
        Severity = parse.GetValue(Severity) ?? SignalSeverity.Unspecified,
        Description = parse.GetValue(Description) ?? string.Empty,
    };
}

/// <summary>
/// <c>explain</c>'s options for a client the hub does not know yet: the facts a registration would take
/// (never a BSN), used instead of <c>--client</c>.
/// </summary>
public sealed class ProspectiveOptions
{
    public Option<DateOnly?> BirthDate { get; } = CliOptions.Date("--birth-date", "For a client the hub does not know yet (instead of --client): the date of birth.");

    public Option<string> Municipality { get; } = CliOptions.Text("--municipality", "For a client the hub does not know yet: CBS code of the municipality, for example 0642 (Zwijndrecht).", helpName: "code");

    public Option<string> School { get; } = CliOptions.Text("--school", "For a client the hub does not know yet: the school of record it would be registered with, a party id such as hans-petrischool.", helpName: "party");

    public void AddTo(Command command)
    {
        command.Options.Add(BirthDate);
        command.Options.Add(Municipality);
        command.Options.Add(School);
    }

    /// <summary>
    /// The prospective client, or null when none is described. A usage error when the draft names a client
    /// as well, when neither is given, or when only part of the facts is.
    /// </summary>
    public ProspectiveClient? Build(ParseResult parse, string draftClient)
    {
        var birthDate = parse.GetValue(BirthDate);
        var municipality = parse.GetValue(Municipality)?.Trim();
        var school = parse.GetValue(School)?.Trim();
        var described = birthDate is not null || !string.IsNullOrEmpty(municipality) || !string.IsNullOrEmpty(school);
        if (!described)
        {
            return draftClient.Length > 0
                ? null
                : throw new CliUsageException("Name the client with --client, or describe a client the hub does not know yet with --birth-date and --municipality (and --school).");
        }

        if (draftClient.Length > 0)
        {
            throw new CliUsageException("--birth-date, --municipality and --school describe a client the hub does not know yet; leave out --client (or its client in --file) to use them.");
        }

        if (birthDate is null || string.IsNullOrEmpty(municipality))
        {
            throw new CliUsageException("A client the hub does not know yet needs both --birth-date and --municipality.");
        }

        return new ProspectiveClient
        {
            BirthDate = Render.ToDate(birthDate.Value),
            MunicipalityCode = municipality,
            School = string.IsNullOrEmpty(school) ? string.Empty : Names.Party(school),
        };
    }
}

/// <summary>Reads draft messages from protobuf JSON files.</summary>
public static class Drafts
{
    private static readonly JsonParser Parser = new(JsonParser.Settings.Default);

    public static T Read<T>(string path)
        where T : IMessage<T>, new()
    {
        string text;
        try
        {
            text = System.IO.File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new CliUsageException($"--file: cannot read '{path}': {ex.Message}");
        }

        try
        {
            return Parser.Parse<T>(text);
        }
        catch (Exception ex) when (ex is InvalidProtocolBufferException or InvalidJsonException or FormatException)
        {
            throw new CliUsageException($"--file: '{path}' is not a {typeof(T).Name} in protobuf JSON: {ex.Message}");
        }
    }
}
