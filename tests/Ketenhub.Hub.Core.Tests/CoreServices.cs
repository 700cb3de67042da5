using System.Security.Cryptography;
using Ketenhub.Hub.Audit;
using Ketenhub.Hub.Clients;
using Ketenhub.Hub.Common;
using Ketenhub.Hub.Consent;
using Ketenhub.Hub.Delivery;
using Ketenhub.Hub.Messages;
using Ketenhub.Hub.Parties;
using Ketenhub.Hub.Storage;
using Ketenhub.Testing.InMemory;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Ketenhub.Hub.Core.Tests;

/// <summary>
/// The hub's domain as the host composes it (<see cref="HubCoreRegistration.AddKetenhubCore"/>), without a host:
/// an in-memory store that runs every replayable write twice (so work that is not replayable shows), a fake clock
/// that moves only when a test moves it, and the parties and rules in <c>TestConfig/</c>. Tests call the domain's
/// services as the transport would, with the caller's <see cref="Party"/> and a request key.
/// </summary>
internal sealed class CoreServices : IAsyncDisposable
{
    /// <summary>A Monday morning in spring (CET, UTC+1): 2025-03-03 10:00 in Amsterdam.</summary>
    public static readonly DateTimeOffset Start = new(2025, 3, 3, 9, 0, 0, TimeSpan.Zero);

    /// <summary>A well-known test BSN (elfproef-valid, no real person).</summary>
    public const string TestBsn = "111222333";

    /// <summary>A client's birth date that makes them 16 at <see cref="Start"/>.</summary>
    public static readonly DateOnly SixteenYearsOld = new(2008, 6, 1);

    private readonly ServiceProvider _services;
    private int _requests;

    private CoreServices(int maxDeliveryAttempts, Action<IServiceCollection>? configure)
    {
        Clock = new FakeTimeProvider(Start) { AutoAdvanceAmount = TimeSpan.Zero };
        Store = new InMemoryHubStore(new InMemoryStoreOptions { ReplayReplayableWrites = true });
        var folder = Path.Combine(AppContext.BaseDirectory, "TestConfig");
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Hub:PartiesFile"] = Path.Combine(folder, "parties.json"),
                ["Hub:RoutingFile"] = Path.Combine(folder, "routing.json"),
                ["Hub:BsnLookupKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
                ["Hub:PseudonymKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
                ["Hub:MaxDeliveryAttempts"] = maxDeliveryAttempts.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["Hub:BsnEncryption:ActiveKeyId"] = "k1",
                ["Hub:BsnEncryption:Keys:k1"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            })
            .Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddSingleton<TimeProvider>(Clock);
        services.AddSingleton<IHubStore>(Store);
        services.AddLogging();
        services.AddKetenhubCore(configuration);
        configure?.Invoke(services);
        _services = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    /// <summary>The domain, composed; <paramref name="maxDeliveryAttempts"/> is <c>Hub:MaxDeliveryAttempts</c>.</summary>
    public static CoreServices Create(int maxDeliveryAttempts = 5, Action<IServiceCollection>? configure = null) => new(maxDeliveryAttempts, configure);

    public FakeTimeProvider Clock { get; }

    public InMemoryHubStore Store { get; }

    public Messaging Messaging => Get<Messaging>();

    public ConsentBook Consents => Get<ConsentBook>();

    public DeliveryQueue Deliveries => Get<DeliveryQueue>();

    public ClientRegistry Clients => Get<ClientRegistry>();

    public AuditTrail Audit => Get<AuditTrail>();

    public T Get<T>()
        where T : notnull => _services.GetRequiredService<T>();

    /// <summary>A configured party (see <c>TestConfig/parties.json</c>).</summary>
    public Party Party(string id) => Get<PartyDirectory>().Find(id) ?? throw new ArgumentException($"No party {id} in TestConfig/parties.json.", nameof(id));

    /// <summary>A new request id, with a body hash of its own.</summary>
    public RequestKey NewKey()
    {
        var n = Interlocked.Increment(ref _requests);
        return new RequestKey($"req-{n}", $"body-{n}");
    }

    /// <summary>Registers the test client with <paramref name="school"/> as its school of record (which gives the school a role); returns its name.</summary>
    public async Task<string> RegisterClientAsync(string school = "school-a", DateOnly? birthDate = null)
    {
        var registration = await Clients.RegisterAsync(Party(school), TestBsn, birthDate ?? SixteenYearsOld, "0642", "parties/" + school, NewKey(), CancellationToken.None);
        return registration.Client.Name;
    }

    /// <summary>A consent by the client for <paramref name="recipient"/>, recorded by <paramref name="caller"/>.</summary>
    public Task<ConsentChange> GrantAsync(string caller, string client, string recipient, Purpose purpose, params DataCategory[] categories) =>
        Consents.GrantAsync(
            Party(caller),
            new ConsentDraft(client, GrantorRole.Client, "parties/" + recipient, PartyKind.Unspecified, [purpose], categories, null, null),
            NewKey(),
            CancellationToken.None);

    /// <summary>A debt counselling referral by <paramref name="requester"/> to <paramref name="performers"/> (routed only under consent).</summary>
    public Task<ReferralResult> ReferDebtCounsellingAsync(string requester, string client, params string[] performers) =>
        Messaging.CreateReferralAsync(Party(requester), DebtReferral(client, performers), NewKey(), CancellationToken.None);

    public static ReferralDraft DebtReferral(string client, params string[] performers) =>
        new(client, ServiceKind.DebtCounselling, "Synthetic reason", [LifeDomain.Finances], ReferralUrgency.Routine, "Synthetic strengths", [.. performers.Select(p => "parties/" + p)]);

    /// <summary>The categories of a debt counselling referral about finances: what a consent must cover for it.</summary>
    public static readonly DataCategory[] DebtReferralCategories = [DataCategory.SupportPlan, DataCategory.ContactDetails, DataCategory.Finances];

    /// <summary>Claims the party's pending deliveries from the start of its queue, as a push or a fresh stream would.</summary>
    public Task<IReadOnlyList<OutboundDelivery>> ClaimAsync(string party, long afterSequence = 0, int max = 100) =>
        Deliveries.ClaimAsync(Party(party), afterSequence, max, null, null, CancellationToken.None);

    /// <summary>The stored deliveries of a message, by sequence.</summary>
    public Task<IReadOnlyList<DeliveryRecord>> DeliveriesOfAsync(string messageId) => Store.ReadAsync(s => s.GetDeliveriesForMessage(messageId));

    /// <summary>A stored delivery, as it is now.</summary>
    public async Task<DeliveryRecord> DeliveryAsync(string id) =>
        await Store.ReadAsync(s => s.FindDelivery(id)) ?? throw new InvalidOperationException($"No delivery {id}.");

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
        await Store.DisposeAsync();
    }
}
