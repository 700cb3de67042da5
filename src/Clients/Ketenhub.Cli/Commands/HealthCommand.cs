using System.CommandLine;
using Grpc.Health.V1;

namespace Ketenhub.Cli.Commands;

/// <summary><c>health</c>: the standard gRPC health check.</summary>
public static class HealthCommand
{
    public static Command Create(CliContext context)
    {
        var service = CliOptions.Text("--service", "The service to check; empty (the default) for the hub as a whole.", helpName: "name");
        var health = new Command("health", "Checks that the hub is serving (grpc.health.v1). Exit code 0 when SERVING, 3 when unreachable or not serving.")
        {
            service,
        };
        context.SetAction(
            health,
            async (call, parse, cancellationToken) =>
            {
                var response = await new Health.HealthClient(call.Invoker).CheckAsync(
                    new HealthCheckRequest { Service = parse.GetValue(service) ?? string.Empty },
                    deadline: TimeProvider.System.GetUtcNow().UtcDateTime.AddSeconds(10),
                    cancellationToken: cancellationToken);
                if (call.Json)
                {
                    call.WriteJson(response);
                }
                else
                {
                    call.Host.Output.WriteLine(EnumNames<HealthCheckResponse.Types.ServingStatus>.Format(response.Status));
                }

                return response.Status == HealthCheckResponse.Types.ServingStatus.Serving ? ExitCodes.Ok : ExitCodes.Unreachable;
            },
            needsParty: false);
        return health;
    }
}
