using Ketenhub.Client;
using Ketenhub.Contracts.V1;
using DutchTime = Ketenhub.Hub.Common.DutchTime;

namespace Ketenhub.Simulation;

/// <summary>What to simulate (docs/monitor.md, "A simulated pilot").</summary>
public sealed record SimulationOptions
{
    /// <summary>The seed: the same seed, size and period give the same pilot and the same report.</summary>
    public int Seed { get; init; } = 7;

    /// <summary>The pilot's size as a share of the full size (the caseloads at the start and the inflow); CI uses less.</summary>
    public double Scale { get; init; } = 1.0;

    /// <summary>The pilot's first day (the start of a school year).</summary>
    public DateOnly From { get; init; } = new(2024, 9, 1);

    /// <summary>How many months the pilot runs.</summary>
    public int Months { get; init; } = 24;

    /// <summary>The folder for the hub's data and the development issuer's key; it must be empty or absent.</summary>
    public required string DataDirectory { get; init; }

    /// <summary>The hub's gRPC port on 127.0.0.1; 0 for a free one.</summary>
    public int Port { get; init; }

    /// <summary>The day after the pilot's last day.</summary>
    public DateOnly To => From.AddMonths(Months);
}

/// <summary>What the simulation did, and the pilot report the hub made of it the day after the pilot.</summary>
public sealed record SimulationResult(PilotReport Report, IReadOnlyDictionary<string, int> Actions, IReadOnlyDictionary<string, int> Refusals, int Clients)
{
    /// <summary>Signals that reached the coach as a content-free notice only: nothing to acknowledge.</summary>
    public int NoticesToCoach { get; init; }
}

/// <summary>
/// A seeded two-year waakvlam pilot in Zwijndrecht, played through the hub's API (the C# SDK, as the demo parties) into a
/// fresh hub whose clock it moves: two VSO schools and the social service register clients, two part-time coaches of
/// Waakvlam Zorg take them on, signals come in and are acknowledged (or escalate), support scales up and down, young
/// people turn 18 and leave school, a few clients move or withdraw a consent, and support ends. Every rate and share is
/// in <see cref="Assumptions"/> and docs/monitor.md. Events are kept in one queue ordered by time and then by the order
/// they were planned, and every random draw happens when an event is planned, so the same seed plays the same pilot.
/// </summary>
public sealed class PilotSimulation
{
    private const string Zwijndrecht = "0642";
    private const string Waakvlam = "waakvlam-zorg";
    private static readonly (string Id, string Name) YouthCoach = ("ahmed", "Ahmed");
    private static readonly (string Id, string Name) AdultCoach = ("lisa", "Lisa");
    private static readonly string[] Schools = ["hans-petrischool", "de-sprong"];

    private readonly SimulationOptions _options;
    private readonly SimulatedHub _hub;
    private readonly Random _random;
    private readonly PriorityQueue<Func<Task>, (DateTimeOffset Time, long Order)> _queue = new();
    private readonly Dictionary<string, KetenhubClient> _callers = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, int> _actions = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, int> _refusals = new(StringComparer.Ordinal);
    private readonly HashSet<string> _bsns = new(StringComparer.Ordinal);
    private readonly DateTimeOffset _end;
    private long _order;
    private int _clients;
    private int _notices;
    private CancellationToken _cancellationToken;

    private PilotSimulation(SimulationOptions options, SimulatedHub hub)
    {
        _options = options;
        _hub = hub;
        _random = new Random(options.Seed);
        _end = DutchTime.StartOf(options.To);
    }

