using Ketenhub.Hub.Common;

namespace Ketenhub.Hub.Journeys;

/// <summary>A coach and how to reach them. The name and contact are the coach's, shared on purpose.</summary>
public sealed record CoachInfo(string PartyId, string CoachId, string DisplayName, string Phone, string Email);

/// <summary>One period in which a coach was the client's coach. The thread that survives every transition.</summary>
public sealed record CoachAssignment(string Id, string ClientId, CoachInfo Coach, DateTimeOffset From, DateTimeOffset? Until);

/// <summary>One step in a client's journey across organisations. <see cref="Detail"/> is coded, never free text.</summary>
public sealed record JourneyEvent(
    long Sequence,
    string ClientId,
    DateTimeOffset Time,
    JourneyEventType Type,
    string PartyId,
    string? Resource,
    string Detail);
