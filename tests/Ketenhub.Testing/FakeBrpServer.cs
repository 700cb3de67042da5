using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Ketenhub.Testing;

/// <summary>
/// A local fake of the endpoint of the Haal Centraal "BRP Personen Bevragen" API (version 2) that the hub uses:
/// <c>POST /personen</c> with <c>type: RaadpleegMetBurgerservicenummer</c>, over real HTTP on a loopback port. It checks
/// the API key, the query type and that every requested field is one the API knows, and answers from fictitious persons
/// the test seeds and may change (a move). <see cref="FailNext"/> makes the next requests answer 503.
/// </summary>
public sealed class FakeBrpServer : IAsyncDisposable
{
    /// <summary>The fields of the API the fake knows (those the hub may ask for, and a few more).</summary>
    private static readonly HashSet<string> KnownFields =
    [
        "burgerservicenummer", "geboorte.datum", "gemeenteVanInschrijving", "datumInschrijvingInGemeente", "overlijden.datum",
        "gezag", "ouders.burgerservicenummer", "ouders.naam", "naam", "geboorte", "verblijfplaats", "leeftijd",
    ];

    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, FakePerson> _persons = new(StringComparer.Ordinal);
    private int _failures;
    private int _requests;

    private FakeBrpServer(WebApplication app) => _app = app;

    /// <summary>The API key the fake accepts in <c>X-API-KEY</c>.</summary>
    public const string ApiKey = "test-brp-key";

    public Uri BaseUrl { get; private set; } = null!;

    /// <summary>How many requests reached the fake (failed ones included).</summary>
    public int Requests => _requests;

    public static async Task<FakeBrpServer> StartAsync()
    {
        // An empty builder: no appsettings from the test's folder (which holds the hub's Kestrel endpoints).
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        builder.Services.AddRoutingCore();
        var app = builder.Build();
        var server = new FakeBrpServer(app);
        app.MapPost("/personen", (Func<HttpContext, Task<IResult>>)server.HandleAsync);
        await app.StartAsync().ConfigureAwait(false);
        server.BaseUrl = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return server;
    }

    /// <summary>Seeds or replaces a person.</summary>
    public void Set(FakePerson person)
    {
        ArgumentNullException.ThrowIfNull(person);
        _persons[person.Bsn] = person;
    }

    /// <summary>When set, every person in an answer has a number where the API's schema has a string (its municipality).</summary>
    public bool Corrupt { get; set; }

    /// <summary>The next <paramref name="count"/> requests answer 503 Service Unavailable.</summary>
    public void FailNext(int count) => Interlocked.Exchange(ref _failures, count);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    private async Task<IResult> HandleAsync(HttpContext context)
    {
        Interlocked.Increment(ref _requests);
        if (Interlocked.Decrement(ref _failures) >= 0)
        {
            return Results.StatusCode((int)HttpStatusCode.ServiceUnavailable);
        }

        Interlocked.Exchange(ref _failures, 0);
        if (context.Request.Headers["X-API-KEY"] != ApiKey)
        {
            return Results.Problem(title: "Niet correct geauthenticeerd.", statusCode: 401);
        }

        var query = await JsonNode.ParseAsync(context.Request.Body).ConfigureAwait(false);
        if (query?["type"]?.GetValue<string>() != "RaadpleegMetBurgerservicenummer"
            || query["fields"] is not JsonArray fields || fields.Count == 0
            || fields.Any(f => !KnownFields.Contains(f?.GetValue<string>() ?? string.Empty))
            || query["burgerservicenummer"] is not JsonArray numbers || numbers.Count is 0 or > 20)
        {
            return Results.Problem(title: "Ten minste één parameter moet worden opgegeven.", statusCode: 400);
        }

        var found = new JsonArray();
        foreach (var number in numbers.Select(n => n?.GetValue<string>()))
        {
            if (number is not null && _persons.TryGetValue(number, out var person))
            {
                var json = person.ToJson();
                if (Corrupt)
                {
                    json["gemeenteVanInschrijving"] = new JsonObject { ["code"] = 642 };
                }

                found.Add(json);
            }
        }

        return Results.Json(new JsonObject { ["type"] = "RaadpleegMetBurgerservicenummer", ["personen"] = found });
    }
}

/// <summary>A fictitious person in the fake register. Parents are (BSN, first name, surname).</summary>
public sealed record FakePerson(
    string Bsn,
    DateOnly BirthDate,
    string MunicipalityCode,
    DateOnly MunicipalitySince,
    DateOnly? DeathDate = null,
    IReadOnlyList<(string Bsn, string FirstName, string Surname)>? ParentsWithAuthority = null)
{
    public JsonObject ToJson()
    {
        var person = new JsonObject
        {
            ["burgerservicenummer"] = Bsn,
            ["geboorte"] = new JsonObject { ["datum"] = Datum(BirthDate) },
            ["gemeenteVanInschrijving"] = new JsonObject { ["code"] = MunicipalityCode, ["omschrijving"] = "Gemeente " + MunicipalityCode },
            ["datumInschrijvingInGemeente"] = Datum(MunicipalitySince),
        };
        if (DeathDate is { } died)
        {
            person["overlijden"] = new JsonObject { ["datum"] = Datum(died) };
        }

        if (ParentsWithAuthority is { Count: > 0 } parents)
        {
            person["ouders"] = new JsonArray([.. parents.Select((p, i) => (JsonNode)new JsonObject
            {
                ["burgerservicenummer"] = p.Bsn,
                ["ouderAanduiding"] = (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["naam"] = new JsonObject { ["voornamen"] = p.FirstName, ["geslachtsnaam"] = p.Surname },
            })]);
            var gezag = parents.Count == 2
                ? new JsonObject { ["type"] = "TweehoofdigOuderlijkGezag", ["ouders"] = new JsonArray([.. parents.Select(p => (JsonNode)new JsonObject { ["burgerservicenummer"] = p.Bsn })]) }
                : new JsonObject { ["type"] = "EenhoofdigOuderlijkGezag", ["ouder"] = new JsonObject { ["burgerservicenummer"] = parents[0].Bsn } };
            gezag["minderjarige"] = new JsonObject { ["burgerservicenummer"] = Bsn };
            person["gezag"] = new JsonArray(gezag);
        }

        return person;
    }

    private static JsonObject Datum(DateOnly date) => new()
    {
        ["type"] = "Datum",
        ["datum"] = date.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
        ["langFormaat"] = date.ToString("d MMMM yyyy", new System.Globalization.CultureInfo("nl-NL")),
    };
}
