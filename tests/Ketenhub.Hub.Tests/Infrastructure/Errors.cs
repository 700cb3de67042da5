using Google.Rpc;
using Grpc.Core;

namespace Ketenhub.HubTests.Infrastructure;

/// <summary>Asserts on the hub's coded errors.</summary>
public static class Errors
{
    /// <summary>Runs the call and returns its error, failing when it succeeds or the error is not coded.</summary>
    public static async Task<(StatusCode Code, string Reason, IReadOnlyList<string> Fields)> Of(Func<Task> call)
    {
        try
        {
            await call();
        }
        catch (RpcException ex)
        {
            var status = ex.GetRpcStatus();
            Assert.NotNull(status);
            var info = status!.GetDetail<ErrorInfo>();
            Assert.NotNull(info);
            Assert.Equal("ketenhub.nl", info!.Domain);
            var fields = status.GetDetail<BadRequest>()?.FieldViolations.Select(v => v.Field).ToList() ?? [];
            return (ex.StatusCode, info.Reason, fields);
        }

        throw new Xunit.Sdk.XunitException("The call succeeded but an error was expected.");
    }

    public static async Task Expect(StatusCode code, string reason, Func<Task> call)
    {
        var error = await Of(call);
        Assert.Equal((code, reason), (error.Code, error.Reason));
    }
}
