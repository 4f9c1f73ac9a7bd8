using Goflux.Codecs;
using Goflux.InMemory;
using NATS.Client.JetStream.Models;

namespace Goflux.Contract.Tests.Backends;

/// <summary>
/// What a contract scenario can do with a JetStream backend, and observe of it. One implementation drives the in-memory
/// engine on a fake clock, the other a real nats-server through NATS.Net. Errors surface as <see cref="GofluxException"/>
/// with the server's JetStream error code in <see cref="GofluxException.ErrorCode"/>.
/// </summary>
public interface IBackend : IAsyncDisposable
{
    string Name { get; }

    /// <summary>True when time passes by itself (a real server); false when <see cref="LetTimePassAsync"/> moves a fake clock.</summary>
    bool RealTime { get; }

    Task<StreamInfo> CreateStreamAsync(StreamConfig config);

    Task<StreamInfo> UpdateStreamAsync(StreamConfig config);

    Task<StreamInfo> GetStreamInfoAsync(string stream);

    Task DeleteStreamAsync(string stream);

    Task PurgeStreamAsync(string stream);

    /// <summary>A purge request (filter, keep, up to a sequence); returns how many messages were removed.</summary>
    Task<long> PurgeStreamAsync(string stream, StreamPurgeRequest request);

    /// <summary>Deletes one message by sequence.</summary>
    Task DeleteMessageAsync(string stream, ulong sequence);

    /// <summary>Gets a stored message by sequence, last for a subject, or next for a subject.</summary>
    Task<InMemoryStoredMessage> GetMessageAsync(string stream, StreamMsgGetRequest request);

    Task<ConsumerInfo> CreateOrUpdateConsumerAsync(string stream, ConsumerConfig config);

    Task<ConsumerInfo> CreateConsumerAsync(string stream, ConsumerConfig config);

    Task<ConsumerInfo> UpdateConsumerAsync(string stream, ConsumerConfig config);

    Task<ConsumerInfo> GetConsumerInfoAsync(string stream, string consumer);

    Task DeleteConsumerAsync(string stream, string consumer);

    /// <summary>Publishes raw bytes with optional headers and returns the PubAck.</summary>
    Task<PublishResult> PublishAsync(string subject, byte[] data, MessageHeaders? headers = null);

    /// <summary>Pulls up to <paramref name="batch"/> messages; with <paramref name="expires"/> null only what is available now (no-wait).</summary>
    Task<IReadOnlyList<BackendMessage>> FetchAsync(string stream, string consumer, int batch, TimeSpan? expires = null);

    /// <summary>
    /// Sends a raw JetStream API request, for a request NATS.Net refuses to send or one only the wire carries, and returns
    /// the reply's body; <see langword="null"/> when nothing answers within <paramref name="patience"/>. The in-memory
    /// binding sends it through the engine's in-process NATS client.
    /// </summary>
    Task<string?> ApiRequestAsync(string subject, string json, TimeSpan patience);

    /// <summary>
    /// Subscribes to a push consumer's deliver subject as a client does (in <paramref name="queueGroup"/> when given) and
    /// collects what arrives; idle heartbeats are skipped and flow control requests answered. The subscription is in
    /// place when this returns (the server has seen it; whether a consumer counts it as interest is the server's rule).
    /// </summary>
    Task<PushReceiver> ListenAsync(string deliverSubject, string? queueGroup = null);

    /// <summary>Lets time pass: waits on a real server, advances the fake clock (and settles) in memory.</summary>
    Task LetTimePassAsync(TimeSpan duration);

    /// <summary>The consumer advisories seen so far (MAX_DELIVERIES, MSG_TERMINATED, MSG_NAKED) for one stream.</summary>
    Task<IReadOnlyList<JetStreamAdvisory>> AdvisoriesAsync(string stream, int atLeast = 0);

    /// <summary>The consumer CREATED and DELETED advisories seen so far for one stream (S-47, S-106), in the order raised.</summary>
    Task<IReadOnlyList<JetStreamAdvisory>> ConsumerActionAdvisoriesAsync(string stream, int atLeast = 0);

    IPublisher<T> CreatePublisher<T>(IMessageEncoder<T> encoder, PublisherOptions? options = null);

    Task<ISubscriber<T>> CreateSubscriberAsync<T>(string stream, string consumer, IMessageDecoder<T> decoder, SubscriberOptions? options = null);

    /// <summary>
    /// Waits until <paramref name="done"/> holds for what <paramref name="probe"/> returns. In memory: once the engine is
    /// idle, the condition must hold at once. On a real server: polls until a generous deadline.
    /// </summary>
    Task<TResult> EventuallyAsync<TResult>(Func<Task<TResult>> probe, Func<TResult, bool> done, TimeSpan? timeout = null);
}

/// <summary>One delivered message as a client sees it, with acks that have been applied when they return.</summary>
public abstract class BackendMessage
{
    public required string Subject { get; init; }

    public required byte[] Data { get; init; }

    public MessageHeaders? Headers { get; init; }

    public required DeliveryInfo Metadata { get; init; }

    public abstract Task AckAsync();

    public abstract Task NakAsync(TimeSpan? delay = null);

    public abstract Task InProgressAsync();

    public abstract Task TermAsync(string? reason = null);

    public override string ToString() => $"{Subject} seq={Metadata.StreamSequence} cseq={Metadata.ConsumerSequence} delivered={Metadata.NumDelivered} pending={Metadata.NumPending}";
}

/// <summary>A subscription on a deliver subject: what it received, in order. Disposing it unsubscribes.</summary>
public abstract class PushReceiver : IAsyncDisposable
{
    private readonly List<BackendMessage> _received = [];

    /// <summary>Gets a snapshot of the deliveries received so far, in order.</summary>
    public IReadOnlyList<BackendMessage> Received
    {
        get
        {
            lock (_received)
            {
                return [.. _received];
            }
        }
    }

    public abstract ValueTask DisposeAsync();

    protected void Add(BackendMessage m)
    {
        lock (_received)
        {
            _received.Add(m);
        }
    }
}
