using System.Text;
using Ketenhub.Hub.Common;
using Ketenhub.Hub.Routing;

namespace Ketenhub.Hub.Clients;

/// <summary>
/// Which kind of party may gain a relationship with a client through which act: the rules the registry, the
/// messaging and <see cref="CareRelationships"/> apply, in one place. docs/security.md shows them as the table
/// <see cref="MarkdownTable"/> renders, and a test keeps the two the same.
/// </summary>
public static class RelationshipRules
{
    /// <summary>The kinds of party in the order the table shows them.</summary>
    public static readonly IReadOnlyList<PartyKind> Kinds = [PartyKind.School, PartyKind.SocialService, PartyKind.Municipality, PartyKind.CareProvider, PartyKind.Wijkteam];

    /// <summary>A school makes itself a client's school of record by registering its own student.</summary>
    public static bool MayBeSchoolOfRecord(PartyKind kind) => kind == PartyKind.School;

    /// <summary>The social service and the wijkteam have a relationship with every client of the municipalities they serve.</summary>
    public static bool ServesMunicipalities(PartyKind kind) => kind is PartyKind.SocialService or PartyKind.Wijkteam;

    /// <summary>A coach works for a care provider; naming the coach gives the provider the coach's role.</summary>
    public static bool MayEmployCoach(PartyKind kind) => kind == PartyKind.CareProvider;

    /// <summary>A provider-change transition that names a care provider gives it a provider role from the effective date.</summary>
    public static bool GainsRoleByProviderChange(PartyKind kind) => kind == PartyKind.CareProvider;

    /// <summary>A school-leaver transition that names a social service gives it a social-service role from the effective date.</summary>
    public static bool GainsRoleBySchoolLeaving(PartyKind kind) => kind == PartyKind.SocialService;

    /// <summary>The acts, each with the kinds of party it is open to. <paramref name="firstCoachKinds"/>: the parties file's <c>firstCoachNamedBy</c>.</summary>
    public static IReadOnlyList<(string Act, Func<PartyKind, bool> Who)> Acts(IReadOnlySet<PartyKind> firstCoachKinds)
    {
        ArgumentNullException.ThrowIfNull(firstCoachKinds);
        return
        [
            ("Register a client by BSN (gives no role by itself)", _ => true),
            ("Become school of record, by registering its own student", MayBeSchoolOfRecord),
            ("Relationship with every client of the municipalities it serves", ServesMunicipalities),
            ("Name a client's first coach, with a relationship (`firstCoachNamedBy`)", firstCoachKinds.Contains),
            ("Employ the coach: the coach's organisation gets the coach's role", MayEmployCoach),
            ("Provider role by starting care on a referral from a party with a relationship", _ => true),
            ("Provider role from a provider-change transition that names it", GainsRoleByProviderChange),
            ("Social-service role from a school-leaver transition that names it", GainsRoleBySchoolLeaving),
            ("Raise a signal or request a referral (gives no relationship by itself)", _ => true),
        ];
    }

    /// <summary>The table of <see cref="Acts"/> per kind of party, as docs/security.md shows it.</summary>
    public static string MarkdownTable(IReadOnlySet<PartyKind> firstCoachKinds)
    {
        var builder = new StringBuilder();
        builder.Append("| Act |");
        foreach (var kind in Kinds)
        {
            builder.Append(' ').Append(Explain.Code(kind)).Append(" |");
        }

        builder.Append('\n').Append("| --- |");
        foreach (var _ in Kinds)
        {
            builder.Append(" :-: |");
        }

        builder.Append('\n');
        foreach (var (act, who) in Acts(firstCoachKinds))
        {
            builder.Append("| ").Append(act).Append(" |");
            foreach (var kind in Kinds)
            {
                builder.Append(' ').Append(who(kind) ? "yes" : "no").Append(" |");
            }

            builder.Append('\n');
        }

        return builder.ToString();
    }
}
