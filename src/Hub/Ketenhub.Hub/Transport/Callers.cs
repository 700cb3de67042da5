using Grpc.Core;
using Ketenhub.Hub.Common;
using Ketenhub.Hub.Parties;

namespace Ketenhub.Hub.Host.Transport;

/// <summary>
/// Who is calling. For now the caller names its party in the <c>ketenhub-party</c> header (the development
/// identity); mutual TLS and OAuth2 replace it (see docs/security.md once written). Unknown callers are refused.
/// </summary>
public sealed class Callers(PartyDirectory parties)
{
    public const string PartyHeader = "ketenhub-party";

    public Party Resolve(ServerCallContext context)
    {
        var id = context.RequestHeaders.GetValue(PartyHeader);
        return parties.Find(id)
            ?? throw new HubException(ErrorCategory.Unauthenticated, ErrorReasons.CallerUnknown, $"The call must name a known party in the '{PartyHeader}' header.");
    }
}
