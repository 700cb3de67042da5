namespace Ketenhub.Client.Consumer;

/// <summary>Exponential backoff with jitter: attempt n waits between half and all of min(max, initial × 2^(n−1)).</summary>
internal static class Backoff
{
    public static TimeSpan Delay(int attempt, TimeSpan initial, TimeSpan max, double random)
    {
        if (attempt < 1)
        {
            return TimeSpan.Zero;
        }

        var exponent = Math.Min(attempt - 1, 30);
        var ceiling = Math.Min(max.Ticks, initial.Ticks * Math.Pow(2, exponent));
        var jittered = ceiling * (0.5 + (0.5 * Math.Clamp(random, 0, 1)));
        return TimeSpan.FromTicks((long)jittered);
    }

    public static TimeSpan Delay(int attempt, KetenhubDeliveryConsumerOptions options) =>
        Delay(attempt, options.InitialBackoff, options.MaxBackoff, Random.Shared.NextDouble());
}
