using Grpc.Core;
using Grpc.Net.Client;
using Ketenhub.Contracts.V1;

namespace Ketenhub.Benchmarks;

/// <summary>
/// A server to call: several <see cref="GrpcChannel"/>s, each with its own <see cref="SocketsHttpHandler"/>
/// (so its own HTTP/2 connections), and the stubs on them. Call <c>i</c> of a run uses channel <c>i % n</c>.
/// </summary>
public sealed class Target : IDisposable
{
    private readonly GrpcChannel[] _channels;

    public Target(string name, string url, int channels)
    {
        Name = name;
        Url = url;
        _channels = [.. Enumerable.Range(0, Math.Max(1, channels)).Select(_ => Open(url))];
        Signals = [.. _channels.Select(c => new SignalService.SignalServiceClient(c))];
        Deliveries = [.. _channels.Select(c => new DeliveryService.DeliveryServiceClient(c))];
    }

    public string Name { get; }

    public string Url { get; }

    public SignalService.SignalServiceClient[] Signals { get; }

    public DeliveryService.DeliveryServiceClient[] Deliveries { get; }

    public CallInvoker Invoker(int i) => _channels[i % _channels.Length].CreateCallInvoker();

    public SignalService.SignalServiceClient SignalClient(int i) => Signals[i % Signals.Length];

    public DeliveryService.DeliveryServiceClient DeliveryClient(int i) => Deliveries[i % Deliveries.Length];

    /// <summary>Opens every channel's connection.</summary>
    public async Task ConnectAsync(CancellationToken cancellationToken)
    {
        foreach (var channel in _channels)
        {
            await channel.ConnectAsync(cancellationToken);
        }
    }

    public void Dispose()
    {
        foreach (var channel in _channels)
        {
            channel.Dispose();
        }
    }

    private static GrpcChannel Open(string url) => GrpcChannel.ForAddress(url, new GrpcChannelOptions
    {
        HttpHandler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            KeepAlivePingDelay = TimeSpan.FromSeconds(60),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(30),
            ConnectTimeout = TimeSpan.FromSeconds(10),
        },
        MaxReceiveMessageSize = 16 * 1024 * 1024,
    });
}

/// <summary>
/// Calls as a party with a bearer token, as a production hub requires: the harness generates a signing key, starts
/// the hub with <c>Identity:Jwt</c> pointing at its public key, and signs one token per party (kept for the run, so
/// the hub's token cache sees the same token on every call, as with a real client).
/// </summary>
public static class Party
{
    public const string Issuer = "https://issuer.ketenhub.bench";
    public const string Audience = "api://ketenhub-bench";

    private static readonly System.Security.Cryptography.ECDsa Key = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Metadata> Tokens = new(StringComparer.Ordinal);

    /// <summary>Writes the public key the hub validates tokens with; returns the hub's settings (environment variables) for it.</summary>
    public static IReadOnlyDictionary<string, string?> HubSettings(string directory)
    {
        var file = Path.Combine(directory, "bench-signing-key.pem");
        File.WriteAllText(file, Key.ExportSubjectPublicKeyInfoPem());
        return new Dictionary<string, string?>
        {
            ["Identity__Jwt__Issuer"] = Issuer,
            ["Identity__Jwt__Audience"] = Audience,
            ["Identity__Jwt__SigningKeyFile"] = file,
        };
    }

    public static Metadata Headers(string partyId) => Tokens.GetOrAdd(partyId, id =>
    {
        var now = DateTimeOffset.UtcNow;
        var token = Ketenhub.Identity.LocalTokens.Mint(Key, Issuer, Audience, id, null, [], now.AddMinutes(-5), now.AddDays(1));
        return new Metadata { { "authorization", "Bearer " + token } };
    });

    public static CallOptions As(string partyId, CancellationToken cancellationToken = default) =>
        new(Headers(partyId), cancellationToken: cancellationToken);

