using Ketenhub.Hub.Host;
using Ketenhub.Hub.Host.Clients;
using Ketenhub.Hub.Routing;
using Microsoft.Extensions.Options;

// `audit verify`: check the audit trail's hash chain and exit, without serving.
if (args is ["audit", "verify", ..])
{
    return await Ketenhub.Hub.Host.Audit.AuditVerifyCommand.RunAsync(args[2..], Console.Out);
}

// Settings and the demo configuration sit next to the binary, so the hub starts the same from any folder.
// A first argument without dashes names a command-line mode (see HubCommandLine) instead of serving.
var command = HubCommandLine.CommandOf(args);
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = command is null ? args : args[1..], ContentRootPath = AppContext.BaseDirectory });
builder.AddKetenhub();

var app = builder.Build();
app.MapKetenhub();
try
{
    if (command is not null)
    {
        var code = await HubCommandLine.RunAsync(app, command);
        await app.DisposeAsync();
        return code;
    }

    app.Run();
    return 0;
}
catch (Exception ex) when (ex is ConfigFileException or OptionsValidationException)
{
    // A misconfigured hub refuses to start with one clear message that names the file or setting.
    StartupLog.CannotStart(app.Logger, ex.Message);
    return 1;
}
catch (AggregateException ex) when (ex.InnerExceptions.All(e => e is ConfigFileException or OptionsValidationException))
{
    // Several settings are wrong at once (each options section is checked): one message per problem.
    foreach (var problem in ex.InnerExceptions)
    {
        StartupLog.CannotStart(app.Logger, problem.Message);
    }

    return 1;
}

/// <summary>The host's entry point; public so integration tests can start it with WebApplicationFactory.</summary>
public partial class Program;

/// <summary>Start-up messages.</summary>
internal static partial class StartupLog
{
    [LoggerMessage(Level = LogLevel.Critical, Message = "Ketenhub cannot start: {Problem}")]
    public static partial void CannotStart(ILogger logger, string problem);
}
