using System.Threading.Channels;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Ketenhub.Contracts.V1;

namespace Ketenhub.Testing.InProcess;

/// <summary>
/// Every service client of the contract for the hub hosted in memory (<see cref="HubFactory.As(string)"/>), calling as
/// one party with a bearer token, plus small helpers for tests that fail with xunit messages. <paramref name="partyOf"/>
/// gives clients of other parties on the same hub, for helpers that need another party's act (naming a first coach);
/// <paramref name="clock"/> the hub's clock, for helpers that date what they record.
/// A hub running as its own process has <see cref="HubProcessClient"/> instead.
/// </summary>
public sealed class PartyClient(string partyId, CallInvoker invoker, Func<string, PartyClient>? partyOf = null, TimeProvider? clock = null)
{
    private static readonly TimeZoneInfo Amsterdam = TimeZoneInfo.FindSystemTimeZoneById("Europe/Amsterdam");

    private static int _counter;

    public string PartyId { get; } = partyId;

    public string PartyName => "parties/" + PartyId;

    public ClientService.ClientServiceClient Clients { get; } = new(invoker);

    public CaseloadService.CaseloadServiceClient Caseload { get; } = new(invoker);

    public SelfService.SelfServiceClient Self { get; } = new(invoker);

    public ConsentService.ConsentServiceClient Consents { get; } = new(invoker);

    public ReferralService.ReferralServiceClient Referrals { get; } = new(invoker);

    public TransitionService.TransitionServiceClient Transitions { get; } = new(invoker);

    public SignalService.SignalServiceClient Signals { get; } = new(invoker);

    public DeliveryService.DeliveryServiceClient Deliveries { get; } = new(invoker);

    public ExplainService.ExplainServiceClient Explain { get; } = new(invoker);

    public PartyService.PartyServiceClient Parties { get; } = new(invoker);

    public AuditService.AuditServiceClient Audit { get; } = new(invoker);

    public MonitorService.MonitorServiceClient Monitor { get; } = new(invoker);

    public static string NewRequestId() => "req-" + Interlocked.Increment(ref _counter) + "-" + Guid.NewGuid().ToString("N")[..8];

    public static Google.Type.Date Date(int year, int month, int day) => new() { Year = year, Month = month, Day = day };

    private static DateOnly ToDate(Google.Type.Date date) => new(date.Year, date.Month, date.Day);

    public async Task<Client> RegisterAsync(string bsn, Google.Type.Date birthDate, string municipality, string? school = null)
    {
        var response = await Clients.RegisterClientAsync(new RegisterClientRequest
        {
            RequestId = NewRequestId(),
            Bsn = bsn,
            BirthDate = birthDate,
            MunicipalityCode = municipality,
            School = school ?? string.Empty,
        });
        return response.Client;
    }

    /// <summary>
    /// Records a consent. A representative's consent rests on a recorded representation: when the client has none of the
    /// grantor's kind that holds today, this records one first (from today), as the party that grants.
    /// </summary>
    public async Task<Consent> GrantAsync(string client, GrantorRole grantor, string recipientParty, Purpose[] purposes, DataCategory[] categories)
    {
        if (grantor is not (GrantorRole.Client or GrantorRole.Unspecified))
        {
            await EnsureRepresentativeAsync(client, grantor);
        }

        var consent = new Consent { Client = client, GrantorRole = grantor, RecipientParty = "parties/" + recipientParty };
        consent.Purposes.Add(purposes);
        consent.DataCategories.Add(categories);
        var response = await Consents.GrantConsentAsync(new GrantConsentRequest { RequestId = NewRequestId(), Consent = consent });
        return response.Consent;
    }

    /// <summary>
    /// The representation of the grantor's kind that holds on <paramref name="from"/> (default: today), recorded from that
    /// day when there is none.
    /// </summary>
    public async Task<Representative> EnsureRepresentativeAsync(string client, GrantorRole grantor, DateOnly? from = null)
    {
        var kind = grantor switch
        {
            GrantorRole.Parent => RepresentationKind.ParentalAuthority,
            GrantorRole.Guardian => RepresentationKind.Guardianship,
            GrantorRole.Mentor => RepresentationKind.Mentorship,
            GrantorRole.Curator => RepresentationKind.Curatorship,
            GrantorRole.Administrator => RepresentationKind.Administration,
            _ => throw new ArgumentOutOfRangeException(nameof(grantor), grantor, "The client's own consent rests on no representation."),
        };
        var representatives = (await Clients.ListRepresentativesAsync(new ListRepresentativesRequest { Client = client })).Representatives;
        var existing = from is null
            ? representatives.FirstOrDefault(r => r.Kind == kind && r.Current)
            : representatives.FirstOrDefault(r => r.Kind == kind && ToDate(r.StartDate) <= from && (r.EndDate is null || ToDate(r.EndDate) > from));
        if (existing is not null)
        {
            return existing;
        }

        var today = from ?? DateOnly.FromDateTime(TimeZoneInfo.ConvertTime((clock ?? TimeProvider.System).GetUtcNow(), Amsterdam).DateTime);
        var response = await Clients.CreateRepresentativeAsync(new CreateRepresentativeRequest
        {
            RequestId = NewRequestId(),
            Representative = new Representative { Client = client, Kind = kind, DisplayName = "Test " + kind, StartDate = Date(today.Year, today.Month, today.Day) },
        });
        return response.Representative;
    }

