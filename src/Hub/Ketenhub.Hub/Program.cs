using Ketenhub.Hub.Host;
using Ketenhub.Hub.Host.Clients;
using Ketenhub.Hub.Routing;
using Microsoft.Extensions.Options;

// `--help`: what the hub can do from the command line, without starting anything.
if (args is ["--help" or "-h" or "help", ..])
{
#pragma warning disable RS0030 // The help text is the command's standard output.
    Console.Out.Write(Ketenhub.Hub.Host.HubHelp.Text);
#pragma warning restore RS0030
    return 0;
}

// `audit verify`: check the audit trail's hash chain and exit, without serving.
if (args is ["audit", "verify", ..])
{
    // `audit verify` is a command-line mode, not the serving hub: its report is the command's standard output.
#pragma warning disable RS0030 // The console is banned in the hub (docs/code-rules.md); this is the one place that hands it on.
    return await Ketenhub.Hub.Host.Audit.AuditVerifyCommand.RunAsync(args[2..], Console.Out);
#pragma warning restore RS0030
}

// `backup --to <file>`: an online backup of the SQLite database, safe while the hub runs, then exit.
if (args is ["backup", ..])
{
#pragma warning disable RS0030 // As for `audit verify`: the command's report is its standard output.
    return await Ketenhub.Hub.Host.Storage.BackupCommand.RunAsync(args[1..], Console.Out);
#pragma warning restore RS0030
}

// Settings and the demo configuration sit next to the binary, so the hub starts the same from any folder.
// A first argument without dashes names a command-line mode (see HubCommandLine) instead of serving.
// The environment asked for (ASPNETCORE_ENVIRONMENT, DOTNET_ENVIRONMENT, --environment) wins over the launch
// profile's default (see HubEnvironment).
var command = HubCommandLine.CommandOf(args);
var builder = WebApplication.CreateBuilder(HubEnvironment.Options(command is null ? args : args[1..]));
builder.AddKetenhub();

var app = builder.Build();

// Every configuration problem at once, one line each, before anything serves or writes.
var problems = StartupProblems.Find(app.Services);
if (problems.Count > 0)
{
    foreach (var problem in problems)
    {
        StartupLog.CannotStart(app.Logger, problem);
    }

    await app.DisposeAsync();
    return 1;
}

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
catch (Exception ex) when (ex is ConfigFileException or OptionsValidationException or StartupProblemsException)
{
    // A misconfigured hub refuses to start with one clear message per problem, naming the file or setting.
    foreach (var problem in ProblemsOf(ex))
    {
        StartupLog.CannotStart(app.Logger, problem);
    }

    return 1;
}
catch (AggregateException ex) when (ex.InnerExceptions.All(e => e is ConfigFileException or OptionsValidationException or StartupProblemsException))
{
    // Several settings are wrong at once (each options section is checked): one message per problem.
    foreach (var problem in ex.InnerExceptions.SelectMany(ProblemsOf))
    {
        StartupLog.CannotStart(app.Logger, problem);
    }

    return 1;
}
catch (Exception ex) when (!app.Lifetime.ApplicationStarted.IsCancellationRequested
    && ex is IOException or UnauthorizedAccessException or InvalidOperationException or System.Security.Cryptography.CryptographicException)
{
    // Something the configuration names cannot be used at start (a certificate file, a port): the reason, no stack trace.
    var kind = ex.GetType().Name;
    StartupLog.CannotStartBecause(app.Logger, kind, ex.Message);
    return 1;
}

static IEnumerable<string> ProblemsOf(Exception ex) => ex switch
{
    ConfigFileException file => file.Errors,
    OptionsValidationException options => options.Failures,
    StartupProblemsException startup => startup.Problems,
    _ => [ex.Message],
};

/// <summary>The host's entry point; public so integration tests can start it with WebApplicationFactory.</summary>
public partial class Program;

/// <summary>Start-up messages.</summary>
internal static partial class StartupLog
{
    [LoggerMessage(Level = LogLevel.Critical, Message = "Ketenhub cannot start: {Problem}")]
    public static partial void CannotStart(ILogger logger, string problem);

    [LoggerMessage(Level = LogLevel.Critical, Message = "Ketenhub cannot start ({Kind}): {Problem}")]
    public static partial void CannotStartBecause(ILogger logger, string kind, string problem);
}
