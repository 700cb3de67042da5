using Ketenhub.Hub.Audit;

namespace Ketenhub.Hub.Core.Tests;

/// <summary>A note set back to a mark loses exactly what was added after it: what a replayed write needs.</summary>
public sealed class AuditNoteTests
{
    [Fact]
    public void Rewind_TakesTheNoteBackToTheMark_KeepingWhatCameBefore()
    {
        var note = new AuditNote("sdd", null, "CreateSignal", AuditAction.Create, "req-1", null, null)
            .Check(AuditCheckKind.Authorisation, "party")
            .For("COACHING");
        var mark = note.Mark();

        note.About("cli_1")
            .Check(AuditCheckKind.Consent, "consents/con_1")
            .For("SIGNAL_FOLLOW_UP")
            .Resource("signals/sig_1")
            .As(AuditAction.Read)
            .Refuse()
            .Then(new AuditNote("coach", null, AuditTrail.DeliverContent, AuditAction.Read, null, null, null));
        note.Rewind(mark);

        Assert.Null(note.ClientId);
        Assert.Equal(AuditAction.Create, note.Action);
        Assert.False(note.Refused);
        Assert.Equal([new AuditCheck(AuditCheckKind.Authorisation, "party")], note.Checks);
        Assert.Equal(["COACHING"], note.Purposes);
        Assert.Empty(note.Resources);
        Assert.Empty(note.Followers);

        // A second run notes afresh; the first run's resource does not come back.
        note.About("cli_1").Resource("signals/sig_2");
        Assert.Equal(["signals/sig_2"], note.Resources);
        Assert.Equal("cli_1", note.ClientId);
    }

    [Fact]
    public void Rewind_ToAMarkTakenAfterFollowers_KeepsThoseFollowers()
    {
        var first = new AuditNote("coach", null, AuditTrail.DeliverContent, AuditAction.Read, null, null, null);
        var note = new AuditNote("sdd", null, "CreateSignal", AuditAction.Create, null, null, null).Then(first);
        var mark = note.Mark();
        note.Then(new AuditNote("provider", null, AuditTrail.DeliverContent, AuditAction.Read, null, null, null));

        note.Rewind(mark);

        Assert.Same(first, Assert.Single(note.Followers));
    }
}
