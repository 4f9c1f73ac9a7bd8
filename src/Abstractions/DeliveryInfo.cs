namespace Goflux;

/// <summary>
/// What the transport knows about one delivery of a message (JetStream's ack metadata).
/// </summary>
/// <param name="Stream">The stream name.</param>
/// <param name="Consumer">The consumer name.</param>
/// <param name="StreamSequence">The message's sequence in the stream.</param>
/// <param name="ConsumerSequence">The consumer's delivery sequence; a redelivery gets a new one.</param>
/// <param name="NumDelivered">1 on the first delivery, plus one for each redelivery.</param>
/// <param name="NumPending">Messages matching the consumer that were not yet delivered after this one.</param>
/// <param name="Timestamp">When the stream stored the message (UTC).</param>
public readonly record struct DeliveryInfo(
    string Stream,
    string Consumer,
    ulong StreamSequence,
    ulong ConsumerSequence,
    ulong NumDelivered,
    ulong NumPending,
    DateTimeOffset Timestamp)
{
    /// <summary>Gets a value indicating whether this is a redelivery (<see cref="NumDelivered"/> &gt; 1).</summary>
    public bool Redelivered => NumDelivered > 1;
}
