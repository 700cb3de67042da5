using System.Text.Json;
using System.Text.Json.Serialization;
using Ketenhub.Hub.Clients;
using Ketenhub.Hub.Common;

namespace Ketenhub.Hub.Host.Clients.PersonSources;

/// <summary>
/// A person source read from a JSON file of fictitious persons, for the demo and for trying the checks without the
/// population register. The file is read at every lookup, so editing it (a person moves) reaches the hub at the next
/// check. Format: <c>{ "persons": [ { "bsn", "birthDate", "municipalityCode", "municipalitySince", "deathDate",
/// "authority": [ { "kind": "PARENTAL_AUTHORITY" | "GUARDIANSHIP", "name" } ] } ] }</c>.
/// </summary>
public sealed class FilePersonSource(string path) : IPersonSource
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNameCaseInsensitive = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseUpper) },
    };

    public bool IsConfigured => true;

    public async Task<PersonRecord?> FindAsync(string bsn, CancellationToken cancellationToken)
    {
        PersonsFile? file;
        try
        {
            await using var stream = File.OpenRead(path);
            file = await JsonSerializer.DeserializeAsync<PersonsFile>(stream, Json, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or JsonException or UnauthorizedAccessException)
        {
            throw new PersonSourceUnavailableException("the persons file could not be read: " + ex.GetType().Name, ex);
        }

        var person = file?.Persons?.FirstOrDefault(p => p.Bsn == Bsn.Normalize(bsn));
        return person is null
            ? null
            : new PersonRecord(person.BirthDate, person.MunicipalityCode, person.MunicipalitySince, person.DeathDate, [.. (person.Authority ?? []).Select(a => new AuthorityHolder(a.Kind, a.Name))]);
    }

    private sealed record PersonsFile(IReadOnlyList<FilePerson>? Persons);

    private sealed record FilePerson(string Bsn, DateOnly? BirthDate, string? MunicipalityCode, DateOnly? MunicipalitySince, DateOnly? DeathDate, IReadOnlyList<FileAuthority>? Authority);

    private sealed record FileAuthority(RepresentationKind Kind, string Name);
}
