using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ketenhub.Hub.Clients;
using Ketenhub.Hub.Common;
using Microsoft.Extensions.Options;

namespace Ketenhub.Hub.Host.Clients.PersonSources;

/// <summary>
/// The person source of a municipality: the Haal Centraal "BRP Personen Bevragen" API (version 2), one
/// <c>POST {BaseUrl}/personen</c> of type <c>RaadpleegMetBurgerservicenummer</c> per lookup, asking only for the fields
/// the hub checks (birth date, municipality of registration and since when, date of death, gezag and the parents'
/// names). The HTTP client retries transient failures and bounds each lookup (<see cref="PersonSourceServices"/>).
/// Errors name the status, never the person.
/// </summary>
public sealed class HaalCentraalPersonSource(IHttpClientFactory clients, IOptions<PersonSourceOptions> options) : IPersonSource
{
    /// <summary>The name of the HTTP client (with its retries and time limits) the lookups use.</summary>
    public const string HttpClientName = "person-source";

    /// <summary>The fields the hub asks for (the API returns only what is asked and authorised).</summary>
    public static readonly IReadOnlyList<string> Fields =
    [
        "burgerservicenummer", "geboorte.datum", "gemeenteVanInschrijving", "datumInschrijvingInGemeente",
        "overlijden.datum", "gezag", "ouders.burgerservicenummer", "ouders.naam",
    ];

    public bool IsConfigured => true;

    public async Task<PersonRecord?> FindAsync(string bsn, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(settings.BaseUrl!.ToString().TrimEnd('/') + "/personen"))
        {
            Content = JsonContent.Create(new JsonObject
            {
                ["type"] = "RaadpleegMetBurgerservicenummer",
                ["burgerservicenummer"] = new JsonArray(Bsn.Normalize(bsn)),
                ["fields"] = new JsonArray([.. Fields.Select(f => (JsonNode)f)]),
            }),
        };
        request.Headers.TryAddWithoutValidation(settings.ApiKeyHeader, settings.ApiKey);
        JsonNode? body;
        try
        {
            var http = clients.CreateClient(HttpClientName);
            using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                throw new PersonSourceUnavailableException($"the BRP API answered {(int)response.StatusCode}");
            }

            body = await response.Content.ReadFromJsonAsync<JsonNode>(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or JsonException or Polly.Timeout.TimeoutRejectedException or Polly.CircuitBreaker.BrokenCircuitException
            || (ex is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            throw new PersonSourceUnavailableException("the BRP API could not be reached: " + ex.GetType().Name, ex);
        }

        try
        {
            var person = (body?["personen"] as JsonArray)?.OfType<JsonObject>().FirstOrDefault();
            return person is null ? null : Read(person, Bsn.Normalize(bsn));
        }
        catch (Exception ex) when (ex is InvalidOperationException or FormatException)
        {
            // A value of another type than the API's schema gives (a number where a string belongs, say).
            throw new PersonSourceUnavailableException("the BRP API's answer does not follow its schema: " + ex.GetType().Name, ex);
        }
    }

    /// <summary>The facts of one <c>Persoon</c> of the API's answer.</summary>
    public static PersonRecord Read(JsonObject person, string bsn)
    {
        ArgumentNullException.ThrowIfNull(person);
        var parents = (person["ouders"] as JsonArray)?.OfType<JsonObject>()
            .Where(o => o["burgerservicenummer"]?.GetValue<string>() is { Length: > 0 })
            .ToDictionary(o => o["burgerservicenummer"]!.GetValue<string>(), o => NameOf(o["naam"] as JsonObject), StringComparer.Ordinal)
            ?? [];
        var authority = new List<AuthorityHolder>();
        foreach (var relation in (person["gezag"] as JsonArray)?.OfType<JsonObject>() ?? [])
        {
            if (relation["minderjarige"]?["burgerservicenummer"]?.GetValue<string>() is { } minor && minor != bsn)
            {
                continue;
            }

            switch (relation["type"]?.GetValue<string>())
            {
                case "TweehoofdigOuderlijkGezag":
                    authority.AddRange(Holders(relation["ouders"] as JsonArray, parents, RepresentationKind.ParentalAuthority));
                    break;
                case "EenhoofdigOuderlijkGezag":
                    authority.AddRange(Holders(new JsonArray(relation["ouder"]?.DeepClone()), parents, RepresentationKind.ParentalAuthority));
                    break;
                case "GezamenlijkGezag":
                    authority.AddRange(Holders(new JsonArray(relation["ouder"]?.DeepClone()), parents, RepresentationKind.ParentalAuthority));
                    authority.AddRange(Holders(new JsonArray(relation["derde"]?.DeepClone()), parents, RepresentationKind.Guardianship));
                    break;
                case "Voogdij":
                    authority.AddRange(Holders(relation["derden"] as JsonArray, parents, RepresentationKind.Guardianship));
                    break;
            }
        }

        return new PersonRecord(
            DateOf(person["geboorte"]?["datum"]),
            person["gemeenteVanInschrijving"]?["code"]?.GetValue<string>(),
            DateOf(person["datumInschrijvingInGemeente"]),
            DateOf(person["overlijden"]?["datum"]),
            authority);
    }

    // Only a full date (type Datum) counts; a partly unknown date (JaarDatum, DatumOnbekend) is no fact to check against.
    private static DateOnly? DateOf(JsonNode? datum) =>
        datum?["type"]?.GetValue<string>() == "Datum" && DateOnly.TryParseExact(datum["datum"]?.GetValue<string>(), "yyyy-MM-dd", out var date) ? date : null;

    private static IEnumerable<AuthorityHolder> Holders(JsonArray? holders, Dictionary<string, string> parents, RepresentationKind kind)
    {
        foreach (var holder in holders?.OfType<JsonObject>() ?? [])
        {
            var holderBsn = holder["burgerservicenummer"]?.GetValue<string>();
            var name = holderBsn is not null && parents.TryGetValue(holderBsn, out var parent) && parent.Length > 0
                ? parent
                : kind == RepresentationKind.Guardianship ? "voogd volgens de BRP" : "ouder volgens de BRP";
            yield return new AuthorityHolder(kind, name);
        }
    }

    private static string NameOf(JsonObject? naam)
    {
        if (naam is null)
        {
            return string.Empty;
        }

        var parts = new[] { naam["voornamen"], naam["voorvoegsel"], naam["geslachtsnaam"] }.Select(p => p?.GetValue<string>()).Where(p => !string.IsNullOrWhiteSpace(p));
        return string.Join(' ', parts);
    }
}
