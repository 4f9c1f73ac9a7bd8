using Goflux.Codecs;
using NATS.Client.JetStream.Models;

namespace Goflux.Hosting.Internal;

/// <summary>What the host needs from a transport: topology, publishers, subscribers.</summary>
internal interface IGofluxBackend
{
    string Name { get; }

    ValueTask CreateOrUpdateStreamAsync(StreamConfig config, CancellationToken cancellationToken);

    ValueTask CreateOrUpdateConsumerAsync(string stream, ConsumerConfig config, CancellationToken cancellationToken);

    IPublisher<T> CreatePublisher<T>(IMessageEncoder<T> encoder, PublisherOptions options);

    ValueTask<ISubscriber<T>> CreateSubscriberAsync<T>(string stream, string consumer, IMessageDecoder<T> decoder, SubscriberOptions options, CancellationToken cancellationToken);
}
