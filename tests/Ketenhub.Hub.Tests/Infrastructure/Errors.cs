using System.Text.RegularExpressions;
using Google.Rpc;
using Grpc.Core;

namespace Ketenhub.HubTests.Infrastructure;

/// <summary>One field violation of a coded error: the field's path and its own code.</summary>
public sealed record Violation(string Field, string Reason);

/// <summary>A coded error as a program reads it: status, <c>ErrorInfo</c> reason and metadata, and the field violations.</summary>
public sealed record HubError(StatusCode Code, string Reason, IReadOnlyDictionary<string, string> Metadata, IReadOnlyList<Violation> Violations, string Message);

/// <summary>
/// Asserts on the hub's coded errors. Every error read here is also held to the shape docs/errors.md promises: one
/// <c>ErrorInfo</c> in domain <c>ketenhub.nl</c>, lowerCamelCase metadata keys, a reason on every field violation, and
/// an <c>ErrorInfo.reason</c> that is the violations' common code, or <c>INVALID_REQUEST</c> when they differ.
/// </summary>
public static partial class Errors
{
    [GeneratedRegex("^[a-z][a-zA-Z0-9]*$")]
    private static partial Regex MetadataKey();

    /// <summary>Runs the call and returns its error, failing when it succeeds or the error is not coded.</summary>
    public static async Task<(StatusCode Code, string Reason, IReadOnlyList<string> Fields)> Of(Func<Task> call)
    {
        var error = await Detail(call);
        return (error.Code, error.Reason, error.Violations.Select(v => v.Field).ToList());
    }

    /// <summary>Runs the call and returns its whole error, failing when it succeeds or the error is not coded.</summary>
    public static async Task<HubError> Detail(Func<Task> call)
    {
        try
        {
            await call();
        }
        catch (RpcException ex)
        {
            return Read(ex);
        }

        throw new Xunit.Sdk.XunitException("The call succeeded but an error was expected.");
    }

    /// <summary>Reads a coded error and checks its shape.</summary>
    public static HubError Read(RpcException ex)
    {
        var status = ex.GetRpcStatus();
        Assert.NotNull(status);
        var infos = status!.Details.Where(d => d.Is(ErrorInfo.Descriptor)).Select(d => d.Unpack<ErrorInfo>()).ToList();
        var info = Assert.Single(infos);
        Assert.Equal("ketenhub.nl", info.Domain);
        Assert.All(info.Metadata.Keys, key => Assert.Matches(MetadataKey(), key));
        var violations = status.GetDetail<BadRequest>()?.FieldViolations.Select(v => new Violation(v.Field, v.Reason)).ToList() ?? [];
        Assert.All(violations, v => Assert.False(string.IsNullOrEmpty(v.Reason), $"The violation of {v.Field} has no reason."));
        if (violations.Count > 0)
        {
            var reasons = violations.Select(v => v.Reason).Distinct(StringComparer.Ordinal).ToList();
            Assert.Equal(reasons.Count == 1 ? reasons[0] : "INVALID_REQUEST", info.Reason);
        }

        if (violations.Count == 1)
        {
            Assert.Equal(violations[0].Field, info.Metadata.GetValueOrDefault("field"));
        }

        return new HubError(ex.StatusCode, info.Reason, info.Metadata.ToDictionary(StringComparer.Ordinal), violations, status.Message);
    }

    public static async Task Expect(StatusCode code, string reason, Func<Task> call)
    {
        var error = await Of(call);
        Assert.Equal((code, reason), (error.Code, error.Reason));
    }
}
