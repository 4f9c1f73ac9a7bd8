using NATS.Client.JetStream.Models;

namespace Goflux.Testing;

/// <summary>A consumer's counters as the server (or the engine) reports them in its info.</summary>
/// <param name="Delivered">The last consumer sequence delivered (every delivery, redeliveries included).</param>
/// <param name="AckFloor">The consumer sequence below which everything is acknowledged.</param>
/// <param name="AckPending">Messages delivered and not yet acknowledged.</param>
/// <param name="Pending">Messages not yet delivered.</param>
/// <param name="Redelivered">Messages pending acknowledgement that were delivered more than once.</param>
public readonly record struct ConsumerCounters(ulong Delivered, ulong AckFloor, long AckPending, ulong Pending, long Redelivered)
{
    /// <summary>Reads the counters of <paramref name="info"/>.</summary>
    /// <param name="info">A consumer's info.</param>
    /// <returns>The counters.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="info"/> is <see langword="null"/>.</exception>
    public static ConsumerCounters From(ConsumerInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        return new ConsumerCounters(
            info.Delivered?.ConsumerSeq ?? 0,
            info.AckFloor?.ConsumerSeq ?? 0,
            info.NumAckPending,
            info.NumPending,
            info.NumRedelivered);
    }
}
