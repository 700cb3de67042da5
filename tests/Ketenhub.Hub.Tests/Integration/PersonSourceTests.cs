using System.Text.Json.Nodes;
using Ketenhub.Hub.Common;
using Ketenhub.Hub.Host.Clients.PersonSources;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Ketenhub.HubTests.Integration;

/// <summary>The two person sources: the BRP API's answer as the hub reads it, the demo file, and their settings.</summary>
public sealed class PersonSourceTests
{
    [Fact]
    public void TheBrpAnswer_GivesFullDatesOnly_AndAuthorityPerKindOfGezag()
    {
        var person = JsonNode.Parse("""
            {
              "burgerservicenummer": "999990093",
              "geboorte": { "datum": { "type": "Datum", "datum": "2010-04-02", "langFormaat": "2 april 2010" } },
              "gemeenteVanInschrijving": { "code": "0505", "omschrijving": "Dordrecht" },
              "datumInschrijvingInGemeente": { "type": "JaarMaandDatum", "jaar": 2019, "maand": 5, "langFormaat": "mei 2019" },
              "ouders": [ { "burgerservicenummer": "999990019", "naam": { "voornamen": "Ilse", "voorvoegsel": "de", "geslachtsnaam": "Wit" } } ],
              "gezag": [
                { "type": "GezamenlijkGezag", "minderjarige": { "burgerservicenummer": "999990093" }, "ouder": { "burgerservicenummer": "999990019" }, "derde": { "burgerservicenummer": "999990020" } },
                { "type": "Voogdij", "minderjarige": { "burgerservicenummer": "999990105" }, "derden": [ { "burgerservicenummer": "999990031" } ] }
              ]
            }
            """)!.AsObject();

        var read = HaalCentraalPersonSource.Read(person, "999990093");

        Assert.Equal(new DateOnly(2010, 4, 2), read.BirthDate);
        Assert.Equal("0505", read.MunicipalityCode);
        Assert.Null(read.MunicipalitySince);
        Assert.Null(read.DeathDate);

        // The gezag about another minor (a sibling in the same answer) is not this person's.
        Assert.Equal(
            [(RepresentationKind.ParentalAuthority, "Ilse de Wit"), (RepresentationKind.Guardianship, "voogd volgens de BRP")],
            read.Authority.Select(a => (a.Kind, a.DisplayName)));
    }

    [Fact]
    public async Task TheDemoPersonsFile_Reads_AndAnUnknownBsnIsNoPerson()
    {
        var source = new FilePersonSource(Path.Combine(AppContext.BaseDirectory, "config", "persons.json"));

        var person = await source.FindAsync("999990093", CancellationToken.None);

        Assert.NotNull(person);
        Assert.Equal(("0505", 2), (person!.MunicipalityCode, person.Authority.Count));
        Assert.Null(await source.FindAsync("111222333", CancellationToken.None));
    }

    [Theory]
    [InlineData("File", null, null, null, "Hub:PersonSource:File")]
    [InlineData("HaalCentraal", null, null, "key", "Hub:PersonSource:BaseUrl")]
    [InlineData("HaalCentraal", null, "http://brp.example.org", "key", "Hub:PersonSource:BaseUrl")]
    [InlineData("HaalCentraal", null, "https://brp.example.org", null, "Hub:PersonSource:ApiKey")]
    public void Settings_ThatCannotWork_AreRefusedAtStartUp(string kind, string? file, string? baseUrl, string? apiKey, string named)
    {
        var options = new PersonSourceOptions { Kind = kind, File = file, BaseUrl = baseUrl is null ? null : new Uri(baseUrl), ApiKey = apiKey };

        var result = new PersonSourceOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains(named, result.FailureMessage, StringComparison.Ordinal);
        Assert.False(new PersonSourceOptionsValidator().Validate(null, new PersonSourceOptions { Kind = "HaalCentraal", BaseUrl = new Uri("https://brp.example.org"), ApiKey = "k" }).Failed);
    }

    [Fact]
    public async Task AnAnswerThatDoesNotFollowTheSchema_IsAnUnavailableSource_NotACrash()
    {
        await using var brp = await Ketenhub.Testing.FakeBrpServer.StartAsync();
        var bsn = "999990081";
        brp.Set(new Ketenhub.Testing.FakePerson(bsn, new DateOnly(2006, 11, 23), "0642", new DateOnly(2006, 11, 23)));
        brp.Corrupt = true;
        using var services = new ServiceCollection().AddHttpClient().BuildServiceProvider();
        var source = new HaalCentraalPersonSource(
            services.GetRequiredService<IHttpClientFactory>(),
            Options.Create(new PersonSourceOptions { Kind = "HaalCentraal", BaseUrl = brp.BaseUrl, ApiKey = Ketenhub.Testing.FakeBrpServer.ApiKey }));

        var error = await Assert.ThrowsAsync<Ketenhub.Hub.Clients.PersonSourceUnavailableException>(() => source.FindAsync(bsn, CancellationToken.None));

        Assert.DoesNotContain(bsn, error.Message, StringComparison.Ordinal);
    }
}
