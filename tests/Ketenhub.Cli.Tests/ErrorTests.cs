using System.Net;
using System.Net.Sockets;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using Ketenhub.Cli.Tests.Infrastructure;
using Ketenhub.Contracts.V1;

namespace Ketenhub.Cli.Tests;

/// <summary>Errors from the hub (exit code 2) and a hub that cannot be reached (exit code 3).</summary>
public sealed class ErrorTests
{
    private readonly FakeHub _hub = new();

    [Fact]
    public async Task CodedError_PrintsReasonMessageAndFieldViolations_AndExitsTwo()
    {
        _hub.On<RegisterClientRequest, RegisterClientResponse>(_ => throw InvalidBsn());

        var result = await Run("client", "register", "--as", "sdd", "--bsn", "123456789", "--birth-date", "2000-01-01", "--municipality", "0642");

        Assert.Equal(ExitCodes.Refused, result.ExitCode);
        Assert.Equal(string.Empty, result.Output);
        Assert.Contains("error: INVALID_BSN (InvalidArgument): bsn is not a valid burgerservicenummer (elfproef).", result.Error);
        Assert.Contains("  bsn: bsn fails the elfproef.", result.Error);
    }

    [Fact]
    public async Task CodedError_WithJson_PrintsTheStatusAsJson()
    {
        _hub.On<RegisterClientRequest, RegisterClientResponse>(_ => throw InvalidBsn());

        var result = await Run("client", "register", "--json", "--as", "sdd", "--bsn", "123456789", "--birth-date", "2000-01-01", "--municipality", "0642");

        Assert.Equal(ExitCodes.Refused, result.ExitCode);
        Assert.Contains("\"reason\": \"INVALID_BSN\"", result.Error);
        Assert.Contains("\"domain\": \"ketenhub.nl\"", result.Error);
        Assert.Contains("\"field\": \"bsn\"", result.Error);
    }

    [Fact]
    public async Task CodedUnavailable_IsARefusal_NotUnreachable()
    {
        var status = new Google.Rpc.Status
        {
            Code = (int)Code.Unavailable,
            Message = "The store is unavailable.",
            Details = { Any.Pack(new ErrorInfo { Domain = "ketenhub.nl", Reason = "STORAGE_UNAVAILABLE" }) },
        };
        _hub.On<ListConsentsRequest, ListConsentsResponse>(_ => throw status.ToRpcException());

        var result = await Run("consent", "list", "--as", "sdd", "--client", "cli_1");

        Assert.Equal(ExitCodes.Refused, result.ExitCode);
        Assert.Contains("STORAGE_UNAVAILABLE", result.Error);
    }

    [Fact]
    public async Task UncodedUnavailable_IsUnreachable()
    {
        _hub.On<ListConsentsRequest, ListConsentsResponse>(_ => throw new RpcException(new Grpc.Core.Status(StatusCode.Unavailable, "Error connecting to subchannel.")));

        var result = await Run("consent", "list", "--as", "sdd", "--client", "cli_1");

        Assert.Equal(ExitCodes.Unreachable, result.ExitCode);
        Assert.Contains("is unreachable", result.Error);
    }

    [Fact]
    public async Task UncodedOtherError_IsARefusal()
    {
        _hub.On<ListConsentsRequest, ListConsentsResponse>(_ => throw new RpcException(new Grpc.Core.Status(StatusCode.Unimplemented, "Method not found.")));

        var result = await Run("consent", "list", "--as", "sdd", "--client", "cli_1");

        Assert.Equal(ExitCodes.Refused, result.ExitCode);
        Assert.Contains("error: the hub answered Unimplemented: Method not found.", result.Error);
    }

    [Theory]
    [InlineData("health")]
    [InlineData("client", "register", "--as", "hans-petrischool", "--bsn", "111222333", "--birth-date", "2008-03-14", "--municipality", "0642")]
    [InlineData("deliveries", "tail", "--as", "sdd", "--timeout", "5")]
    public async Task NobodyListening_ExitsThree(params string[] args)
    {
        var result = await Tool.RunAsync([.. args, "--hub", $"http://127.0.0.1:{ClosedPort()}"]);

        Assert.Equal(ExitCodes.Unreachable, result.ExitCode);
        Assert.Contains("is unreachable", result.Error);
    }

    private static RpcException InvalidBsn()
    {
        var status = new Google.Rpc.Status
        {
            Code = (int)Code.InvalidArgument,
            Message = "bsn is not a valid burgerservicenummer (elfproef).",
            Details =
            {
                Any.Pack(new ErrorInfo { Domain = "ketenhub.nl", Reason = "INVALID_BSN" }),
                Any.Pack(new BadRequest { FieldViolations = { new BadRequest.Types.FieldViolation { Field = "bsn", Description = "bsn fails the elfproef." } } }),
            },
        };
        return status.ToRpcException();
    }

    /// <summary>A loopback port with nothing listening on it.</summary>
    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private Task<CliResult> Run(params string[] args) => Tool.RunAsync(new Dictionary<string, string>(), _hub.Connect, args);
}
