using Ketenhub.Hub;
using Ketenhub.Hub.Clients;
using Ketenhub.Hub.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly;

namespace Ketenhub.Hub.Host.Clients.PersonSources;

/// <summary>Registers the configured person source and its scheduled check.</summary>
public static class PersonSourceServices
{
    public static IServiceCollection AddKetenhubPersonSource(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<PersonSourceOptions>()
            .BindChecked(configuration, PersonSourceOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<PersonSourceOptions>, PersonSourceOptionsValidator>();
        services.AddHttpClient(HaalCentraalPersonSource.HttpClientName, client => client.Timeout = Timeout.InfiniteTimeSpan)
            .AddResilienceHandler("person-source", (builder, context) =>
            {
                var options = context.ServiceProvider.GetRequiredService<IOptions<PersonSourceOptions>>().Value;

                // A lookup's time limits and retry waits are the network's: they run on the wall clock, whatever clock
                // the hub's own work uses.
                builder.TimeProvider = TimeProvider.System;
                builder.AddTimeout(options.Timeout);
                builder.AddRetry(new HttpRetryStrategyOptions
                {
                    MaxRetryAttempts = 2,
                    BackoffType = DelayBackoffType.Exponential,
                    UseJitter = true,
                    Delay = TimeSpan.FromMilliseconds(200),
                });
                builder.AddTimeout(options.Timeout / 3);
            });

        // The kind is read from the validated options when the source is first needed, so every configuration source
        // (files, environment, a test host's settings) has been applied.
        services.RemoveAll<IPersonSource>();
        services.AddSingleton<IPersonSource>(sp =>
        {
            var options = sp.GetRequiredService<IOptions<PersonSourceOptions>>().Value;
            return options.Kind switch
            {
                "File" => new FilePersonSource(HubCoreRegistration.Resolve(options.File!)),
                "HaalCentraal" => new HaalCentraalPersonSource(sp.GetRequiredService<IHttpClientFactory>(), sp.GetRequiredService<IOptions<PersonSourceOptions>>()),
                _ => new NoPersonSource(),
            };
        });
        services.AddHostedService<PersonFactsService>();
        return services;
    }
}
