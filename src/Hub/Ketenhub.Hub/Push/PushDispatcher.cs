using Ketenhub.Adapters;
using Ketenhub.Hub.Delivery;
using Ketenhub.Hub.Common;
using Ketenhub.Hub.Host.Transport;
using Ketenhub.Hub.Parties;
using Microsoft.Extensions.Options;
using Polly.CircuitBreaker;
using Polly.Timeout;
using AdapterOutbound = Ketenhub.Adapters.OutboundDelivery;
using ContractParty = Ketenhub.Contracts.V1.Party;

namespace Ketenhub.Hub.Host.Push;

/// <summary>
/// Pushes the deliveries of every party whose channel is not STREAM through that party's adapter. Each such party has
/// its own loop, so a slow or dead partner holds up only its own deliveries; the gRPC streams are not involved.
/// </summary>
/// <remarks>
/// A loop takes the party's oldest pending delivery through the same claim as the gRPC stream
/// (<see cref="DeliveryQueue.ClaimAsync"/>: per-client order, the disclosure's audit events committed before sending,
/// an attempt counted, set aside after <c>Hub:MaxDeliveryAttempts</c>, withheld or held when consent no longer covers
/// it), maps it to the contract's <c>Delivery</c> exactly as the stream does, translates it with the adapter and makes one
/// attempt. Delivered: acknowledged, or, for a partner that answers with a message of its own (iWmo and iJw retours),
/// waiting for that answer until <c>Hub:Push:RetourTimeout</c> (then set aside and raised to the sender, <see cref="RetourWaits"/>). Retry later: it stays pending and the loop waits (the partner's
/// <c>Retry-After</c>, or the hub's backoff) before claiming again; the next claim after the last attempt sets it
/// aside. Rejected by the partner or not expressible in its format: set aside with the reason at once, and the loop
/// goes on with the next. One delivery at a time per party keeps the partner's order and never counts an attempt for a
/// delivery that was not sent.
/// </remarks>
public sealed partial class PushDispatcher(
    DeliveryQueue queue,
    RetourWaits retourWaits,
    PartyDirectory parties,
    PushAdapters adapters,
    IOptions<PushOptions> options,
    IOptions<HubOptions> hubOptions,
    IConfiguration configuration,
    Ketenhub.Hub.Host.Clients.ClientNameRewriter clientNames,
    TimeProvider time,
    ILogger<PushDispatcher> logger,
    Ketenhub.Hub.Delivery.IScheduleLease? lease = null) : BackgroundService
{
    /// <summary>
    /// With several instances on one store, how long an instance keeps a party's push lease before it gives it up and
    /// takes it again (so a lease whose database session was lost unnoticed is not held for long).
    /// </summary>
    public static readonly TimeSpan LeaseTerm = TimeSpan.FromMinutes(1);

    /// <summary>How soon an instance that found a party's push lease taken asks again (the holder may have died).</summary>
    public static readonly TimeSpan LeaseRetry = TimeSpan.FromSeconds(5);

    /// <summary>The set-aside reason prefix for a partner's refusal; the adapter's code follows (for example <c>HTTP_422</c>).</summary>
    public const string RejectedPrefix = "REJECTED:";

    /// <summary>The set-aside reason prefix for a delivery the adapter cannot express; the adapter's reason follows.</summary>
    public const string UntranslatablePrefix = "UNTRANSLATABLE:";

    /// <summary>The set-aside reason after the last attempt failed.</summary>
    public const string MaxAttempts = "MAX_ATTEMPTS";

    private readonly Dictionary<string, ContractParty> _contractParties =
        parties.All.ToDictionary(p => p.Name, ContractMapping.ToContract, StringComparer.Ordinal);

    private readonly Dictionary<string, string> _uras =
        parties.All.Where(p => p.Ura is not null).ToDictionary(p => p.Name, p => p.Ura!, StringComparer.Ordinal);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        var pushed = parties.All.Where(p => p.IsPushed).ToList();
        if (pushed.Count == 0 || !options.Value.Enabled)
        {
            return;
        }

        var baseUrl = PushSettings.BaseUrl(options.Value, configuration)!;
        var loops = new List<Task>();
        foreach (var party in pushed)
        {
            var adapter = adapters.For(party);
            if (adapter is null || party.Endpoint is null)
            {
                LogNoAdapter(party.Id, party.Channel.ToString());
                continue;
            }

            loops.Add(RunAsync(party, adapter, baseUrl, stoppingToken));
        }

        await Task.WhenAll(loops).ConfigureAwait(false);
    }

    /// <summary>
    /// Runs the party's push loop. With several instances on one store (a <see cref="Ketenhub.Hub.Delivery.IScheduleLease"/>
    /// is registered), only the instance holding the party's push lease pushes, one <see cref="LeaseTerm"/> at a time, so a
    /// delivery is never pushed by two instances at once; the others ask again every <see cref="LeaseRetry"/>, and take
    /// over when the holder dies (its database session ends and the lease with it).
    /// </summary>
    private async Task RunAsync(Party party, IPartyAdapter adapter, Uri baseUrl, CancellationToken stoppingToken)
    {
        LogStarted(party.Id, adapter.Format);
        if (lease is null)
        {
            await PushLoopAsync(party, adapter, baseUrl, null, stoppingToken).ConfigureAwait(false);
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            IAsyncDisposable? held;
            try
            {
                held = await lease.TryAcquireAsync("push:" + party.Id, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogLoopFailed(party.Id, ex.GetType().Name);
                held = null;
            }

            if (held is null)
            {
                try
                {
                    await Task.Delay(LeaseRetry, time, stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                continue;
            }

            await using (held.ConfigureAwait(false))
            {
                await PushLoopAsync(party, adapter, baseUrl, time.GetUtcNow() + LeaseTerm, stoppingToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The push loop proper, until <paramref name="until"/> (the end of the lease term) or the hub stops.</summary>
    private async Task PushLoopAsync(Party party, IPartyAdapter adapter, Uri baseUrl, DateTimeOffset? until, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested && (until is null || time.GetUtcNow() < until))
        {
            try
            {
                // Take the wake-up before reading, so a commit between the read and the wait is not missed.
                var wake = queue.WaitForNewAsync(party, stoppingToken);

                // Messages whose retour did not come in time are set aside and raised to their sender; the poll
                // interval bounds how late that is noticed.
                var overdue = await retourWaits.SetAsideOverdueAsync(party, stoppingToken).ConfigureAwait(false);
                if (overdue > 0)
                {
                    LogRetourOverdue(party.Id, overdue);
                }

                var claimed = await queue.ClaimAsync(party, 0, 1, null, null, stoppingToken).ConfigureAwait(false);
                if (claimed.Count == 0)
                {
                    await IdleAsync(wake, stoppingToken).ConfigureAwait(false);
                    continue;
                }

                var wait = await PushAsync(party, adapter, baseUrl, claimed[0], stoppingToken).ConfigureAwait(false);
                if (wait is { } delay)
                {
                    await Task.Delay(delay, time, stoppingToken).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // The store or the claim failed: nothing was sent that is not counted. Try again after a pause.
                LogLoopFailed(party.Id, ex.GetType().Name);
                try
                {
                    await Task.Delay(options.Value.BackoffBase, time, stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>One attempt for one claimed delivery; returns how long to wait before the next claim, if at all.</summary>
    private async Task<TimeSpan?> PushAsync(Party party, IPartyAdapter adapter, Uri baseUrl, Hub.Delivery.OutboundDelivery outbound, CancellationToken stoppingToken)
    {
        var sent = outbound.Delivery;
        // The push continues the trace of the call that created the delivery; the HTTP request carries it (traceparent).
        using var span = HubTraces.StartPush(sent.TraceParent, party.Channel, sent.AttemptCount);
        // The partner sees its own name for the client, as a stream recipient does.
        var delivery = ContractMapping.ToContract(sent, outbound.Payload, outbound.Coach, outbound.Client);
        clientNames.Outbound(delivery, party.Id);
        AdapterDeliveryResult result;
        string? untranslatable = null;
        try
        {
            var consentContract = outbound.Consent is { } consent ? ContractMapping.ToContract(consent) : null;
            clientNames.Outbound(consentContract, party.Id);
            var context = new AdapterContext(baseUrl, _contractParties[party.Name], SenderOf(sent.Sender), _contractParties, consentContract) { Uras = _uras };
            var payload = adapter.TranslateOutbound(delivery, context);
            result = await adapter.DeliverAsync(new AdapterOutbound(sent.Name, party.Name, party.Endpoint!, payload, sent.AttemptCount), stoppingToken).ConfigureAwait(false);
        }
        catch (AdapterException ex)
        {
            untranslatable = ex.Reason;
            result = new AdapterDeliveryResult.Rejected(ex.Reason);
        }
        catch (BrokenCircuitException)
        {
            LogCircuitOpen(party.Id);
            result = new AdapterDeliveryResult.RetryLater(options.Value.BreakDuration);
        }
        catch (Exception ex) when (ex is TimeoutRejectedException or HttpRequestException || (ex is OperationCanceledException && !stoppingToken.IsCancellationRequested))
        {
            result = new AdapterDeliveryResult.RetryLater(null);
        }

        if (untranslatable == AdapterException.NotInFormat)
        {
            // The partner's standard has no message for it and the partner learns the same from its chain's own
            // messages: closed, not set aside (docs/adapters.md).
            await queue.RecordPushAsync(sent, delivered: true, null, CancellationToken.None, closedReason: AdapterException.NotInFormat).ConfigureAwait(false);
            LogNotInFormat(party.Id, sent.Name);
            return null;
        }

        switch (result)
        {
            case AdapterDeliveryResult.Delivered done:
                await queue.RecordPushAsync(sent, delivered: true, null, CancellationToken.None, done.AwaitsAnswer ? options.Value.RetourTimeout : null).ConfigureAwait(false);
                LogDelivered(party.Id, sent.Name, sent.AttemptCount);
                return null;
            case AdapterDeliveryResult.Rejected rejected:
                var reason = (untranslatable is null ? RejectedPrefix : UntranslatablePrefix) + rejected.ReasonCode;
                await queue.RecordPushAsync(sent, delivered: false, reason, CancellationToken.None).ConfigureAwait(false);
                LogSetAside(party.Id, sent.Name, sent.AttemptCount, reason);
                return null;
            case AdapterDeliveryResult.RetryLater later:
                if (sent.AttemptCount >= hubOptions.Value.MaxDeliveryAttempts)
                {
                    await queue.RecordPushAsync(sent, delivered: false, MaxAttempts, CancellationToken.None).ConfigureAwait(false);
                    LogSetAside(party.Id, sent.Name, sent.AttemptCount, MaxAttempts);
                    return null;
                }

                var wait = Backoff(sent.AttemptCount, later.After);
                LogRetryLater(party.Id, sent.Name, sent.AttemptCount, wait);
                return wait;
            default:
                throw new InvalidOperationException("An adapter returned an outcome the hub does not know.");
        }
    }

    /// <summary>
    /// The wait before the next attempt: <see cref="PushOptions.BackoffBase"/> doubled per attempt made, with ±20 % jitter,
    /// at least what the partner asked for, at most <see cref="PushOptions.BackoffMax"/>.
    /// </summary>
    internal TimeSpan Backoff(int attempts, TimeSpan? partnerAsked)
    {
        var o = options.Value;
        var exponent = Math.Clamp(attempts - 1, 0, 30);
        var computed = o.BackoffBase.TotalMilliseconds * Math.Pow(2, exponent) * (0.8 + (Random.Shared.NextDouble() * 0.4));
        var wait = TimeSpan.FromMilliseconds(Math.Min(computed, o.BackoffMax.TotalMilliseconds));
        if (partnerAsked is { } asked && asked > wait)
        {
            wait = asked;
        }

        return wait > o.BackoffMax ? o.BackoffMax : wait;
    }

    private async Task IdleAsync(Task wake, CancellationToken stoppingToken)
    {
        using var poll = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var delay = Task.Delay(options.Value.PollInterval, time, poll.Token);
        await Task.WhenAny(wake, delay).ConfigureAwait(false);
        await poll.CancelAsync().ConfigureAwait(false);
        stoppingToken.ThrowIfCancellationRequested();
    }

    private ContractParty SenderOf(string sender) =>
        _contractParties.TryGetValue("parties/" + sender, out var party) ? party : new ContractParty { Name = "parties/" + sender, DisplayName = sender };

    [LoggerMessage(Level = LogLevel.Information, Message = "Pushing deliveries of party {Party} as {Format}")]
    private partial void LogStarted(string party, string format);

    [LoggerMessage(Level = LogLevel.Error, Message = "Party {Party} has delivery channel {Channel} but no adapter or endpoint; its deliveries stay pending")]
    private partial void LogNoAdapter(string party, string channel);

    [LoggerMessage(Level = LogLevel.Information, Message = "Pushed {Delivery} to party {Party} (attempt {Attempt})")]
    private partial void LogDelivered(string party, string delivery, int attempt);

    [LoggerMessage(Level = LogLevel.Information, Message = "Delivery {Delivery} to party {Party} closed without sending: the party's standard has no message for it")]
    private partial void LogNotInFormat(string party, string delivery);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Delivery {Delivery} to party {Party} set aside after attempt {Attempt}: {Reason}")]
    private partial void LogSetAside(string party, string delivery, int attempt, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Delivery {Delivery} to party {Party} not taken on attempt {Attempt}; next attempt in {Wait}")]
    private partial void LogRetryLater(string party, string delivery, int attempt, TimeSpan wait);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} deliveries to party {Party} got no retour in time and were set aside")]
    private partial void LogRetourOverdue(string party, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The circuit to the endpoint of party {Party} is open")]
    private partial void LogCircuitOpen(string party);

    [LoggerMessage(Level = LogLevel.Error, Message = "Pushing to party {Party} failed with {ExceptionType}; trying again after the backoff")]
    private partial void LogLoopFailed(string party, string exceptionType);
}
