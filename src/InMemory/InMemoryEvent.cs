namespace Goflux.InMemory;

/// <summary>
/// One entry of the engine's ordered event log.
/// </summary>
/// <param name="Kind">What happened.</param>
/// <param name="Time">When, on the engine's <see cref="TimeProvider"/>.</param>
/// <param name="Stream">The stream.</param>
/// <param name="Consumer">The consumer, or <see langword="null"/> for stream events.</param>
/// <param name="Subject">The message's subject.</param>
/// <param name="StreamSequence">The message's stream sequence (0 for rejected publishes).</param>
/// <param name="ConsumerSequence">The delivery's consumer sequence, or 0.</param>
/// <param name="NumDelivered">The delivery count at the time, or 0.</param>
/// <param name="Delay">The nak delay, for <see cref="InMemoryEventKind.NakedWithDelay"/>.</param>
/// <param name="Reason">The terminate reason, rejection or removal cause, when there is one.</param>
public sealed record InMemoryEvent(
    InMemoryEventKind Kind,
    DateTimeOffset Time,
    string Stream,
    string? Consumer,
    string Subject,
    ulong StreamSequence,
    ulong ConsumerSequence = 0,
    ulong NumDelivered = 0,
    TimeSpan? Delay = null,
    string? Reason = null);