    /// <summary>
    /// Makes one of this party's coaches the client's coach. A provider cannot name a client's first coach itself (it
    /// has no relationship yet): the party <paramref name="by"/> names it, by default the social service, as the
    /// scenarios' SDD does for its municipalities. Pass <c>by: null</c> to call as this party.
    /// </summary>
    public async Task AssignCoachAsync(string client, string coachId, string displayName, string? by = "sdd")
    {
        var namer = by is null || by == PartyId ? this : (partyOf ?? throw new InvalidOperationException("This client cannot reach other parties."))(by);
        await namer.Clients.AssignCoachAsync(new AssignCoachRequest
        {
            RequestId = NewRequestId(),
            Client = client,
            Coach = new Coach { Party = PartyName, CoachId = coachId, DisplayName = displayName, Phone = "078-0000000", Email = coachId + "@example.org" },
        });
    }

    public async Task AcknowledgeAsync(Delivery delivery) =>
        await Deliveries.AcknowledgeDeliveryAsync(new AcknowledgeDeliveryRequest { RequestId = NewRequestId(), Name = delivery.Name });

    /// <summary>Opens the party's delivery stream and collects what arrives.</summary>
    public DeliveryTail Tail(long afterSequence = 0) => Tail(new StreamDeliveriesRequest { AfterSequence = afterSequence });

    /// <summary>Opens the party's delivery stream with the given request (ack deadline, flow control, mode, heartbeats).</summary>
    public DeliveryTail Tail(StreamDeliveriesRequest request) => new(Deliveries.StreamDeliveries(request));

    /// <summary>
    /// Everything currently pending for the party: opens a stream that asks for heartbeats, collects until the hub says
    /// the stream is caught up (every pending delivery sent), then until quiet (for work the hub finishes after the call
    /// that caused it), and closes it. Waiting for the hub's word rather than a quiet window alone keeps a slow start
    /// on a loaded machine from reading as "nothing pending".
    /// </summary>
    public async Task<IReadOnlyList<Delivery>> DrainAsync(TimeSpan? quiet = null, bool acknowledge = false)
    {
        using var tail = Tail(new StreamDeliveriesRequest { HeartbeatInterval = Duration.FromTimeSpan(TimeSpan.FromMinutes(10)), MaxOutstanding = 1000 });
        var received = await tail.CollectUntilCaughtUpAsync(quiet ?? TimeSpan.FromMilliseconds(700));
        if (acknowledge)
        {
            foreach (var delivery in received)
            {
                await AcknowledgeAsync(delivery);
            }
        }

        return received;
    }
}

/// <summary>
/// A running delivery stream and the deliveries it has produced so far. The hub keeps a delivery stream open until the
/// recipient closes it, so a stream that fails (refused, broken) or ends while the test reads it fails the test: only
/// the cancellation that <see cref="Dispose"/> asks for is expected.
/// </summary>
public sealed class DeliveryTail : IDisposable
{
    private readonly AsyncServerStreamingCall<StreamDeliveriesResponse> _call;
    private readonly Channel<Delivery> _received = Channel.CreateUnbounded<Delivery>();
    private readonly Channel<StreamHeartbeat> _heartbeats = Channel.CreateUnbounded<StreamHeartbeat>();
    private readonly Task _pump;
    private int _closing;