    public static CallOptions As(string partyId, TimeSpan timeout) => new(Headers(partyId), DateTime.UtcNow + timeout);
}

/// <summary>Request ids unique per harness run.</summary>
public static class RequestIds
{
    private static readonly string Run = Guid.NewGuid().ToString("N")[..8];
    private static long _counter;

    public static string Next() => "bench-" + Run + "-" + Interlocked.Increment(ref _counter).ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>The hub's data for the run: clients with a coach and consent, so every signal routes and creates a delivery.</summary>
/// <param name="Latency">One client per latency run, each with its own coach party, so no run starts behind another run's backlog.</param>
public sealed record HubSubjects(IReadOnlyList<string> ThroughputClients, string ThroughputCoachParty, IReadOnlyList<(string Client, string CoachParty)> Latency, int DecisionsPerSignal);

public static class HubSetup
{
    public const string Sender = "sdd";

    /// <summary>Coach party of the throughput clients. Nobody consumes its stream: its deliveries pile up as pending.</summary>
    public const string ThroughputCoach = "waakvlam-zorg";

    /// <summary>
    /// Coach parties of the latency clients (one per latency run), so a latency consumer never sees the throughput
    /// backlog or another run's: (b) at the rate and at the lower rate, then, with PostgreSQL, (c) at its two rates.
    /// The demo parties have three care providers besides <see cref="ThroughputCoach"/>; the harness adds
    /// <see cref="BenchmarkCoach"/> to its copy of the parties file for the fourth run.
    /// </summary>
    public static readonly string[] LatencyCoaches = ["begeleiding-plus", "dagbesteding-de-brug", "zorgboerderij-de-hoeve", "bench-thuiszorg"];

    /// <summary>The care provider the harness adds to the demo parties (a line in its copy of parties.json).</summary>
    public const string BenchmarkCoach =
        """{ "id": "bench-thuiszorg", "kind": "CARE_PROVIDER", "displayName": "Benchmark Thuiszorg", "agb": "98000099", "deliveryChannel": "STREAM", "receivesBsn": true, "bsnLegalBasis": "Wabvpz art. 2 (zorgaanbieder)" },""";

    public static Signal SignalFor(string client, string description) => new()
    {
        Client = client,
        Kind = SignalKind.PaymentArrears,
        LifeDomain = LifeDomain.Finances,
        Severity = SignalSeverity.Urgent,
        Description = description,
    };

    /// <summary>Waits until the server answers a call (any answer but UNAVAILABLE, or an OK).</summary>
    public static async Task WaitUntilServingAsync(Target target, ServerProcess process, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        var client = target.SignalClient(0);
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"{process.Name} exited while starting:{Environment.NewLine}{process.Tail}");
            }

