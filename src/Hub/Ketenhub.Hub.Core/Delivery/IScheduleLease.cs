namespace Ketenhub.Hub.Delivery;

/// <summary>
/// Lets one hub instance at a time run a piece of scheduled work (escalations and expiry, the person facts check) when
/// several instances share one store. The holder keeps the lease while it runs and gives it back when done; a lease
/// of an instance that dies is released by its store, so the work survives the loss of the instance that held it.
/// One instance on its own store needs none (the work then always runs).
/// </summary>
public interface IScheduleLease
{
    /// <summary>The lease on <paramref name="work"/>, or null when another instance holds it now.</summary>
    Task<IAsyncDisposable?> TryAcquireAsync(string work, CancellationToken cancellationToken);
}
