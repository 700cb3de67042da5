using Google.Protobuf;
using Google.Protobuf.Reflection;
using Google.Rpc;
using Grpc.Core;

namespace Ketenhub.Cli;

/// <summary>Prints what went wrong with a call and chooses the exit code.</summary>
public static class ErrorReport
{
    private static readonly JsonFormatter StatusJson = new(JsonFormatter.Settings.Default
        .WithIndentation()
        .WithTypeRegistry(TypeRegistry.FromMessages(ErrorInfo.Descriptor, BadRequest.Descriptor, DebugInfo.Descriptor, RetryInfo.Descriptor, PreconditionFailure.Descriptor, ResourceInfo.Descriptor)));

    /// <summary>
    /// Writes the error to <paramref name="error"/>: the <c>ErrorInfo</c> reason, the message and every field
    /// violation (or, with <paramref name="json"/>, the whole <c>google.rpc.Status</c> as JSON). Returns
    /// <see cref="ExitCodes.Refused"/> when the hub answered, <see cref="ExitCodes.Unreachable"/> when it
    /// could not be reached.
    /// </summary>
    public static int Write(RpcException exception, TextWriter error, Uri hub, bool json)
    {
        var status = exception.GetRpcStatus();
        var info = status?.GetDetail<ErrorInfo>();
        if (status is not null && info is not null)
        {
            if (json)
            {
                error.WriteLine(StatusJson.Format(status));
                return ExitCodes.Refused;
            }

            error.WriteLine($"error: {info.Reason} ({exception.StatusCode}): {status.Message}");
            foreach (var violation in status.GetDetail<BadRequest>()?.FieldViolations ?? [])
            {
                error.WriteLine($"  {violation.Field}: {violation.Description}");
            }

            return ExitCodes.Refused;
        }

        if (IsUnreachable(exception))
        {
            var cause = exception.Status.DebugException?.InnerException?.Message ?? exception.Status.DebugException?.Message;
            error.WriteLine($"error: the hub at {hub} is unreachable ({exception.StatusCode}): {exception.Status.Detail}{(cause is null ? string.Empty : " " + cause)}");
            error.WriteLine($"Is the hub running? Start it with `dotnet run --project src/Hub/Ketenhub.Hub`, or point --hub (${CliHost.HubVariable}) at it.");
            return ExitCodes.Unreachable;
        }

        error.WriteLine($"error: the hub answered {exception.StatusCode}: {exception.Status.Detail}");
        return ExitCodes.Refused;
    }

    /// <summary>No answer from the hub: it refused the connection, is not there, or did not answer in time.</summary>
    public static bool IsUnreachable(RpcException exception) =>
        exception.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded && exception.GetRpcStatus()?.GetDetail<ErrorInfo>() is null;
}
