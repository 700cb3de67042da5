using Ketenhub.Client;
using Ketenhub.Client.Configuration;
using Ketenhub.Client.Consumer;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the Ketenhub client and delivery consumer in a service collection.</summary>
public static class KetenhubServiceCollectionExtensions
{
    /// <summary>
    /// Registers a singleton <see cref="KetenhubClient"/> configured in code. The options are validated when the
    /// host starts, so a missing address or identity stops the start with a message that names the setting.
    /// An <see cref="IKetenhubTokenProvider"/> registered in the collection is used when the options name none,
    /// and a registered <see cref="TimeProvider"/> is the clock for deadlines.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the options.</param>
    /// <returns>The service collection.</returns>
    public static IServiceCollection AddKetenhubClient(this IServiceCollection services, Action<KetenhubClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<KetenhubClientOptions>().Configure(configure).ValidateOnStart();
        return AddClientCore(services);
    }

    /// <summary>
    /// Registers a singleton <see cref="KetenhubClient"/> bound from a configuration section (for example
    /// <c>configuration.GetSection("Ketenhub")</c>), optionally adjusted in code, and validated at start.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configuration">The section with <c>Address</c>, <c>DevelopmentParty</c>, <c>ClientCertificatePath</c>, <c>DefaultDeadline</c>, <c>Retry</c>, ….</param>
    /// <param name="configure">Adjusts the bound options (for example sets a token provider); null for none.</param>
    /// <returns>The service collection.</returns>
    public static IServiceCollection AddKetenhubClient(this IServiceCollection services, IConfiguration configuration, Action<KetenhubClientOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        var builder = services.AddOptions<KetenhubClientOptions>().Bind(configuration).ValidateOnStart();
        if (configure is not null)
        {
            builder.Configure(configure);
        }

        return AddClientCore(services);
    }

    /// <summary>
    /// Registers a hosted service that consumes this party's deliveries with
    /// <see cref="KetenhubDeliveryConsumer"/>, handing each to a <typeparamref name="THandler"/> resolved in its
    /// own scope. Needs <see cref="AddKetenhubClient(IServiceCollection, Action{KetenhubClientOptions})"/>.
    /// </summary>
    /// <typeparam name="THandler">Your handler; registered as scoped.</typeparam>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the consumer options; null for the defaults.</param>
    /// <returns>The service collection.</returns>
    public static IServiceCollection AddKetenhubDeliveryConsumer<THandler>(this IServiceCollection services, Action<KetenhubDeliveryConsumerOptions>? configure = null)
        where THandler : class, IKetenhubDeliveryHandler
    {
        ArgumentNullException.ThrowIfNull(services);
        var builder = services.AddOptions<KetenhubDeliveryConsumerOptions>().ValidateOnStart();
        if (configure is not null)
        {
            builder.Configure(configure);
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<KetenhubDeliveryConsumerOptions>, KetenhubDeliveryConsumerOptionsValidator>());
        services.TryAddScoped<THandler>();
        services.AddSingleton(sp => new KetenhubDeliveryConsumer(
            sp.GetRequiredService<KetenhubClient>(),
            new ScopedDeliveryHandler<THandler>(sp.GetRequiredService<IServiceScopeFactory>()),
            sp.GetRequiredService<IOptions<KetenhubDeliveryConsumerOptions>>().Value,
            sp.GetService<TimeProvider>(),
            sp.GetService<ILogger<KetenhubDeliveryConsumer>>()));
        services.AddHostedService(sp => new DeliveryConsumerService(sp.GetRequiredService<KetenhubDeliveryConsumer>()));
        return services;
    }

    private static IServiceCollection AddClientCore(IServiceCollection services)
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<KetenhubClientOptions>, KetenhubClientOptionsValidator>());
        services.TryAddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<KetenhubClientOptions>>().Value;
            if (options.TokenProvider is null && sp.GetService<IKetenhubTokenProvider>() is { } registered)
            {
                options.TokenProvider = registered;
            }

            return new KetenhubClient(options, sp.GetService<TimeProvider>());
        });
        return services;
    }
}
