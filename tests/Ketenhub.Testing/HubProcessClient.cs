using System.Threading.Channels;
using Grpc.Core;
using Ketenhub.Contracts;
using Ketenhub.Contracts.V1;

namespace Ketenhub.Testing;

/// <summary>
/// The contract's service clients for a hub running as its own process (<see cref="HubProcess.As"/>), calling as one
/// party over a real socket with the development party header, plus the few helpers the process tests need. Every
/// call carries a deadline and the test's cancellation: a real process on a busy machine can hang. Tests of the hub
/// hosted in memory use <see cref="InProcess.PartyClient"/> instead (bearer tokens, xunit failures).
/// </summary>
public sealed class HubProcessClient(string partyId, CallInvoker invoker)
{
    /// <summary>Deadline of a unary call: generous, so a busy machine does not fail a call that would succeed.</summary>
    public static readonly TimeSpan CallDeadline = TimeSpan.FromSeconds(20);

    private static int _counter;

    public string PartyId { get; } = partyId;

    public string PartyName => "parties/" + PartyId;

    public ClientService.ClientServiceClient Clients { get; } = new(invoker);

    public ConsentService.ConsentServiceClient Consents { get; } = new(invoker);

    public SignalService.SignalServiceClient Signals { get; } = new(invoker);

    public TransitionService.TransitionServiceClient Transitions { get; } = new(invoker);

    public ReferralService.ReferralServiceClient Referrals { get; } = new(invoker);

    public CaseloadService.CaseloadServiceClient Caseload { get; } = new(invoker);

    public DeliveryService.DeliveryServiceClient Deliveries { get; } = new(invoker);

    public PartyService.PartyServiceClient Parties { get; } = new(invoker);

    public static string NewRequestId() => "req-" + Interlocked.Increment(ref _counter) + "-" + Guid.NewGuid().ToString("N")[..8];

    public static DateTime Deadline() => DateTime.UtcNow.Add(CallDeadline);

    public static Google.Type.Date Date(int year, int month, int day) => new() { Year = year, Month = month, Day = day };

    public async Task<Contracts.V1.Client> RegisterAsync(string bsn, Google.Type.Date birthDate, string municipality, CancellationToken cancellationToken)
    {
        var response = await Clients.RegisterClientAsync(
            new RegisterClientRequest { RequestId = NewRequestId(), Bsn = bsn, BirthDate = birthDate, MunicipalityCode = municipality },
            deadline: Deadline(),
            cancellationToken: cancellationToken);
        return response.Client;
    }

    /// <summary>Names a coach of <paramref name="coachParty"/> (default: this party) as the client's coach, calling as this party.</summary>
    public async Task AssignCoachAsync(string client, string coachId, string displayName, CancellationToken cancellationToken, string? coachParty = null) =>
        await Clients.AssignCoachAsync(
            new AssignCoachRequest
            {
                RequestId = NewRequestId(),
                Client = client,
                Coach = new Coach { Party = coachParty is null ? PartyName : "parties/" + coachParty, CoachId = coachId, DisplayName = displayName, Phone = "078-0000000", Email = coachId + "@example.org" },
            },
            deadline: Deadline(),
            cancellationToken: cancellationToken);

    public async Task<Consent> GrantAsync(string client, GrantorRole grantor, string recipientParty, Purpose purpose, DataCategory category, CancellationToken cancellationToken)
    {
        var consent = new Consent { Client = client, GrantorRole = grantor, RecipientParty = "parties/" + recipientParty };
        consent.Purposes.Add(purpose);
        consent.DataCategories.Add(category);
        var response = await Consents.GrantConsentAsync(new GrantConsentRequest { RequestId = NewRequestId(), Consent = consent }, deadline: Deadline(), cancellationToken: cancellationToken);
        return response.Consent;
    }

    public async Task AcknowledgeAsync(Delivery delivery, CancellationToken cancellationToken) =>
        await Deliveries.AcknowledgeDeliveryAsync(
            new AcknowledgeDeliveryRequest { RequestId = NewRequestId(), Name = delivery.Name },
            deadline: Deadline(),
            cancellationToken: cancellationToken);

    /// <summary>
    /// Opens the party's delivery stream from <paramref name="afterSequence"/> and collects what arrives. Tests collect
    /// before they acknowledge, so the stream asks for the largest window the hub allows (<c>max_outstanding</c> 1000).
    /// </summary>
    public DeliveryTail Tail(CancellationToken cancellationToken, long afterSequence = 0) =>
        new(Deliveries.StreamDeliveries(new StreamDeliveriesRequest { AfterSequence = afterSequence, MaxOutstanding = 1000 }, cancellationToken: cancellationToken));
}

/// <summary>A running delivery stream and the deliveries it has produced so far.</summary>
public sealed class DeliveryTail : IDisposable
{
    private readonly AsyncServerStreamingCall<StreamDeliveriesResponse> _call;
    private readonly Channel<Delivery> _received = Channel.CreateUnbounded<Delivery>();
    private readonly Task _pump;

    public DeliveryTail(AsyncServerStreamingCall<StreamDeliveriesResponse> call)
    {
        _call = call;
        _pump = Task.Run(async () =>
        {
            try
            {
                await foreach (var item in call.ResponseStream.ReadAllAsync())
                {
                    await _received.Writer.WriteAsync(item.Delivery);
                }

                // The hub keeps a delivery stream open until the recipient closes it: an end is a failure too.
                _received.Writer.TryComplete(new InvalidOperationException("The hub ended the delivery stream, which it keeps open until the recipient closes it."));
            }
            catch (Exception ex)
            {
                _received.Writer.TryComplete(ex);
            }
        });
    }

    /// <summary>
    /// Deliveries that arrive until at least <paramref name="atLeast"/> have come (however slowly) and then none
    /// has come for <paramref name="quiet"/>. A stream that fails or ends fails the collection (with the stream's status),
    /// so an empty list means the stream was open and quiet; only a cancellation through <paramref name="cancellationToken"/>
    /// is the caller's own.
    /// </summary>
    public async Task<List<Delivery>> CollectUntilQuietAsync(TimeSpan quiet, CancellationToken cancellationToken, int atLeast = 0)
    {
        var list = new List<Delivery>();
        while (true)
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            if (list.Count >= atLeast)
            {
                cts.CancelAfter(quiet);
            }

            try
            {
                list.Add(await _received.Reader.ReadAsync(cts.Token));
            }
            catch (OperationCanceledException) when (cts.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                return list;
            }
            catch (ChannelClosedException ex) when (ex.InnerException is RpcException rpc)
            {
                throw new InvalidOperationException($"The delivery stream failed after {list.Count} deliveries: {rpc.StatusCode} ({rpc.Status.Detail}).", rpc);
            }
            catch (ChannelClosedException ex) when (ex.InnerException is not null)
            {
                throw new InvalidOperationException($"The delivery stream failed after {list.Count} deliveries: {ex.InnerException.Message}", ex.InnerException);
            }
        }
    }

    public void Dispose()
    {
        _call.Dispose();
        try
        {
            _pump.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
        }
    }
}