            try
            {
                // An invalid request: the hub answers INVALID_ARGUMENT once it serves, the bare server OK.
                await client.CreateSignalAsync(new CreateSignalRequest(), Party.As(Sender, TimeSpan.FromSeconds(2)));
                return;
            }
            catch (RpcException e) when (e.StatusCode is not (StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Internal or StatusCode.Unknown))
            {
                return;
            }
            catch (RpcException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
            }
        }
    }

    /// <param name="latencyRuns">How many latency runs need a client and coach party of their own (at most <see cref="LatencyCoaches"/>).</param>
    public static async Task<HubSubjects> PrepareAsync(Target hub, int throughputClients, int latencyRuns, CancellationToken cancellationToken)
    {
        var bsns = Bsns().GetEnumerator();
        var clients = new List<string>();
        for (var i = 0; i < throughputClients; i++)
        {
            bsns.MoveNext();
            clients.Add(await ClientWithCoachAsync(hub, bsns.Current, ThroughputCoach, cancellationToken));
        }

        var latency = new List<(string Client, string CoachParty)>();
        foreach (var coach in LatencyCoaches.Take(latencyRuns))
        {
            bsns.MoveNext();
            latency.Add((await ClientWithCoachAsync(hub, bsns.Current, coach, cancellationToken), coach));
        }

        // One real submit per coach party: it must reach the coach with content and create a delivery.
        var decisions = 0;
        foreach (var (client, coach) in latency.Prepend((clients[0], ThroughputCoach)))
        {
            var probe = await hub.SignalClient(0).CreateSignalAsync(
                new CreateSignalRequest { RequestId = RequestIds.Next(), Signal = SignalFor(client, "Benchmark probe signal 00000000") },
                Party.As(Sender, cancellationToken));
            var toCoach = probe.Decisions.FirstOrDefault(d => d.Recipient == "parties/" + coach);
            if (toCoach is null || toCoach.Outcome != RecipientOutcome.Content || string.IsNullOrEmpty(toCoach.Delivery))
            {
                throw new InvalidOperationException($"The probe signal did not create a content delivery for {coach}: {probe.Decisions}");
            }

            decisions = probe.Decisions.Count(d => !string.IsNullOrEmpty(d.Delivery));
        }

        return new HubSubjects(clients, ThroughputCoach, latency, decisions);
    }

    /// <summary>
    /// A client coached at <paramref name="coachParty"/> who consents to the coach and the sender getting financial signals.
    /// Returns the sender's name for the client: every party has its own name for a client, and each learns it by
    /// registering the BSN with the same facts.
    /// </summary>
    private static async Task<string> ClientWithCoachAsync(Target hub, string bsn, string coachParty, CancellationToken cancellationToken)
    {
        var invoker = hub.Invoker(0);
        var clientsApi = new ClientService.ClientServiceClient(invoker);
        var consents = new ConsentService.ConsentServiceClient(invoker);
        async Task<string> RegisterAs(string party) => (await clientsApi.RegisterClientAsync(
            new RegisterClientRequest
            {
                RequestId = RequestIds.Next(),
                Bsn = bsn,
                BirthDate = new Google.Type.Date { Year = 1994, Month = 11, Day = 2 },
                MunicipalityCode = "0505",
            },
            Party.As(party, cancellationToken))).Client.Name;
        var atCoach = await RegisterAs(coachParty);
        var atSender = await RegisterAs(Sender);
        await clientsApi.AssignCoachAsync(
            new AssignCoachRequest
            {
                RequestId = RequestIds.Next(),
                Client = atSender,
                Coach = new Coach { Party = "parties/" + coachParty, CoachId = "lisa", DisplayName = "Lisa", Phone = "078-0000000", Email = "lisa@example.org" },
            },
            // The social service of the client's municipality names the first coach; a provider cannot name it itself.
            Party.As(Sender, cancellationToken));
        foreach (var recipient in new[] { Sender, coachParty })
        {
            var consent = new Consent { Client = atCoach, GrantorRole = GrantorRole.Client, RecipientParty = "parties/" + recipient };
            consent.Purposes.Add(Purpose.SignalFollowUp);
            consent.DataCategories.Add(DataCategory.Finances);
            await consents.GrantConsentAsync(new GrantConsentRequest { RequestId = RequestIds.Next(), Consent = consent }, Party.As(coachParty, cancellationToken));
        }

        return atSender;
    }

    /// <summary>Valid BSNs (elfproef), starting at a random point so reruns against one database do not collide.</summary>
    private static IEnumerable<string> Bsns()
    {
        for (var n = 100_000_000 + Random.Shared.Next(0, 800_000_000); ; n++)
        {
            var digits = n.ToString("D9", System.Globalization.CultureInfo.InvariantCulture);
            var sum = 0;
            for (var i = 0; i < 8; i++)
            {
                sum += (9 - i) * (digits[i] - '0');
            }

            sum -= digits[8] - '0';
            if (sum % 11 == 0)
            {
                yield return digits;
            }
        }
    }
}
