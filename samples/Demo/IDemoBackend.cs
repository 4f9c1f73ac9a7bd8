using NATS.Client.JetStream.Models;

namespace Goflux.Demo;

/// <summary>What the demo needs from a backend: streams, consumers, a publisher, subscribers and a way to let time pass.</summary>
internal interface IDemoBackend : IAsyncDisposable
{
    /// <summary>Gets a one-line description of the backend and its clock.</summary>
    string Description { get; }

    /// <summary>Gets a value indicating whether time is virtual (moves only when <see cref="LetTimePassAsync"/> says so).</summary>
    bool VirtualTime { get; }

    /// <summary>Gets the delay used for naks and retries: long on virtual time (it costs nothing), short on a real server.</summary>
    TimeSpan RetryDelay { get; }

    IPublisher<Event> Publisher { get; }

    /// <summary>Gets the time since the demo started, on the backend's clock.</summary>
    TimeSpan Elapsed { get; }

    Task CreateStreamAsync(StreamConfig config);

    Task<ISubscriber<Event>> CreateSubscriberAsync(string stream, ConsumerConfig config, SubscriberOptions options);

    /// <summary>Gets the consumer's counters as one line.</summary>
    Task<string> CountersAsync(string stream, string consumer);

    /// <summary>Waits until every delivery handed to a handler has been handled (in-memory) or every ack sent has reached the server.</summary>
    Task SettleAsync();

    /// <summary>Lets <paramref name="duration"/> pass: advances virtual time, or waits on the wall clock.</summary>
    Task LetTimePassAsync(TimeSpan duration);

    /// <summary>Gets the advisories raised for a stream (in-memory engine only; a real server publishes them on $JS.EVENT.>).</summary>
    IReadOnlyList<string> Advisories(string stream);

    /// <summary>Formats consumer counters the same way for both backends.</summary>
    static string Format(ConsumerInfo i) =>
        $"delivered={i.Delivered?.ConsumerSeq} ack_floor={i.AckFloor?.ConsumerSeq} ack_pending={i.NumAckPending} " +
        $"pending={i.NumPending} redelivered={i.NumRedelivered}";
}
