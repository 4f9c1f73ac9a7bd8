namespace Goflux.InMemory;

/// <summary>
/// What happened, in the engine's event log.
/// </summary>
public enum InMemoryEventKind
{
    /// <summary>A message was stored in a stream.</summary>
    Published,

    /// <summary>A publish was a duplicate of a message id inside the window; nothing was stored.</summary>
    Duplicate,

    /// <summary>A publish was rejected (see the event's reason).</summary>
    Rejected,

    /// <summary>A message was delivered to a consumer (first delivery or redelivery).</summary>
    Delivered,

    /// <summary>A delivery was acknowledged.</summary>
    Acked,

    /// <summary>A delivery was negatively acknowledged for immediate redelivery.</summary>
    Naked,

    /// <summary>A delivery was negatively acknowledged with a delay.</summary>
    NakedWithDelay,

    /// <summary>A delivery signalled it is still in progress.</summary>
    InProgress,

    /// <summary>A delivery was terminated.</summary>
    Terminated,

    /// <summary>A delivery's ack wait ran out; the message is due for redelivery.</summary>
    AckWaitExpired,

    /// <summary>A nak delay ran out; the message is due for redelivery.</summary>
    NakDelayExpired,

    /// <summary>A delivery's BackOff step ran out; the message is due for redelivery.</summary>
    BackOffExpired,

    /// <summary>A message ran out of deliveries (MaxDeliver) and will not be delivered again.</summary>
    MaxDeliveriesReached,

    /// <summary>A message was removed from a stream (limits, age, retention, purge).</summary>
    Removed,
}
