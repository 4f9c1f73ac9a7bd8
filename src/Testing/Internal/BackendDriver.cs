using Goflux.Codecs;
using Goflux.InMemory;
using NATS.Client.JetStream.Models;

namespace Goflux.Testing.Internal;

/// <summary>What a <see cref="TestBackend"/> needs of the engine or of a server.</summary>
internal abstract class BackendDriver : IAsyncDisposable
{
    public abstract TimeProvider Clock { get; }

    public abstract Task<StreamInfo> CreateStreamAsync(StreamConfig config, CancellationToken cancellationToken);

    public abstract Task<StreamInfo> GetStreamInfoAsync(string stream, CancellationToken cancellationToken);

    public abstract Task DeleteStreamAsync(string stream, CancellationToken cancellationToken);

    public abstract Task<ConsumerInfo> CreateOrUpdateConsumerAsync(string stream, ConsumerConfig config, CancellationToken cancellationToken);

    public abstract Task<ConsumerInfo> GetConsumerInfoAsync(string stream, string consumer, CancellationToken cancellationToken);

    public abstract IPublisher<T> CreatePublisher<T>(IMessageEncoder<T> encoder, PublisherOptions options);

    public abstract Task<ISubscriber<T>> CreateSubscriberAsync<T>(string stream, string consumer, IMessageDecoder<T> decoder, SubscriberOptions options, CancellationToken cancellationToken);

    public abstract Task LetTimePassAsync(TimeSpan duration, CancellationToken cancellationToken);

    /// <summary>Engine: waits until nothing is running or deliverable now. Server: returns at once.</summary>
    public abstract Task SettleAsync(CancellationToken cancellationToken);

    public abstract IReadOnlyList<JetStreamAdvisory> Advisories { get; }

    public abstract ValueTask DisposeAsync();
}