    /// <summary>Starts a hub over a fresh data directory, plays the pilot, and asks the hub for its pilot report.</summary>
    public static async Task<(SimulationResult Result, SimulatedHub Hub)> RunAsync(SimulationOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (Directory.Exists(options.DataDirectory) && Directory.EnumerateFileSystemEntries(options.DataDirectory).Any())
        {
            throw new InvalidOperationException($"The data directory '{options.DataDirectory}' is not empty: the simulation plays into a fresh hub.");
        }

        var hub = await SimulatedHub.StartAsync(options.DataDirectory, DutchTime.StartOf(options.From).AddHours(8), options.Port, cancellationToken).ConfigureAwait(false);
        try
        {
            var simulation = new PilotSimulation(options, hub) { _cancellationToken = cancellationToken };
            return (await simulation.PlayAsync().ConfigureAwait(false), hub);
        }
        catch
        {
            await hub.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task<SimulationResult> PlayAsync()
    {
        // The caseloads at the start arrive in the first weeks of the school year; then the monthly inflow.
        for (var i = 0; i < Scaled(Assumptions.YoungAtStart); i++)
        {
            Plan(Day(_options.From, _random.Next(0, 21)), () => ArriveAsync(young: true));
        }

        for (var i = 0; i < Scaled(Assumptions.AdultsAtStart); i++)
        {
            Plan(Day(_options.From, _random.Next(0, 30)), () => ArriveAsync(young: false));
        }

        for (var month = 1; month < _options.Months - Assumptions.NoIntakeInLastMonths; month++)
        {
            var first = _options.From.AddMonths(month);
            var days = first.AddMonths(1).DayNumber - first.DayNumber;
            for (var i = Poisson(Assumptions.YoungInflowPerMonth * _options.Scale); i > 0; i--)
            {
                Plan(Day(first, _random.Next(0, days)), () => ArriveAsync(young: true));
            }

            for (var i = Poisson(Assumptions.AdultInflowPerMonth * _options.Scale); i > 0; i--)
            {
                Plan(Day(first, _random.Next(0, days)), () => ArriveAsync(young: false));
            }
        }

        while (_queue.TryDequeue(out var action, out var at))
        {
            if (at.Time >= _end)
            {
                continue;
            }

            _cancellationToken.ThrowIfCancellationRequested();
            await _hub.AdvanceToAsync(at.Time, _cancellationToken).ConfigureAwait(false);
            await action().ConfigureAwait(false);
        }

        // The day after the pilot, the monitor asks for the report of the whole pilot.
        await _hub.AdvanceToAsync(Day(_options.To, 0).AddHours(1), _cancellationToken).ConfigureAwait(false);
        var monitor = Caller("sociale-dienst-gorinchem", "monitor-1", "monitor");
        var report = await monitor.Monitor.GetPilotReportAsync(_options.From, _options.To, cancellationToken: _cancellationToken).ConfigureAwait(false);
        return new SimulationResult(report, _actions, _refusals, _clients) { NoticesToCoach = _notices };
    }

    /// <summary>A client arrives: registered, consent recorded, a coach named; then their life in the pilot is planned.</summary>
    private async Task ArriveAsync(bool young)
    {
        var now = _hub.Clock.GetUtcNow();
        var today = DutchTime.DateOf(now);
        var person = new Person(young)
        {
            // Young people join in their last school year, aged 16 to 17 and a half; adults are 19 to 55.
            BirthDate = young ? today.AddDays(-_random.Next(16 * 365, (17 * 365) + 180)) : today.AddDays(-_random.Next(19 * 365, 55 * 365)),
            School = young ? Schools[_random.Next(Schools.Length)] : null,
            Coach = young ? YouthCoach : AdultCoach,
            FullConsent = _random.NextDouble() < Assumptions.ConsentToAllDomains,
            Bsn = NextBsn(),
        };
        var registrar = Caller(person.School ?? "sdd");
        var registered = await DoAsync("register client", () => registrar.Clients.RegisterAsync(person.Bsn, person.BirthDate, Zwijndrecht, person.School is null ? null : "parties/" + person.School, cancellationToken: _cancellationToken)).ConfigureAwait(false);
        if (registered is null)
        {
            return;
        }

        _clients++;
        person.Names[person.School ?? "sdd"] = registered.Client.Name;
        var name = registered.Client.Name;
        if (young)
        {
            await DoAsync("record parental authority", () => registrar.Clients.RecordRepresentativeAsync(
                new Representative { Client = name, Kind = RepresentationKind.ParentalAuthority, DisplayName = "Ouder", StartDate = ToDate(person.BirthDate) },
                cancellationToken: _cancellationToken)).ConfigureAwait(false);
        }

        // The consent for the coach: coaching and signal follow-up, for every life domain or all but health and family.
        var consent = new Consent { Client = name, GrantorRole = young ? GrantorRole.Parent : GrantorRole.Client, RecipientParty = "parties/" + Waakvlam };
        consent.Purposes.Add([Purpose.Coaching, Purpose.SignalFollowUp]);
        consent.DataCategories.Add([DataCategory.ContactDetails, DataCategory.SupportPlan, DataCategory.Finances, DataCategory.Housing, DataCategory.Education, DataCategory.Work, DataCategory.Safety]);
        if (person.FullConsent)
        {
            consent.DataCategories.Add([DataCategory.Health, DataCategory.Family]);
        }

        var granted = await DoAsync("grant consent", () => registrar.Consents.GrantAsync(consent, cancellationToken: _cancellationToken)).ConfigureAwait(false);
        person.CoachConsent = granted?.Consent.Name;
        person.ConsentRecordedBy = person.School ?? "sdd";
        await DoAsync("assign coach", () => registrar.Clients.AssignCoachAsync(name, CoachOf(Waakvlam, person.Coach), cancellationToken: _cancellationToken)).ConfigureAwait(false);
        person.CoachParty = Waakvlam;

        // How long the support lasts, and what happens in it.
        var months = Assumptions.MinimumSupportMonths + Exponential(Assumptions.MeanSupportMonthsAfterMinimum);
        var ends = now.AddDays(months * 30.44);
        person.Ends = ends;
        Plan(ends, () => EndSupportAsync(person));
        PlanNextSignal(person, now);
        if (_random.NextDouble() < Assumptions.MoveShare)
        {
            Plan(Between(now, ends), () => MoveAsync(person));
        }

        if (_random.NextDouble() < Assumptions.WithdrawalShare)
        {
            Plan(Between(now, ends), () => WithdrawAsync(person));
        }

        if (young)
        {
            var eighteen = person.BirthDate.AddYears(18);
            var announce = Day(eighteen.AddDays(-_random.Next(90, 150)), 0);
            Plan(announce > now ? announce : now.AddDays(7), () => SchoolLeaverAsync(person, eighteen));
            if (_random.NextDouble() < Assumptions.ParentConsentConfirmedShare)
            {
                Plan(Day(eighteen.AddDays(_random.Next(2, 30)), 0), () => ConfirmParentConsentAsync(person));
            }
        }
    }

    private void PlanNextSignal(Person person, DateTimeOffset after)
    {
        var perMonth = person.Young ? Assumptions.YoungSignalsPerMonth : Assumptions.AdultSignalsPerMonth;
        var at = after.AddDays(Exponential(30.44 / perMonth));
        if (at < person.Ends)
        {
            Plan(WorkingHours(at), () => SignalAsync(person));
        }
    }

    /// <summary>A signal from the school (while the young person is at school) or the social service; the coach acknowledges it, or not.</summary>
    private async Task SignalAsync(Person person)
    {
        var now = _hub.Clock.GetUtcNow();
        PlanNextSignal(person, now);
        if (person.Ended)
        {
            return;
        }

        var domain = Pick(person.Young ? Assumptions.YoungDomains : Assumptions.AdultDomains);
        var severity = Pick(Assumptions.Severities);
        var sender = person.School is { } school && !person.LeftSchool ? school : "sdd";
        if (await NameAtAsync(person, sender).ConfigureAwait(false) is not { } client)
        {
            return;
        }

        var signal = new Signal { Client = client, Kind = KindOf(domain, sender), LifeDomain = domain, Severity = severity, Description = "Gesimuleerd signaal." };
        var raised = await DoAsync("raise signal", () => Caller(sender).Signals.SubmitAsync(signal, cancellationToken: _cancellationToken)).ConfigureAwait(false);
        if (raised is null || _random.NextDouble() >= Assumptions.AcknowledgedShare)
        {
            return;
        }

        // Without consent for its content the coach gets a content-free notice to contact the sender: nothing to acknowledge.
        if (!raised.Decisions.Any(d => d.Recipient == "parties/" + person.CoachParty && d.Outcome == RecipientOutcome.Content))
        {
            _notices++;
            return;
        }

        var median = Assumptions.MedianHoursToAcknowledge[severity];
        var delay = TimeSpan.FromHours(median * Math.Exp(Assumptions.AcknowledgeSpread * Normal()));
        var name = raised.Signal.Name;
        var coachParty = person.CoachParty;
        var coach = person.Coach.Id;
        Plan(now + delay, async () =>
        {
            await DoAsync("acknowledge signal", () => Caller(coachParty, coach).Signals.AcknowledgeAsync(name, cancellationToken: _cancellationToken)).ConfigureAwait(false);
            if (severity is SignalSeverity.Urgent or SignalSeverity.Crisis && !person.ScaledUp && !person.Ended && _random.NextDouble() < Assumptions.ScaleUpAfterUrgentSignal)
            {
                person.ScaledUp = true;
                Plan(WorkingHours(_hub.Clock.GetUtcNow().AddDays(_random.Next(1, 15))), () => ScaleUpAsync(person, domain));
            }
        });
    }

    /// <summary>Heavier support: a scale-up with a referral; the performer accepts (or declines) and starts; later a step down.</summary>
    private async Task ScaleUpAsync(Person person, LifeDomain domain)
    {
        if (person.Ended)
        {
            return;
        }

        var (service, performer) = domain switch
        {
            LifeDomain.Finances when _random.NextDouble() < 0.5 => (ServiceKind.DebtCounselling, "sdd"),
            LifeDomain.Work or LifeDomain.Education => (ServiceKind.DayActivities, "dagbesteding-de-brug"),
            _ => (ServiceKind.IndividualGuidance, "begeleiding-plus"),
        };
        var coachBefore = (person.CoachParty, person.Coach);
        var changes = _random.NextDouble() >= Assumptions.CoachKeptAtScaleUp;
        var today = DutchTime.DateOf(_hub.Clock.GetUtcNow());
        if (await NameAtAsync(person, Waakvlam).ConfigureAwait(false) is not { } client)
        {
            return;
        }

        if (service == ServiceKind.DebtCounselling && _random.NextDouble() < Assumptions.ConsentForDebtCounselling)
        {
            var consent = new Consent { Client = client, GrantorRole = GrantorRole.Client, RecipientParty = "parties/sdd" };
            consent.Purposes.Add(Purpose.IncomeAndParticipation);
            consent.DataCategories.Add([DataCategory.Finances, DataCategory.ContactDetails]);
            if (person.Young && person.BirthDate.AddYears(18) > today)
            {
                consent.GrantorRole = GrantorRole.Parent;
            }

            await DoAsync("grant consent", () => Caller(Waakvlam, person.Coach.Id).Consents.GrantAsync(consent, cancellationToken: _cancellationToken)).ConfigureAwait(false);
        }

        var transition = new Transition
        {
            Client = await NameAtAsync(person, person.CoachParty).ConfigureAwait(false) ?? client,
            Kind = TransitionKind.ScaleUp,
            FromParty = "parties/" + Waakvlam,
            ToParty = "parties/" + performer,
            EffectiveDate = ToDate(today.AddDays(7)),
            HandoverSummary = "Gesimuleerde overdracht.",
            Referrals = { new Referral { Service = service, Reason = "Gesimuleerde verwijzing.", LifeDomains = { domain }, Performers = { new ReferralPerformer { Party = "parties/" + performer } } } },
        };
        if (changes)
        {
            transition.CoachAfter = CoachOf(performer, ("begeleider-" + performer, "Begeleider"));
        }

        var sent = await DoAsync("scale up", () => Caller(person.CoachParty, person.Coach.Id).Transitions.SubmitAsync(transition, cancellationToken: _cancellationToken)).ConfigureAwait(false);
        if (sent is null || sent.ReferralDecisions.Count == 0)
        {
            person.ScaledUp = false;
            return;
        }

        if (changes)
        {
            person.CoachParty = performer;
            person.Coach = ("begeleider-" + performer, "Begeleider");
        }

        var referral = sent.ReferralDecisions[0].Referral;
        var accepts = _random.NextDouble() < Assumptions.ReferralAccepted;
        var answered = WorkingHours(_hub.Clock.GetUtcNow().AddDays(_random.Next(1, 7)));
        if (!accepts)
        {
            Plan(answered, async () =>
            {
                await DoAsync("decline referral", () => Caller(performer).Referrals.DeclineAsync(referral, "01", cancellationToken: _cancellationToken)).ConfigureAwait(false);
                await StepBackAsync(person, coachBefore, performer, TransitionKind.ScaleDown, referral: null).ConfigureAwait(false);
            });
            return;
        }

        var startsAfter = Assumptions.DaysToStartMinimum + Exponential(Assumptions.MeanDaysToStartAfterMinimum);
        var starts = answered.AddDays(startsAfter);
        var stepsDown = starts.AddDays((Assumptions.MinimumMonthsHeavier + Exponential(Assumptions.MeanMonthsHeavierAfterMinimum)) * 30.44);
        Plan(answered, () => DoAsync("accept referral", () => Caller(performer).Referrals.AcceptAsync(referral, cancellationToken: _cancellationToken)));
        Plan(WorkingHours(starts), () => DoAsync("start care", () => Caller(performer).Referrals.StartAsync(referral, DutchTime.DateOf(_hub.Clock.GetUtcNow()), cancellationToken: _cancellationToken)));
        Plan(WorkingHours(stepsDown), () => StepBackAsync(person, coachBefore, performer, TransitionKind.ScaleDown, referral));
    }

    /// <summary>A step down to waakvlam support: back to the coach before the scale-up when it changed; the performer ends care.</summary>
    private async Task StepBackAsync(Person person, (string Party, (string Id, string Name) Coach) before, string performer, TransitionKind kind, string? referral)
    {
        person.ScaledUp = false;
        if (person.Ended)
        {
            return;
        }

        // After care, or after a declined referral that had changed the coach: back to waakvlam support and its coach.
        var today = DutchTime.DateOf(_hub.Clock.GetUtcNow());
        if (referral is not null || person.CoachParty != before.Party)
        {
            var transition = new Transition { Client = await NameAtAsync(person, Waakvlam).ConfigureAwait(false) ?? string.Empty, Kind = kind, FromParty = "parties/" + performer, ToParty = "parties/" + Waakvlam, EffectiveDate = ToDate(today) };
            if (person.CoachParty != before.Party)
            {
                transition.CoachAfter = CoachOf(before.Party, before.Coach);
            }

            await DoAsync("scale down", () => Caller(Waakvlam, before.Coach.Id).Transitions.SubmitAsync(transition, cancellationToken: _cancellationToken)).ConfigureAwait(false);
        }

        if (referral is not null)
        {
            await DoAsync("end care", () => Caller(performer).Referrals.EndAsync(referral, today, "01", cancellationToken: _cancellationToken)).ConfigureAwait(false);
        }

        person.CoachParty = before.Party;
        person.Coach = before.Coach;
    }

    /// <summary>The school announces the school leaver turning 18 to the social service; the coach usually stays.</summary>
    private async Task SchoolLeaverAsync(Person person, DateOnly eighteen)
    {
        if (person.Ended || person.School is null)
        {
            return;
        }

        var effective = new DateOnly(eighteen.Year, eighteen.Month, 1).AddMonths(1);
        var transition = new Transition
        {
            Client = person.Names[person.School],
            Kind = TransitionKind.SchoolLeaver18,
            FromParty = "parties/" + person.School,
            ToParty = "parties/sdd",
            EffectiveDate = ToDate(effective),
            HandoverSummary = "Gesimuleerde overdracht.",
        };
        if (_random.NextDouble() < Assumptions.ParticipationReferralAt18)
        {
            transition.Referrals.Add(new Referral { Service = ServiceKind.ParticipationWork, Reason = "Werk na school.", LifeDomains = { LifeDomain.Work }, Performers = { new ReferralPerformer { Party = "parties/sdd" } } });
        }

        var changes = _random.NextDouble() >= Assumptions.CoachKeptAt18 && person.CoachParty == Waakvlam;
        if (changes)
        {
            transition.CoachAfter = CoachOf(Waakvlam, AdultCoach);
        }

        var consents = _random.NextDouble() < Assumptions.OwnConsentForSocialService;
        var consentAfter = _random.Next(0, 21);
        var sent = await DoAsync("school leaver 18", () => Caller(person.School).Transitions.SubmitAsync(transition, cancellationToken: _cancellationToken)).ConfigureAwait(false);
        if (sent is null)
        {
            return;
        }

        if (changes)
        {
            person.Coach = AdultCoach;
        }

        Plan(Day(effective, 0), () =>
        {
            person.LeftSchool = true;
            return Task.CompletedTask;
        });
        if (consents)
        {
            Plan(WorkingHours(_hub.Clock.GetUtcNow().AddDays(consentAfter)), async () =>
            {
                if (await NameAtAsync(person, Waakvlam).ConfigureAwait(false) is not { } client)
                {
                    return;
                }

                var consent = new Consent { Client = client, GrantorRole = GrantorRole.Client, RecipientParty = "parties/sdd" };
                consent.Purposes.Add([Purpose.Transition, Purpose.IncomeAndParticipation]);
                consent.DataCategories.Add([DataCategory.SupportPlan, DataCategory.ContactDetails, DataCategory.Work]);
                await DoAsync("grant consent", () => Caller(Waakvlam, person.Coach.Id).Consents.GrantAsync(consent, cancellationToken: _cancellationToken)).ConfigureAwait(false);
            });
        }
    }

    /// <summary>After the 18th birthday the coach goes through the parent's consent with the young adult, who confirms it.</summary>
    private Task ConfirmParentConsentAsync(Person person) =>
        person.CoachConsent is { } consent && !person.Ended && !person.Withdrawn
            ? (Task)DoAsync("confirm consent at 18", () => Caller(Waakvlam, person.Coach.Id).Consents.ConfirmAsync(consent, cancellationToken: _cancellationToken))
            : Task.CompletedTask;

    /// <summary>A move: in the region (Dordrecht) or out of it (Gorinchem), announced by the coach's organisation; the coach stays.</summary>
    private async Task MoveAsync(Person person)
    {
        if (person.Ended)
        {
            return;
        }

        var to = _random.NextDouble() < Assumptions.MovesWithinRegion ? "0505" : "0512";
        var effective = DutchTime.DateOf(_hub.Clock.GetUtcNow()).AddDays(_random.Next(14, 45));
        if (await NameAtAsync(person, Waakvlam).ConfigureAwait(false) is not { } client)
        {
            return;
        }

        var transition = new Transition { Client = client, Kind = TransitionKind.Relocation, EffectiveDate = ToDate(effective), NewMunicipalityCode = to, HandoverSummary = "Gesimuleerde verhuizing." };
        if (await DoAsync("move", () => Caller(Waakvlam, person.Coach.Id).Transitions.SubmitAsync(transition, cancellationToken: _cancellationToken)).ConfigureAwait(false) is not null)
        {
            Plan(Day(effective, 0), () =>
            {
                person.Municipality = to;
                return Task.CompletedTask;
            });
        }
    }

    /// <summary>The client withdraws the consent for the coach: what comes later reaches the coach as a content-free notice.</summary>
    private async Task WithdrawAsync(Person person)
    {
        if (person.Ended || person.CoachConsent is not { } consent)
        {
            return;
        }

        person.Withdrawn = true;
        await DoAsync("withdraw consent", () => Caller(person.ConsentRecordedBy).Consents.WithdrawAsync(consent, cancellationToken: _cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>Support ends: the coach's organisation announces it; nothing more is planned for the client.</summary>
    private async Task EndSupportAsync(Person person)
    {
        person.Ended = true;
        if (await NameAtAsync(person, person.CoachParty).ConfigureAwait(false) is not { } client)
        {
            return;
        }

        var transition = new Transition
        {
            Client = client,
            Kind = TransitionKind.SupportEnded,
            FromParty = "parties/" + Waakvlam,
            EffectiveDate = ToDate(DutchTime.DateOf(_hub.Clock.GetUtcNow())),
        };
        await DoAsync("end support", () => Caller(person.CoachParty, person.Coach.Id).Transitions.SubmitAsync(transition, cancellationToken: _cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>One call; a refusal is counted by its reason (and the simulation goes on), anything else stops it.</summary>
    private async Task<T?> DoAsync<T>(string what, Func<Task<T>> call)
        where T : class
    {
        try
        {
            var result = await call().ConfigureAwait(false);
            _actions[what] = _actions.GetValueOrDefault(what) + 1;
            return result;
        }
        catch (KetenhubException ex) when (!ex.IsTransient)
        {
            var key = what + ": " + ex.Reason;
            _refusals[key] = _refusals.GetValueOrDefault(key) + 1;
            return null;
        }
    }

    private Task DoAsync(string what, Func<Task<DateTimeOffset>> call) =>
        DoAsync(what, async () => (object)await call().ConfigureAwait(false));

    /// <summary>
    /// The client's name at <paramref name="party"/>. A party that holds the BSN (from its own records or its deliveries)
    /// learns its own name for the client by registering it: for a party with a relationship with the client, or with the
    /// matching birth date and municipality, the hub returns the existing client under that party's name.
    /// </summary>
    private async Task<string?> NameAtAsync(Person person, string party)
    {
        if (person.Names.TryGetValue(party, out var name))
        {
            return name;
        }

        var found = await DoAsync("look up client", () => Caller(party).Clients.RegisterAsync(person.Bsn, person.BirthDate, person.Municipality, cancellationToken: _cancellationToken)).ConfigureAwait(false);
        if (found is not null)
        {
            person.Names[party] = found.Client.Name;
        }

        return found?.Client.Name;
    }

    private KetenhubClient Caller(string party, string? user = null, params string[] roles)
    {
        var key = party + "|" + user + "|" + string.Join(',', roles);
        if (!_callers.TryGetValue(key, out var client))
        {
            client = _hub.As(party, user, roles);
            _callers[key] = client;
        }

        return client;
    }

    private static Coach CoachOf(string party, (string Id, string Name) coach) =>
        new() { Party = "parties/" + party, CoachId = coach.Id, DisplayName = coach.Name, Phone = "078-0000000", Email = coach.Id + "@example.org" };

    private static SignalKind KindOf(LifeDomain domain, string sender) => domain switch
    {
        LifeDomain.Finances => SignalKind.PaymentArrears,
        LifeDomain.Housing => SignalKind.RentArrears,
        LifeDomain.Care => SignalKind.HealthCrisis,
        LifeDomain.Safety => SignalKind.SafetyConcern,
        LifeDomain.Education when sender != "sdd" => SignalKind.SchoolAbsence,
        LifeDomain.Work => SignalKind.IncomeStopped,
        _ => SignalKind.MissedContacts,
    };

    private void Plan(DateTimeOffset at, Func<Task> action) => _queue.Enqueue(action, (at, _order++));

    private int Scaled(int count) => (int)Math.Round(count * _options.Scale, MidpointRounding.AwayFromZero);

    /// <summary>A time on <paramref name="day"/> plus <paramref name="days"/>, in working hours (Dutch time).</summary>
    private DateTimeOffset Day(DateOnly day, int days) => DutchTime.StartOf(day.AddDays(days)).AddHours(9 + _random.Next(0, 8)).AddMinutes(_random.Next(0, 60));

    private DateTimeOffset WorkingHours(DateTimeOffset at) => Day(DutchTime.DateOf(at), 0);

    private DateTimeOffset Between(DateTimeOffset from, DateTimeOffset to) => WorkingHours(from.AddDays(_random.NextDouble() * (to - from).TotalDays));

    private double Exponential(double mean) => -Math.Log(1 - _random.NextDouble()) * mean;

    private double Normal() => Math.Sqrt(-2 * Math.Log(1 - _random.NextDouble())) * Math.Cos(2 * Math.PI * _random.NextDouble());

    private int Poisson(double mean)
    {
        var limit = Math.Exp(-mean);
        var k = 0;
        for (var p = _random.NextDouble(); p > limit; p *= _random.NextDouble())
        {
            k++;
        }

        return k;
    }

    private T Pick<T>(IReadOnlyList<(T Value, double Weight)> weights)
    {
        var draw = _random.NextDouble() * weights.Sum(w => w.Weight);
        foreach (var (value, weight) in weights)
        {
            draw -= weight;
            if (draw < 0)
            {
                return value;
            }
        }

        return weights[^1].Value;
    }

    /// <summary>A BSN that passes the eleven test, unique in this pilot, from the seeded draws.</summary>
    private string NextBsn()
    {
        while (true)
        {
            var first = _random.Next(10_000_000, 100_000_000).ToString(System.Globalization.CultureInfo.InvariantCulture);
            var sum = 0;
            for (var i = 0; i < 8; i++)
            {
                sum += (first[i] - '0') * (9 - i);
            }

            var last = sum % 11;
            var bsn = first + last.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (last < 10 && _bsns.Add(bsn))
            {
                return bsn;
            }
        }
    }

    private static Google.Type.Date ToDate(DateOnly date) => new() { Year = date.Year, Month = date.Month, Day = date.Day };

    /// <summary>The simulation's state of one client: what the script needs to know, nothing the hub does not hold too.</summary>
    private sealed class Person(bool young)
    {
        public bool Young { get; } = young;

        public string Bsn { get; init; } = string.Empty;

        public string Municipality { get; set; } = Zwijndrecht;

        /// <summary>The client's name at each party that has used it: every party knows a client by a name of its own.</summary>
        public Dictionary<string, string> Names { get; } = new(StringComparer.Ordinal);

        public DateOnly BirthDate { get; init; }

        public string? School { get; init; }

        public bool FullConsent { get; init; }

        public (string Id, string Name) Coach { get; set; }

        public string CoachParty { get; set; } = Waakvlam;

        public string? CoachConsent { get; set; }

        public string ConsentRecordedBy { get; set; } = "sdd";

        public DateTimeOffset Ends { get; set; }

        public bool Ended { get; set; }

        public bool ScaledUp { get; set; }

        public bool LeftSchool { get; set; }

        public bool Withdrawn { get; set; }
    }
}
