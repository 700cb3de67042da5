using Ketenhub.Hub.Common;
using Ketenhub.Hub.Parties;
using Ketenhub.Hub.Routing;

namespace Ketenhub.Hub.Clients;

/// <summary>
/// The facts about a client the hub does not know yet that routing needs, as a registration would take
/// them: birth date, municipality and school of record. Never a BSN, so explaining for a prospective client
/// cannot tell whether the hub knows someone.
/// </summary>
public sealed record ProspectiveClient(DateOnly? BirthDate, string? MunicipalityCode, string? SchoolName);

/// <summary>The checks registration applies to a client's facts, and the client a registration would create from them.</summary>
public static class ClientFacts
{
    /// <summary>The id of the client a prospective client stands for; never stored.</summary>
    public const string ProspectiveClientId = "prospective";

    /// <summary>
    /// Checks birth date, municipality code and school as <c>RegisterClient</c> does, adding violations to
    /// <paramref name="v"/> under <paramref name="prefix"/> (empty for the registration request itself).
    /// Returns the school, or null when none is named or it is not a school the hub knows.
    /// </summary>
    public static Party? Validate(Validator v, DateOnly? birthDate, string? municipalityCode, string? schoolName, string prefix, PartyDirectory parties, DateOnly today)
    {
        if (birthDate is null)
        {
            v.Add(ErrorReasons.FieldRequired, prefix + "birth_date", prefix + "birth_date is required.");
        }
        else if (birthDate.Value > today || birthDate.Value.Year < 1900)
        {
            v.Add(ErrorReasons.InvalidBirthDate, prefix + "birth_date", prefix + "birth_date must be a real date from 1900 up to today.", ("minYear", "1900"));
        }

        if (!Municipality.IsValidCode(municipalityCode))
        {
            v.Add(string.IsNullOrEmpty(municipalityCode) ? ErrorReasons.FieldRequired : ErrorReasons.InvalidMunicipalityCode, prefix + "municipality_code", prefix + "municipality_code must be a four-digit CBS municipality code.");
        }

        if (string.IsNullOrEmpty(schoolName))
        {
            return null;
        }

        var id = Ids.Parse(schoolName, "parties");
        var school = parties.Find(id);
        if (id is null)
        {
            v.Add(ErrorReasons.InvalidResourceName, prefix + "school", prefix + "school must have the form parties/{id}.");
            return null;
        }

        if (school is null || !RelationshipRules.MayBeSchoolOfRecord(school.Kind))
        {
            v.Add(ErrorReasons.UnknownParty, prefix + "school", prefix + "school must name a school the hub knows.");
            return null;
        }

        return school;
    }

    /// <summary>
    /// What the hub would know about the client right after registering it at <paramref name="now"/>: the
    /// record, the school of record as its only role, no coach and no consents. Stores nothing.
    /// </summary>
    public static ClientContext Registered(DateOnly birthDate, string municipalityCode, Party? school, DateTimeOffset now)
    {
        var client = new ClientRecord(ProspectiveClientId, string.Empty, string.Empty, birthDate, municipalityCode, now)
        {
            ComingOfAgeHandled = DutchTime.AgeOn(birthDate, DutchTime.DateOf(now)) >= 18,
        };
        IReadOnlyList<ClientRole> roles = school is null
            ? []
            : [new ClientRole("prospective-school", client.Id, school.Id, RoleKind.School, now, null, "registration")];
        return new ClientContext(client, roles, null, []);
    }
}
