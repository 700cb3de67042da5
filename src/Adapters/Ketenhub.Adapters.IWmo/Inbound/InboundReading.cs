using System.Xml.Linq;
using Google.Protobuf;
using Ketenhub.Adapters.IWmo.Codes;
using Ketenhub.Adapters.IWmo.Schemas;

namespace Ketenhub.Adapters.IWmo.Inbound;

/// <summary>One hub command read from a partner's message, to be executed as <see cref="Caller"/>.</summary>
/// <param name="Caller">The party on whose behalf the command runs, <c>parties/{party}</c>.</param>
/// <param name="Request">The contract request: <c>AcceptReferralRequest</c>, <c>StartReferralRequest</c> or <c>EndReferralRequest</c>, with a request id derived from the message so a repeated message is idempotent.</param>
/// <param name="Element">The message element (berichtklasse) the command came from; its retour codes depend on the command's outcome.</param>
public sealed record InboundCommand(string Caller, IMessage Request, XElement Element)
{
    /// <summary>The toewijzing or verzoek the element refers to, as the hub knew it when the message was read.</summary>
    public IWmoToewijzing? Toewijzing { get; init; }
}

/// <summary>A partner's retour on a message the hub sent.</summary>
/// <param name="Identificatie">The identification of the hub's message it answers (the delivery's sequence).</param>
/// <param name="Accepted">True when every class carries only 0200.</param>
/// <param name="Codes">Every retour code that is not 0200, in document order.</param>
public sealed record RetourReceived(string Identificatie, bool Accepted, IReadOnlyList<string> Codes);

/// <summary>
/// The result of reading one inbound message: refused before anything else (<see cref="Refusal"/>), a retour on
/// the hub's own message (<see cref="RetourReceived"/>), or a heenbericht with the commands it carries and the
/// retour to answer it with.
/// </summary>
public sealed class InboundReading
{
    private readonly Dictionary<XElement, List<string>> _codes;

    internal InboundReading(
        string? refusal,
        IReadOnlyList<SchemaProblem> problems,
        IStandaard? standaard,
        Bericht? bericht,
        XDocument? document,
        IReadOnlyList<InboundCommand> commands,
        Dictionary<XElement, List<string>> codes,
        RetourReceived? retourReceived,
        DateOnly today)
    {
        Refusal = refusal;
        Problems = problems;
        Standaard = standaard;
        Bericht = bericht;
        Document = document;
        Commands = commands;
        _codes = codes;
        RetourReceived = retourReceived;
        Today = today;
    }

    /// <summary>
    /// A Fo01 code when the message is refused as a whole before a retour can be written (not well-formed or not
    /// schema-valid: IB001; a message this adapter does not take: IB004; an unknown party: IB005/IB010). Nothing
    /// of a refused message is stored or executed.
    /// </summary>
    public string? Refusal { get; }

    /// <summary>
    /// The message type received (for example <c>WMO315</c> or <c>JW306</c>, from its namespace, else <c>BerichtCode 417</c>),
    /// when the message was refused as one the adapter does not take (IB004); null otherwise.
    /// </summary>
    public string? Received { get; init; }

    /// <summary>Where the message broke the schema (no values).</summary>
    public IReadOnlyList<SchemaProblem> Problems { get; }

    /// <summary>The standard of the message, once identified.</summary>
    public IStandaard? Standaard { get; }

    /// <summary>The message, once identified.</summary>
    public Bericht? Bericht { get; }

    /// <summary>The validated message.</summary>
    public XDocument? Document { get; }

    /// <summary>The hub commands the message carries (none when refused or rejected in its header).</summary>
    public IReadOnlyList<InboundCommand> Commands { get; }

    /// <summary>Set when the message is a partner's retour on one of the hub's messages.</summary>
    public RetourReceived? RetourReceived { get; }

    /// <summary>The date the message was read on.</summary>
    public DateOnly Today { get; }

    /// <summary>The codes the adapter already decided for the header (before any command ran).</summary>
    public IReadOnlyList<string> HeaderCodes =>
        Document?.Root?.Element(Document.Root.Name.Namespace + "Header") is { } header && _codes.TryGetValue(header, out var c) ? c : [];

    /// <summary>Whether a retour answers this message.</summary>
    public bool HasRetour => Refusal is null && RetourReceived is null && Document is not null;

