using Ketenhub.Hub.Common;

namespace Ketenhub.Hub.Consent;

/// <summary>A consent as recorded. Whether it counts at a moment is decided by <see cref="ConsentEvaluator"/>.</summary>
public sealed record ConsentRecord(
    string Id,
    string ClientId,
    GrantorRole Grantor,
    string? RecipientParty,
    PartyKind RecipientKind,
    IReadOnlyList<Purpose> Purposes,
    IReadOnlyList<DataCategory> Categories,
    DateTimeOffset Start,
    DateTimeOffset? End,
    DateTimeOffset? WithdrawTime,
    DateTimeOffset? ConfirmTime,
    string RecordedBy,
    DateTimeOffset CreateTime)
{
    public string Name => "consents/" + Id;

    /// <summary>
    /// For a consent by a representative: the recorded representation it rests on. It counts only while that
    /// representation holds. Null for the client's own consent (and for a representative's consent recorded before
    /// representations were recorded, which therefore does not count).
    /// </summary>
    public string? RepresentationId { get; init; }
}
