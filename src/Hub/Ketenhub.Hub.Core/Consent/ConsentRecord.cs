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
}
