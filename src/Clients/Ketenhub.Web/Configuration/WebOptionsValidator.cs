using Microsoft.Extensions.Options;

namespace Ketenhub.Web.Configuration;

/// <summary>Checks the web app's settings at start-up and reports every problem at once.</summary>
public sealed class WebOptionsValidator(IHostEnvironment environment, IConfiguration configuration) : IValidateOptions<WebOptions>
{
    public ValidateOptionsResult Validate(string? name, WebOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = new List<string>();
        if (options.HubAddress is null || !options.HubAddress.IsAbsoluteUri || options.HubAddress.Scheme is not ("http" or "https"))
        {
            problems.Add("Web:HubAddress must be the hub's absolute http(s) address.");
        }

        if (TimeZoneInfoOrNull(options.TimeZone) is null)
        {
            problems.Add($"Web:TimeZone '{options.TimeZone}' is not a time zone this machine knows.");
        }

        switch (options.SignIn)
        {
            case SignInMode.Development when !environment.IsDevelopment():
                problems.Add("Web:SignIn Development is allowed only in the Development environment.");
                break;
            case SignInMode.Development:
                if (options.Development.Coaches.Count == 0)
                {
                    problems.Add("Web:Development:Coaches lists no coach to sign in as.");
                }

                foreach (var client in options.Development.Clients)
                {
                    if (client.Bsn.Length != 9 || !client.Bsn.All(char.IsAsciiDigit) || string.IsNullOrWhiteSpace(client.DisplayName))
                    {
                        problems.Add("Every client in Web:Development:Clients needs a nine-digit Bsn and a DisplayName.");
                        break;
                    }
                }

                foreach (var coach in options.Development.Coaches)
                {
                    if (string.IsNullOrWhiteSpace(coach.Party) || string.IsNullOrWhiteSpace(coach.CoachId) || string.IsNullOrWhiteSpace(coach.DisplayName))
                    {
                        problems.Add("Every coach in Web:Development:Coaches needs Party, CoachId and DisplayName.");
                        break;
                    }
                }

                break;
            case SignInMode.EntraId:
                foreach (var key in new[] { "AzureAd:Instance", "AzureAd:TenantId", "AzureAd:ClientId" })
                {
                    if (string.IsNullOrWhiteSpace(configuration[key]))
                    {
                        problems.Add($"{key} is required to sign in with Entra ID.");
                    }
                }

                if (!options.Citizens.RequireHttpsMetadata && !environment.IsDevelopment())
                {
                    problems.Add("Web:Citizens:RequireHttpsMetadata may be false only in the Development environment.");
                }

                if (options.Citizens.IsConfigured && (options.Citizens.Authority is null || string.IsNullOrWhiteSpace(options.Citizens.ClientId)))
                {
                    problems.Add("Web:Citizens needs Authority and ClientId (the citizens' OpenID Connect provider).");
                }

                if (string.IsNullOrWhiteSpace(options.HubScope))
                {
                    problems.Add("Web:HubScope is required to sign in with Entra ID (the hub's scope, for example api://ketenhub/hub.access).");
                }

                break;
            default:
                problems.Add($"Web:SignIn '{options.SignIn}' is not a sign-in mode (EntraId or Development).");
                break;
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

    internal static TimeZoneInfo? TimeZoneInfoOrNull(string id)
    {
        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById(id);
        }
        catch (TimeZoneNotFoundException)
        {
            return null;
        }
        catch (InvalidTimeZoneException)
        {
            return null;
        }
    }
}
