using Grpc.Core;
using Ketenhub.Contracts.V1;
using Ketenhub.Hub.Host.Transport;
using Ketenhub.Hub.Messages;

namespace Ketenhub.Hub.Host.Messages;

/// <summary>Raises and acknowledges signals.</summary>
public sealed class SignalGrpcService(Messaging messaging, MessageReader reader, MessageLists lists) : SignalService.SignalServiceBase
{
    public override Task<ListSignalsResponse> ListSignals(ListSignalsRequest request, ServerCallContext context) =>
        lists.ListSignalsAsync(request, context);

    public override async Task<CreateSignalResponse> CreateSignal(CreateSignalRequest request, ServerCallContext context)
    {
        var caller = context.Party();
        var key = Wire.Key(request.RequestId, request);
        var result = await messaging.CreateSignalAsync(caller, ContractMapping.ToDraft(request.Signal), key, context.CancellationToken);
        var response = new CreateSignalResponse { Signal = ContractMapping.ToContract(result.Signal) };
        response.Decisions.Add(result.Decisions.Select(ContractMapping.ToContract));
        return response;
    }

    public override async Task<GetSignalResponse> GetSignal(GetSignalRequest request, ServerCallContext context)
    {
        var signal = await reader.GetSignalAsync(context.Party(), request.Name, context.CancellationToken);
        return new GetSignalResponse { Signal = ContractMapping.ToContract(signal) };
    }

    public override async Task<AcknowledgeSignalResponse> AcknowledgeSignal(AcknowledgeSignalRequest request, ServerCallContext context)
    {
        var caller = context.Party();
        var key = Wire.Key(request.RequestId, request);
        var time = await messaging.AcknowledgeSignalAsync(caller, request.Name, key, context.CancellationToken);
        return new AcknowledgeSignalResponse { AcknowledgeTime = Wire.Time(time) };
    }
}
