namespace Goflux.InMemory;

/// <summary>
/// A consumer advisory as the server publishes it on <c>$JS.EVENT.ADVISORY.CONSUMER.…</c> (S-106 to S-109). A field the
/// server's JSON does not carry for that type of advisory is <see langword="null"/>.
/// </summary>
/// <param name="Type">The advisory type, e.g. <c>io.nats.jetstream.advisory.v1.max_deliver</c>.</param>
/// <param name="Subject">The subject the server would publish it on.</param>
/// <param name="Timestamp">When it was raised.</param>
/// <param name="Stream">The stream.</param>
/// <param name="Consumer">The consumer.</param>
/// <param name="StreamSequence">The message's stream sequence; <see langword="null"/> for consumer-action advisories, which
/// are about no message.</param>
/// <param name="ConsumerSequence">The delivery's consumer sequence; <see langword="null"/> for max-deliveries and
/// consumer-action advisories, which have none.</param>
/// <param name="Deliveries">The delivery count (for max-deliveries: MaxDeliver); <see langword="null"/> for consumer-action
/// advisories.</param>
/// <param name="Reason">The terminate reason, when one was given.</param>
public sealed record JetStreamAdvisory(
    string Type,
    string Subject,
    DateTimeOffset Timestamp,
    string Stream,
    string Consumer,
    ulong? StreamSequence,
    ulong? ConsumerSequence,
    ulong? Deliveries,
    string? Reason)
{
    /// <summary>The type of a MAX_DELIVERIES advisory.</summary>
    public const string MaxDeliverType = "io.nats.jetstream.advisory.v1.max_deliver";

    /// <summary>The type of a MSG_TERMINATED advisory.</summary>
    public const string TerminatedType = "io.nats.jetstream.advisory.v1.terminated";

    /// <summary>The type of a MSG_NAKED advisory.</summary>
    public const string NakType = "io.nats.jetstream.advisory.v1.nak";

    /// <summary>The type of a consumer CREATED or DELETED advisory (S-47, S-106); the subject says which.</summary>
    public const string ConsumerActionType = "io.nats.jetstream.advisory.v1.consumer_action";
}
