using Grpc.Core;
using Ketenhub.Hub.Clients;
using Ketenhub.Hub.Host.Transport;
using Ketenhub.Hub.Messages;
using Ketenhub.Hub.Parties;
using Ketenhub.Hub.Storage;
using V1 = Ketenhub.Contracts.V1;

namespace Ketenhub.Hub.Host.Messages;

/// <summary>
/// The List methods of referrals, transitions and signals: the fields each one filters on (docs/contracts.md, "Filtering
/// and ordering lists"), and the request's paging, filter and order read into a <see cref="MessageListRequest{T}"/>.
/// </summary>
public sealed class MessageLists(MessageListing listing, PageTokens pageTokens, ClientNames clientNames)
{
    /// <summary>The page size when a request asks for none.</summary>
    public const int DefaultPageSize = 100;

    private static readonly Dictionary<string, FilterField<ReferralRecord>> ReferralFields = new(StringComparer.Ordinal)
    {
        ["client"] = FilterField<ReferralRecord>.Client(r => r.ClientId),
        ["requester"] = FilterField<ReferralRecord>.Parties(r => [r.Requester]),
        ["performers.party"] = FilterField<ReferralRecord>.Parties(r => r.Performers.Select(p => p.PartyId)),
        ["performers.status"] = FilterField<ReferralRecord>.Enum(EnumOf<V1.PerformerStatus>(), r => r.Performers.Select(p => (int)p.Status)),
        ["service"] = FilterField<ReferralRecord>.Enum(EnumOf<V1.ServiceKind>(), r => [(int)r.Service]),
        ["urgency"] = FilterField<ReferralRecord>.Enum(EnumOf<V1.ReferralUrgency>(), r => [(int)r.Urgency]),
        ["create_time"] = FilterField<ReferralRecord>.Time(r => r.CreateTime),
    };

    private static readonly Dictionary<string, FilterField<TransitionRecord>> TransitionFields = new(StringComparer.Ordinal)
    {
        ["client"] = FilterField<TransitionRecord>.Client(t => t.ClientId),
        ["sender"] = FilterField<TransitionRecord>.Parties(t => [t.Sender]),
        ["kind"] = FilterField<TransitionRecord>.Enum(EnumOf<V1.TransitionKind>(), t => [(int)t.Kind]),
        ["from_party"] = FilterField<TransitionRecord>.Parties(t => [t.FromParty]),
        ["to_party"] = FilterField<TransitionRecord>.Parties(t => [t.ToParty]),
        ["effective_date"] = FilterField<TransitionRecord>.Date(t => t.EffectiveDate),
        ["create_time"] = FilterField<TransitionRecord>.Time(t => t.CreateTime),
    };

    private static readonly Dictionary<string, FilterField<SignalRecord>> SignalFields = new(StringComparer.Ordinal)
    {
        ["client"] = FilterField<SignalRecord>.Client(s => s.ClientId),
        ["sender"] = FilterField<SignalRecord>.Parties(s => [s.Sender]),
        ["kind"] = FilterField<SignalRecord>.Enum(EnumOf<V1.SignalKind>(), s => [(int)s.Kind]),
        ["domain"] = FilterField<SignalRecord>.Enum(EnumOf<V1.LifeDomain>(), s => [(int)s.Domain]),
        ["severity"] = FilterField<SignalRecord>.Enum(EnumOf<V1.SignalSeverity>(), s => [(int)s.Severity]),
        ["create_time"] = FilterField<SignalRecord>.Time(s => s.CreateTime),
    };

    private static Google.Protobuf.Reflection.EnumDescriptor EnumOf<TEnum>()
        where TEnum : struct, Enum =>
        new[] { V1.CommonReflection.Descriptor, V1.ReferralReflection.Descriptor, V1.TransitionReflection.Descriptor, V1.SignalReflection.Descriptor }
            .SelectMany(file => file.EnumTypes)
            .Single(e => e.ClrType == typeof(TEnum));

    /// <summary>The fields each list filters on, by list: for the documentation test.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyCollection<string>> Fields { get; } = new Dictionary<string, IReadOnlyCollection<string>>(StringComparer.Ordinal)
    {
        ["ListReferrals"] = ReferralFields.Keys,
        ["ListTransitions"] = TransitionFields.Keys,
        ["ListSignals"] = SignalFields.Keys,
    };

    public async Task<V1.ListReferralsResponse> ListReferralsAsync(V1.ListReferralsRequest request, ServerCallContext context)
    {
        var caller = context.Party();
        var (query, list) = Read(caller, "ListReferrals", request.PageSize, request.PageToken, request.Filter, request.OrderBy, ReferralFields);
        var page = await listing.ListReferralsAsync(caller, query, context.CancellationToken);
        var response = new V1.ListReferralsResponse { NextPageToken = Next(list, caller, page.Next) };
        response.Referrals.Add(page.Items.Select(r => ContractMapping.ToContract(r, caller.Id)));
        return response;
    }

    public async Task<V1.ListTransitionsResponse> ListTransitionsAsync(V1.ListTransitionsRequest request, ServerCallContext context)
    {
        var caller = context.Party();
        var (query, list) = Read(caller, "ListTransitions", request.PageSize, request.PageToken, request.Filter, request.OrderBy, TransitionFields);
        var page = await listing.ListTransitionsAsync(caller, query, context.CancellationToken);
        var response = new V1.ListTransitionsResponse { NextPageToken = Next(list, caller, page.Next) };
        response.Transitions.Add(page.Items.Select(ContractMapping.ToContract));
        return response;
    }

    public async Task<V1.ListSignalsResponse> ListSignalsAsync(V1.ListSignalsRequest request, ServerCallContext context)
    {
        var caller = context.Party();
        var (query, list) = Read(caller, "ListSignals", request.PageSize, request.PageToken, request.Filter, request.OrderBy, SignalFields);
        var page = await listing.ListSignalsAsync(caller, query, context.CancellationToken);
        var response = new V1.ListSignalsResponse { NextPageToken = Next(list, caller, page.Next) };
        response.Signals.Add(page.Items.Select(ContractMapping.ToContract));
        return response;
    }

    // A token is bound to the list, the caller, the filter and the order it was given for: with another filter or order
    // the position would mean something else.
    private (MessageListRequest<T> Query, string List) Read<T>(Party caller, string method, int pageSize, string pageToken, string filter, string orderBy, IReadOnlyDictionary<string, FilterField<T>> fields)
    {
        var size = Paging.Size(pageSize, DefaultPageSize);
        var descending = ListFilters.Descending(orderBy);
        var parsed = ListFilters.Parse(filter, fields, id => clientNames.Resolve(caller.Id, id));
        var list = method + "\n" + filter + "\n" + orderBy;
        var after = pageTokens.DecodePosition(list, caller.Id, pageToken);
        return (new MessageListRequest<T>(parsed.ClientId, parsed.Matches, descending, size, after), list);
    }

    private string Next(string list, Party caller, MessagePosition? next) =>
        next is null ? string.Empty : pageTokens.Encode(list, caller.Id, next);
}
