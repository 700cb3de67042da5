using System.CommandLine;
using Ketenhub.Identity;

namespace Ketenhub.Cli.Commands;

/// <summary>
/// <c>token</c>: mints a bearer token of the development issuer for a demo party (and optionally a person and roles).
/// Only a hub running in Development with <c>Identity:DevelopmentIssuer:Enabled</c> trusts it.
/// </summary>
public static class TokenCommand
{
    public static Command Create(CliContext context)
    {
        var party = CliOptions.Text("--party", "The party the token is for, for example sdd.", required: true, helpName: "id");
        var user = CliOptions.Text("--user", "A person acting through the party (their id is recorded in the audit trail).", helpName: "id");
        var roles = new Option<string[]>("--role") { Description = "A role the token grants, for example admin. Repeat for more.", HelpName = "role", AllowMultipleArgumentsPerToken = false };
        var keyFile = CliOptions.Text("--key-file", $"The development issuer's key file (created when missing). Defaults to {LocalTokens.DefaultDevelopmentKeyFile}.", helpName: "path");
        var issuer = CliOptions.Text("--issuer", $"The token's issuer: the development issuer's ({LocalTokens.DevelopmentIssuer}) unless a hub's Identity:Jwt:Issuer names another for this key.", helpName: "uri");
        var audience = CliOptions.Text("--audience", $"The token's audience: the development issuer's ({LocalTokens.DevelopmentAudience}) unless a hub's Identity:Jwt:Audience names another.", helpName: "uri");
        var hours = new Option<int>("--hours") { Description = "How long the token is valid, in hours (1 to 720).", DefaultValueFactory = _ => 8, HelpName = "n" };
        var command = new Command("token", "Prints a bearer token for a party, signed with a local key; call with --token <token> or KETENHUB_TOKEN. A hub trusts the development issuer's only in Development, and a key of your own when Identity:Jwt names its public half, issuer and audience.")
        {
            party,
            user,
            roles,
            keyFile,
            issuer,
            audience,
            hours,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var id = (parse.GetValue(party) ?? string.Empty).Trim();
            if (id.StartsWith("parties/", StringComparison.Ordinal))
            {
                id = id["parties/".Length..];
            }

            var validFor = parse.GetValue(hours);
            if (id.Length == 0 || validFor is < 1 or > 720)
            {
                await context.Host.Error.WriteLineAsync("error: --party needs a party id and --hours a number from 1 to 720.").ConfigureAwait(false);
                return ExitCodes.Usage;
            }

            var file = parse.GetValue(keyFile) is { Length: > 0 } given ? given : LocalTokens.DefaultDevelopmentKeyFile;
            using var key = LocalTokens.LoadOrCreateKey(file);
            var now = TimeProvider.System.GetUtcNow();
            var token = LocalTokens.Mint(key, parse.GetValue(issuer) is { Length: > 0 } i ? i : LocalTokens.DevelopmentIssuer, parse.GetValue(audience) is { Length: > 0 } a ? a : LocalTokens.DevelopmentAudience, id, parse.GetValue(user), parse.GetValue(roles) ?? [], now.AddMinutes(-5), now.AddHours(validFor));
            await context.Host.Output.WriteLineAsync(token).ConfigureAwait(false);
            return ExitCodes.Ok;
        });
        return command;
    }
}
