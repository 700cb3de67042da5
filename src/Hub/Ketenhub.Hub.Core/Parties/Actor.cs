namespace Ketenhub.Hub.Parties;

/// <summary>Who performs a call: the calling organisation, the person acting through it when the identity names one, and the roles the identity grants.</summary>
/// <param name="Party">The calling party.</param>
/// <param name="UserId">The person acting through the party (a user claim), or null when the organisation acts as itself.</param>
/// <param name="Roles">The roles the identity grants, for example <c>admin</c>; empty for none.</param>
public sealed record Actor(Party Party, string? UserId, IReadOnlyList<string> Roles)
{
    /// <summary>Whether the identity grants <paramref name="role"/> (case-insensitive).</summary>
    public bool HasRole(string role) => Roles.Any(r => string.Equals(r, role, StringComparison.OrdinalIgnoreCase));
}
