namespace Ketenhub.Hub.Delivery;

/// <summary>
/// Carries delivery wake-ups between hub instances that share one store (PostgreSQL): what <see cref="DeliveryNotifier"/>
/// tells this instance's streams after a commit, the relay sends to the others, and what they send it hands to this
/// instance's notifier. The embedded SQLite store has one instance, so it registers none and the notifier stays in-process.
/// <para>
/// A wake-up carries only party ids. A relay may lose one (a connection drops): the delivery is still in the store, and
/// a relay that was cut off wakes every stream of its instance once it is back (<see cref="DeliveryNotifier.WakeEveryStreamHere"/>),
/// so each looks again.
/// </para>
/// </summary>
public interface IDeliveryWakeupRelay
{
    /// <summary>Called once, by the notifier: where wake-ups from other instances go.</summary>
    void Attach(DeliveryNotifier notifier);

    /// <summary>
    /// Sends a wake-up for <paramref name="partyIds"/> to the other instances, after the commit that gave them new
    /// (or, when <paramref name="released"/>, released) pending deliveries. Must return at once and never throw.
    /// </summary>
    void Publish(IReadOnlyList<string> partyIds, bool released);
}
