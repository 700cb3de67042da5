using Ketenhub.Client;
using Ketenhub.Contracts.V1;
using Ketenhub.Testing.InProcess;

namespace Ketenhub.ClientTests.Infrastructure;

/// <summary>
/// The real hub in memory (<see cref="HubFactory"/> from tests/Ketenhub.Testing, shared with the hub's tests: real
/// SQLite, demo parties and rules, a fake clock) with faults that tests can inject, and SDK clients that reach it
/// through its test server.
/// </summary>
public sealed class SdkHub : IDisposable
{
    private static int _bsnSeed = 20_000_000;
    private readonly List<KetenhubClient> _clients = [];

    public SdkHub()
    {
        Hub = new HubFactory();
        Faults.InstallInto(Hub);
    }

    public HubFactory Hub { get; }

    public Faults Faults { get; } = new();

    /// <summary>How many tokens the clients' token providers handed out.</summary>
    public int TokensIssued => _tokensIssued;

    private int _tokensIssued;

    /// <summary>
    /// An SDK client calling as <paramref name="party"/> with bearer tokens the hub's test signing key signs (a
    /// token provider, as a production caller has), with short retry pauses.
    /// </summary>
    public KetenhubClient As(string party, Action<KetenhubClientOptions>? configure = null, TimeProvider? time = null)
    {
        var options = new KetenhubClientOptions
        {
            Address = Hub.Server.BaseAddress,
            TokenProvider = KetenhubTokenProvider.FromDelegate(_ =>
            {
                Interlocked.Increment(ref _tokensIssued);
                return ValueTask.FromResult(Hub.Token(party));
            }),
            Retry = new KetenhubRetryOptions { InitialBackoff = TimeSpan.FromMilliseconds(5), MaxBackoff = TimeSpan.FromMilliseconds(20) },
        };
        configure?.Invoke(options);
        var client = new KetenhubClient(options, time, Hub.Server.CreateHandler());
        _clients.Add(client);
        return client;
    }

    /// <summary>A fresh nine-digit number that passes the elfproef.</summary>
    public static string NewBsn() => Ketenhub.Testing.Bsns.Next(ref _bsnSeed);

    /// <summary>
    /// A client coached by Lisa at waakvlam-zorg who consents to the coach receiving financial signals; the
    /// social service (sdd) raises them. Each party has its own name for the client (both learn it by registering the
    /// BSN with the same facts): <see cref="CoachedClient.Client"/> is SDD's, <see cref="CoachedClient.ClientAtCoach"/>
    /// the coach's.
    /// </summary>
    public async Task<CoachedClient> CoachedClientAsync(Action<KetenhubClientOptions>? coachOptions = null, TimeProvider? coachTime = null)
    {
        var coach = As("waakvlam-zorg", coachOptions, coachTime);
        var sdd = As("sdd");
        var bsn = NewBsn();
        var atCoach = (await coach.Clients.RegisterAsync(bsn, new DateOnly(1994, 11, 2), "0505")).Client.Name;
        var atSdd = (await sdd.Clients.RegisterAsync(bsn, new DateOnly(1994, 11, 2), "0505")).Client.Name;
        // The social service of the client's municipality names the first coach; a provider cannot name it itself.
        await sdd.Clients.AssignCoachAsync(atSdd, new Coach { Party = "parties/waakvlam-zorg", CoachId = "lisa", DisplayName = "Lisa", Phone = "078-1234567", Email = "lisa@example.org" });
        var consent = new Consent { Client = atCoach, GrantorRole = GrantorRole.Client, RecipientParty = "parties/waakvlam-zorg", Purposes = { Purpose.SignalFollowUp, Purpose.Coaching }, DataCategories = { DataCategory.Finances } };
        await coach.Consents.GrantAsync(consent);
        return new CoachedClient(sdd, coach, atSdd, atCoach);
    }

    /// <summary>A financial signal about the client.</summary>
    public static Signal Arrears(string client, string description = "Two months of arrears on rent.") => new()
    {
        Client = client,
        Kind = SignalKind.PaymentArrears,
        LifeDomain = LifeDomain.Finances,
        Severity = SignalSeverity.Concern,
        Description = description,
    };

    /// <summary>Raises <paramref name="count"/> signals and returns the names of the coach's deliveries, in order.</summary>
    public static async Task<List<string>> RaiseAsync(KetenhubClient sender, string client, int count)
    {
        var names = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var response = await sender.Signals.SubmitAsync(Arrears(client, $"Signal {i}"));
            var decision = Assert.Single(response.Decisions, d => d.Recipient == "parties/waakvlam-zorg");
            Assert.Equal(RecipientOutcome.Content, decision.Outcome);
            names.Add(decision.Delivery);
        }

        return names;
    }

    public void Dispose()
    {
        foreach (var client in _clients)
        {
            client.Dispose();
        }

        Hub.Dispose();
    }
}

/// <summary>A coached client: the two parties' clients and each party's own name for the client.</summary>
public sealed record CoachedClient(KetenhubClient Sdd, KetenhubClient Coach, string Client, string ClientAtCoach)
{
    /// <summary>The parties and SDD's name for the client.</summary>
    public void Deconstruct(out KetenhubClient sdd, out KetenhubClient coach, out string client)
    {
        sdd = Sdd;
        coach = Coach;
        client = Client;
    }
}
