using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Ketenhub.Hub.Host.Clients.PersonSources;

/// <summary>The person source the hub checks clients against (section <c>Hub:PersonSource</c>; docs/operations.md).</summary>
public sealed class PersonSourceOptions
{
    public const string Section = "Hub:PersonSource";

    /// <summary>
    /// <c>None</c> (no checks), <c>File</c> (a JSON file of fictitious persons, for the demo) or <c>HaalCentraal</c> (the
    /// Haal Centraal BRP Personen Bevragen API). <value>The default value is None.</value>
    /// </summary>
    [Required]
    [RegularExpression("^(None|File|HaalCentraal)$", ErrorMessage = "Hub:PersonSource:Kind must be None, File or HaalCentraal.")]
    public string Kind { get; set; } = "None";

    /// <summary>For <c>File</c>: the persons file, relative to the hub's program folder (as the parties file) or absolute.</summary>
    public string? File { get; set; }

    /// <summary>For <c>HaalCentraal</c>: the API's base address (the path before <c>/personen</c>), https.</summary>
    public Uri? BaseUrl { get; set; }

    /// <summary>For <c>HaalCentraal</c>: the API key, sent in <see cref="ApiKeyHeader"/>. Keep it out of files: set it in the environment.</summary>
    public string? ApiKey { get; set; }

    /// <summary>The header the API key goes in. <value>The default value is X-API-KEY.</value></summary>
    [Required]
    public string ApiKeyHeader { get; set; } = "X-API-KEY";

    /// <summary>How long one lookup may take, retries included. <value>The default value is 10 seconds.</value></summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often every client is checked against the source. <value>The default value is one day.</value></summary>
    [Range(typeof(TimeSpan), "00:01:00", "30.00:00:00")]
    public TimeSpan CheckInterval { get; set; } = TimeSpan.FromDays(1);
}

/// <summary>What a kind of source needs, checked at start-up.</summary>
public sealed class PersonSourceOptionsValidator : IValidateOptions<PersonSourceOptions>
{
    public ValidateOptionsResult Validate(string? name, PersonSourceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = new List<string>();
        if (options.Kind == "File" && string.IsNullOrWhiteSpace(options.File))
        {
            problems.Add("Hub:PersonSource:File is required for Kind File.");
        }

        if (options.Kind == "HaalCentraal")
        {
            if (options.BaseUrl is null || !options.BaseUrl.IsAbsoluteUri || (options.BaseUrl.Scheme != Uri.UriSchemeHttps && !options.BaseUrl.IsLoopback))
            {
                problems.Add("Hub:PersonSource:BaseUrl must be an absolute https address for Kind HaalCentraal (http only on loopback).");
            }

            if (string.IsNullOrWhiteSpace(options.ApiKey))
            {
                problems.Add("Hub:PersonSource:ApiKey is required for Kind HaalCentraal.");
            }
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