    public DeliveryTail(AsyncServerStreamingCall<StreamDeliveriesResponse> call)
    {
        _call = call;
        _pump = Task.Run(async () =>
        {
            try
            {
                await foreach (var item in call.ResponseStream.ReadAllAsync())
                {
                    if (item.Heartbeat is { } heartbeat)
                    {
                        await _heartbeats.Writer.WriteAsync(heartbeat);
                    }
                    else
                    {
                        await _received.Writer.WriteAsync(item.Delivery ?? throw new InvalidOperationException("A stream message carried neither a delivery nor a heartbeat."));
                    }
                }

                var ended = new StreamEndedException("The hub ended the delivery stream, which it keeps open until the recipient closes it.");
                _received.Writer.TryComplete(ended);
                _heartbeats.Writer.TryComplete(ended);
            }
            catch (Exception ex) when (Volatile.Read(ref _closing) != 0 && ex is OperationCanceledException or RpcException { StatusCode: StatusCode.Cancelled })
            {
                // The test closed the stream.
                _received.Writer.TryComplete();
                _heartbeats.Writer.TryComplete();
            }
            catch (Exception ex)
            {
                _received.Writer.TryComplete(ex);
                _heartbeats.Writer.TryComplete(ex);
            }
        });
    }

    /// <summary>The next heartbeat (only on a stream that asked for them); a failed test if none arrives in time.</summary>
    public async Task<StreamHeartbeat> NextHeartbeatAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        try
        {
            return await _heartbeats.Reader.ReadAsync(cts.Token);
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            // A stream that failed meanwhile says so rather than the timeout.
            if (_received.Reader.Completion.IsFaulted)
            {
                await _received.Reader.Completion;
            }

            throw new Xunit.Sdk.XunitException("No heartbeat arrived in time.");
        }
        catch (ChannelClosedException ex)
        {
            throw StreamFailed(ex);
        }
    }

    /// <summary>The next delivery; a failed test if none arrives in time (real time: the hub works asynchronously) or the stream fails.</summary>
    public async Task<Delivery> NextAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        try
        {
            return await _received.Reader.ReadAsync(cts.Token);
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            throw new Xunit.Sdk.XunitException("No delivery arrived in time.");
        }
        catch (ChannelClosedException ex)
        {
            throw StreamFailed(ex);
        }
    }

    /// <summary>
    /// On a stream that asked for heartbeats: the deliveries that arrive until a heartbeat says the stream is caught up,
    /// then until none has come for <paramref name="quiet"/>. No caught-up heartbeat within <paramref name="timeout"/>
    /// (30 seconds unless given), or a stream that fails, fails the test.
    /// </summary>
    public async Task<IReadOnlyList<Delivery>> CollectUntilCaughtUpAsync(TimeSpan quiet, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        try
        {
            while (!(await _heartbeats.Reader.ReadAsync(cts.Token)).CaughtUp)
            {
            }
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            throw new Xunit.Sdk.XunitException("The delivery stream did not catch up in time.");
        }
        catch (ChannelClosedException ex)
        {
            throw StreamFailed(ex);
        }

        // The pump hands over every delivery before the heartbeat that follows it.
        return await CollectUntilQuietAsync(quiet);
    }

    /// <summary>
    /// Deliveries that arrive until none has come for <paramref name="quiet"/>. A stream that fails or ends before
    /// then fails the test, so an empty list means the stream was open and quiet, not that it was refused.
    /// </summary>
    public async Task<IReadOnlyList<Delivery>> CollectUntilQuietAsync(TimeSpan quiet)
    {
        var list = new List<Delivery>();
        while (true)
        {
            // What has already arrived is taken first: a read with a spent window would refuse it.
            while (_received.Reader.TryRead(out var ready))
            {
                list.Add(ready);
            }

            using var cts = new CancellationTokenSource(quiet);
            try
            {
                list.Add(await _received.Reader.ReadAsync(cts.Token));
            }
            catch (OperationCanceledException) when (cts.IsCancellationRequested)
            {
                return list;
            }
            catch (ChannelClosedException ex)
            {
                throw StreamFailed(ex);
            }
        }
    }

    public void Dispose()
    {
        Volatile.Write(ref _closing, 1);
        _call.Dispose();
        _pump.Wait(TimeSpan.FromSeconds(5));
    }

    private static Xunit.Sdk.XunitException StreamFailed(ChannelClosedException closed) => closed.InnerException switch
    {
        RpcException rpc => new Xunit.Sdk.XunitException($"The delivery stream failed: {rpc.StatusCode} ({rpc.Status.Detail}).", rpc),
        StreamEndedException ended => new Xunit.Sdk.XunitException(ended.Message, ended),
        { } other => new Xunit.Sdk.XunitException($"The delivery stream failed: {other.GetType().Name}: {other.Message}", other),
        null => new Xunit.Sdk.XunitException("The delivery stream was read after the test closed it."),
    };

    /// <summary>The hub ended the delivery stream (reported to the test as an <see cref="Xunit.Sdk.XunitException"/>).</summary>
    public sealed class StreamEndedException(string message) : Exception(message);
}