    /// <summary>
    /// The retour for the message. <paramref name="outcomes"/> gives the hub's error reason for each command that
    /// failed (a command not listed succeeded); each failure becomes the retour code the standard has for it.
    /// </summary>
    public XDocument BuildRetour(IReadOnlyDictionary<InboundCommand, string>? outcomes = null)
    {
        if (!HasRetour)
        {
            throw new InvalidOperationException("A refused message or a retour gets no retour.");
        }

        var codes = _codes.ToDictionary(p => p.Key, p => new List<string>(p.Value));
        foreach (var command in Commands)
        {
            if (outcomes is not null && outcomes.TryGetValue(command, out var reason))
            {
                codes[command.Element] = [RetourCodeFor(reason, command)];
            }
        }

        return RetourWriter.Write(Standaard!.Value, Bericht!.Value, Document!, codes, Today);
    }

    /// <summary>The outcome of a command that did not run because an earlier one failed (retour code 0233).</summary>
    public const string NotAssessed = "NOT_ASSESSED";

    /// <summary>
    /// The WJ001 code for a hub error reason on a command. A step the referral's state does not allow gets the code of
    /// the rule it breaks, decided from the state the hub had when it read the message (a refused step changes nothing,
    /// so that is the state it was refused in).
    /// </summary>
    public static string RetourCodeFor(string hubReason, InboundCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        var known = command.Toewijzing;
        return (hubReason, command.Request) switch
        {
            (NotAssessed, _) => RetourCodes.NietBeoordeeld,
            ("REQUEST_ID_REUSED", Contracts.V1.CreateReferralRequest) => RetourCodes.ReferentieNietUniek,
            ("REFERRAL_NOT_FOUND" or "NOT_A_PERFORMER", Contracts.V1.AcceptReferralRequest) => RetourCodes.ReferentieOnbekend,
            ("REFERRAL_NOT_FOUND" or "NOT_A_PERFORMER", _) => RetourCodes.NietGekoppeldAanToewijzing,
            ("ILLEGAL_REFERRAL_STEP", Contracts.V1.StartReferralRequest start) => StartRefused(known, start),
            ("ILLEGAL_REFERRAL_STEP", Contracts.V1.EndReferralRequest end) => StopRefused(known, end),

            // TR379: a toewijzing whose verzoek was already answered (accepted or declined) refers to no open verzoek.
            ("ILLEGAL_REFERRAL_STEP", _) => RetourCodes.ReferentieOnbekend,
            _ => RetourCodes.TechnischAfgekeurd,
        };
    }

    private static string StartRefused(IWmoToewijzing? known, Contracts.V1.StartReferralRequest start)
    {
        var begin = start.StartDate is { } d ? new DateOnly(d.Year, d.Month, d.Day) : (DateOnly?)null;
        return known?.Status switch
        {
            // TR074: a start with the key (BSN, ToewijzingNummer, Begindatum) of one already received.
            Contracts.V1.PerformerStatus.Started or Contracts.V1.PerformerStatus.Ended when known.StartDate == begin => RetourCodes.AlEerderOntvangen,

            // TR326: a new start while the current delivery has not been stopped with a 307.
            Contracts.V1.PerformerStatus.Started => RetourCodes.NogNietGestopt,

            // TR019: the hub ends a toewijzing with its stop, and a declined one was never given: no toewijzing to link to.
            Contracts.V1.PerformerStatus.Ended or Contracts.V1.PerformerStatus.Declined => RetourCodes.NietGekoppeldAanToewijzing,

            // TR063: the toewijzing has not been taken yet (no accepting 302 received), so the start has no earlier message.
            _ => RetourCodes.GeenEerderBericht,
        };
    }

    private static string StopRefused(IWmoToewijzing? known, Contracts.V1.EndReferralRequest end)
    {
        var last = end.EndDate is { } d ? new DateOnly(d.Year, d.Month, d.Day) : (DateOnly?)null;
        return known?.Status switch
        {
            // TR415: a stop with the key (BSN, ToewijzingNummer, Begindatum) of one already received (not a death, reason 20).
            Contracts.V1.PerformerStatus.Ended when known.EndDate == last => RetourCodes.StopAlOntvangen,

            // TR069: no current start with the same key.
            _ => RetourCodes.GeenActueelStartbericht,
        };
    }
}
