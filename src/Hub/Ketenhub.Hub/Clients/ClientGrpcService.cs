using Google.Protobuf;
using Grpc.Core;
using Ketenhub.Contracts.V1;
using Ketenhub.Hub.Audit;
using Ketenhub.Hub.Clients;
using Ketenhub.Hub.Host.Transport;
using Ketenhub.Hub.Retention;

namespace Ketenhub.Hub.Host.Clients;

/// <summary>Registers clients, assigns coaches, reads care teams, journeys and reports.</summary>
public sealed class ClientGrpcService(ClientRegistry registry, ClientRepresentatives representatives, AccessReports accessReports, ClientErasure erasure, BsnHasher hasher, PageTokens pageTokens) : ClientService.ClientServiceBase
{
    public override async Task<EraseClientResponse> EraseClient(EraseClientRequest request, ServerCallContext context)
    {
        var key = Wire.Key(request.RequestId, request);
        var result = await erasure.EraseAsync(context.Actor(), request.Name, (Hub.Retention.ErasureGround)(int)request.Ground, key, context.CancellationToken);
        return new EraseClientResponse
        {
            Name = "clients/" + result.ClientId,
            EraseTime = Wire.Time(result.EraseTime),
            ErasedMessages = result.Messages,
            ErasedDeliveryPayloads = result.DeliveryPayloads,
            RemovedRecords = result.RelatedRecords,
            AlreadyErased = result.AlreadyErased,
        };
    }

    public override async Task<CreateRepresentativeResponse> CreateRepresentative(CreateRepresentativeRequest request, ServerCallContext context)
    {
        var view = await representatives.RecordAsync(context.Party(), ContractMapping.ToDraft(request.Representative), Wire.Key(request.RequestId, request), context.CancellationToken);
        return new CreateRepresentativeResponse { Representative = ContractMapping.ToContract(view) };
    }

    public override async Task<EndRepresentativeResponse> EndRepresentative(EndRepresentativeRequest request, ServerCallContext context)
    {
        var end = Wire.Date(request.EndDate, "end_date");
        var view = await representatives.EndAsync(context.Party(), request.Client, request.Name, end, Wire.Key(request.RequestId, request), context.CancellationToken);
        return new EndRepresentativeResponse { Representative = ContractMapping.ToContract(view) };
    }

    public override async Task<ListRepresentativesResponse> ListRepresentatives(ListRepresentativesRequest request, ServerCallContext context)
    {
        var views = await representatives.ListAsync(context.Party(), request.Client, context.CancellationToken);
        return new ListRepresentativesResponse { Representatives = { views.Select(ContractMapping.ToContract) } };
    }

    public override Task<RegisterClientResponse> RegisterClient(RegisterClientRequest request, ServerCallContext context) =>
        RegisterAsync(registry, hasher, context.Party(), request, context.CancellationToken);

    /// <summary>Registers a client for <paramref name="caller"/>: the call, and a partner's message that names its client by BSN (inbound iWmo).</summary>
    internal static async Task<RegisterClientResponse> RegisterAsync(ClientRegistry registry, BsnHasher hasher, Ketenhub.Hub.Parties.Party caller, RegisterClientRequest request, CancellationToken cancellationToken)
    {
        // The body holds a BSN: its idempotency hash is keyed, so the stored hash cannot be reversed.
        var key = Common.RequestKey.Create(request.RequestId, hasher.RequestBodyHash(request.ToByteArray()));
        var birthDate = Wire.Date(request.BirthDate, "birth_date", Common.ErrorReasons.InvalidBirthDate);
        var result = await registry.RegisterAsync(caller, request.Bsn, birthDate, request.MunicipalityCode, request.School, key, cancellationToken).ConfigureAwait(false);
        return new RegisterClientResponse { Client = ContractMapping.ToContract(result.Client, result.SchoolId), AlreadyRegistered = result.AlreadyRegistered };
    }

    public override async Task<CorrectClientFactsResponse> CorrectClientFacts(CorrectClientFactsRequest request, ServerCallContext context)
    {
        var caller = context.Party();
        var key = Wire.Key(request.RequestId, request);
        var birthDate = Wire.Date(request.BirthDate, "birth_date", Common.ErrorReasons.InvalidBirthDate);
        var view = await registry.CorrectFactsAsync(caller, request.Name, birthDate, request.MunicipalityCode, key, context.CancellationToken);
        return new CorrectClientFactsResponse { Client = ContractMapping.ToContract(view.Client, view.SchoolId) };
    }

