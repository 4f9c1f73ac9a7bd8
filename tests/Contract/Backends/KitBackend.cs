using Goflux.Codecs;
using Goflux.InMemory;
using Goflux.Testing;
using NATS.Client.JetStream.Models;

namespace Goflux.Contract.Tests.Backends;

/// <summary>
/// What both bindings share: the test kit's backend, and every operation the shared <see cref="IGofluxBackend"/> has
/// (stream and consumer info, create-or-update of consumers, deletes, publishers, subscribers) going through it, with names
/// as the scenario gives them. A binding adds only the test-only operations (create-only and update-only calls, purges,
/// message get and delete, raw publish and fetch, advisories, letting time pass) and how it waits.
/// </summary>
public abstract class KitBackend(TestBackend kit) : IBackend
{
    /// <summary>Gets the test kit's backend this binding runs on.</summary>
    protected TestBackend Kit { get; } = kit;

    /// <summary>Gets the shared backend underneath, names as given.</summary>
    protected IGofluxBackend Shared => Kit.Driver.Backend;

    public abstract string Name { get; }

    public abstract bool RealTime { get; }

    public abstract Task<StreamInfo> CreateStreamAsync(StreamConfig config);

    public abstract Task<StreamInfo> UpdateStreamAsync(StreamConfig config);

    public Task<StreamInfo> GetStreamInfoAsync(string stream) => Shared.GetStreamInfoAsync(stream).AsTask();

    public Task DeleteStreamAsync(string stream) => Shared.DeleteStreamAsync(stream).AsTask();

    public abstract Task PurgeStreamAsync(string stream);

    public abstract Task<long> PurgeStreamAsync(string stream, StreamPurgeRequest request);

    public abstract Task DeleteMessageAsync(string stream, ulong sequence);

    public abstract Task<InMemoryStoredMessage> GetMessageAsync(string stream, StreamMsgGetRequest request);

    public Task<ConsumerInfo> CreateOrUpdateConsumerAsync(string stream, ConsumerConfig config) => Shared.CreateOrUpdateConsumerAsync(stream, config).AsTask();

    public abstract Task<ConsumerInfo> CreateConsumerAsync(string stream, ConsumerConfig config);

    public abstract Task<ConsumerInfo> UpdateConsumerAsync(string stream, ConsumerConfig config);

    public Task<ConsumerInfo> GetConsumerInfoAsync(string stream, string consumer) => Shared.GetConsumerInfoAsync(stream, consumer).AsTask();

    public Task DeleteConsumerAsync(string stream, string consumer) => Shared.DeleteConsumerAsync(stream, consumer).AsTask();

    public abstract Task<PublishResult> PublishAsync(string subject, byte[] data, MessageHeaders? headers = null);

    public abstract Task<IReadOnlyList<BackendMessage>> FetchAsync(string stream, string consumer, int batch, TimeSpan? expires = null);

    public abstract Task<string?> ApiRequestAsync(string subject, string json, TimeSpan patience);

    public abstract Task<PushReceiver> ListenAsync(string deliverSubject, string? queueGroup = null);

    public abstract Task LetTimePassAsync(TimeSpan duration);

    public abstract Task<IReadOnlyList<JetStreamAdvisory>> AdvisoriesAsync(string stream, int atLeast = 0);

    public abstract Task<IReadOnlyList<JetStreamAdvisory>> ConsumerActionAdvisoriesAsync(string stream, int atLeast = 0);

    public IPublisher<T> CreatePublisher<T>(IMessageEncoder<T> encoder, PublisherOptions? options = null) => Shared.CreatePublisher(encoder, options);

    public async Task<ISubscriber<T>> CreateSubscriberAsync<T>(string stream, string consumer, IMessageDecoder<T> decoder, SubscriberOptions? options = null)
        => await Shared.CreateSubscriberAsync(stream, consumer, decoder, options);

    public abstract Task<TResult> EventuallyAsync<TResult>(Func<Task<TResult>> probe, Func<TResult, bool> done, TimeSpan? timeout = null);

    public abstract ValueTask DisposeAsync();
}
