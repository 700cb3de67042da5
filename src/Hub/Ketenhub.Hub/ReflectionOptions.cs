namespace Ketenhub.Hub.Host;

/// <summary>gRPC server reflection (section <c>Hub:Reflection</c>): lets tools such as grpcurl list the services.</summary>
public sealed class ReflectionOptions
{
    public const string Section = HubOptions.Section + ":Reflection";

    /// <summary>
    /// Whether the hub answers gRPC reflection. <value>The default value is on in Development and off elsewhere.</value>
    /// </summary>
    public bool? Enabled { get; set; }

    /// <summary>Whether reflection is on for this configuration and environment (a malformed value counts as off; start-up reports it).</summary>
    public static bool IsEnabled(IConfiguration configuration, IHostEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(environment);
        var value = configuration[Section + ":" + nameof(Enabled)];
        return string.IsNullOrEmpty(value) ? environment.IsDevelopment() : bool.TryParse(value, out var enabled) && enabled;
    }
}