    public override async Task<GetClientResponse> GetClient(GetClientRequest request, ServerCallContext context)
    {
        var view = await registry.GetAsync(context.Party(), request.Name, context.CancellationToken);
        return new GetClientResponse { Client = ContractMapping.ToContract(view.Client, view.SchoolId), Coach = ContractMapping.ToContract(view.Coach) };
    }

    public override async Task<AssignCoachResponse> AssignCoach(AssignCoachRequest request, ServerCallContext context)
    {
        var caller = context.Party();
        var key = Wire.Key(request.RequestId, request);
        var result = await registry.AssignCoachAsync(caller, request.Client, ContractMapping.ToDraft(request.Coach), key, context.CancellationToken, request.Etag);
        return new AssignCoachResponse { CareTeam = ContractMapping.ToContract(result.CareTeam), HandoverTaskCreated = result.HandoverTaskCreated };
    }

    public override async Task<GetCareTeamResponse> GetCareTeam(GetCareTeamRequest request, ServerCallContext context)
    {
        var view = await registry.GetCareTeamAsync(context.Party(), request.Client, context.CancellationToken);
        return new GetCareTeamResponse { CareTeam = ContractMapping.ToContract(view) };
    }

    public override async Task<ListJourneyEventsResponse> ListJourneyEvents(ListJourneyEventsRequest request, ServerCallContext context)
    {
        var caller = context.Party();
        var offset = pageTokens.DecodeOffset("ListJourneyEvents", caller.Id, request.PageToken);
        var (events, next) = await registry.GetJourneyAsync(caller, request.Client, request.PageSize, offset, context.CancellationToken);
        var response = new ListJourneyEventsResponse { NextPageToken = next is null ? string.Empty : pageTokens.Encode("ListJourneyEvents", caller.Id, next.Value) };
        response.Events.Add(events.Select(ContractMapping.ToContract));
        return response;
    }

    public override async Task<GetClientReportResponse> GetClientReport(GetClientReportRequest request, ServerCallContext context)
    {
        var report = await registry.GetReportAsync(context.Party(), request.Client, context.CancellationToken);
        var response = new GetClientReportResponse
        {
            Client = report.Client.Name,
            CoachChanges = Math.Max(0, report.Coaches.Count - 1),
        };
        response.Signals.Add(report.Signals.Select(s => new Contracts.V1.SignalFigure
        {
            Signal = "signals/" + s.SignalId,
            RaiseTime = Wire.Time(s.RaiseTime),
            TimeToAcknowledgement = Wire.Span(s.TimeToAcknowledgement),
            Escalated = s.Escalated,
        }));
        response.Referrals.Add(report.Referrals.Select(r => new Contracts.V1.ReferralFigure
        {
            Referral = "referrals/" + r.ReferralId,
            Service = Wire.From<Contracts.V1.ServiceKind>(r.Service),
            RequestTime = Wire.Time(r.RequestTime),
            TimeToStart = Wire.Span(r.TimeToStart),
            TimeFromSignalToStart = Wire.Span(r.TimeFromSignalToStart),
        }));
        response.Coaches.Add(report.Coaches.Select(c => ContractMapping.ToContract(c)!));
        return response;
    }

    public override async Task<GetClientAccessReportResponse> GetClientAccessReport(GetClientAccessReportRequest request, ServerCallContext context)
    {
        var report = await accessReports.GetAsync(context.Actor(), request.Client, context.CancellationToken);
        return new GetClientAccessReportResponse { Report = ToContract(report, includeClient: true) };
    }

    /// <summary>An access report on the wire; without the client's name for the client themselves.</summary>
    internal static ClientAccessReport ToContract(AccessReport report, bool includeClient)
    {
        var contract = new ClientAccessReport { Client = includeClient ? report.Client.Name : string.Empty, CreateTime = Wire.Time(report.CreateTime), Text = report.Text };
        contract.Received.Add(report.Received.Select(ToContract));
        contract.NotShared.Add(report.NotShared.Select(ToContract));
        contract.Viewed.Add(report.Viewed.Select(ToContract));
        contract.ActiveConsents.Add(report.ActiveConsents.Select(ToContract));
        contract.OtherConsents.Add(report.OtherConsents.Select(ToContract));
        return contract;
    }

    private static Contracts.V1.AccessReportLine ToContract(Hub.Audit.AccessReportLine line) => new()
    {
        Party = line.PartyId is null ? string.Empty : "parties/" + line.PartyId,
        EventTime = Wire.Time(line.Time),
        Text = line.Text,
        Sender = Wire.PartyName(line.SenderId),
    };
}
