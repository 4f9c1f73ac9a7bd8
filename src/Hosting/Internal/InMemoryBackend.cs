using Goflux.Codecs;
using Goflux.InMemory;
using NATS.Client.JetStream.Models;

namespace Goflux.Hosting.Internal;

internal sealed class InMemoryBackend(InMemoryJetStream engine) : IGofluxBackend
{
    public string Name => "in-memory";

    public async ValueTask CreateOrUpdateStreamAsync(StreamConfig config, CancellationToken cancellationToken)
        => await engine.CreateOrUpdateStreamAsync(config, cancellationToken).ConfigureAwait(false);

    public async ValueTask CreateOrUpdateConsumerAsync(string stream, ConsumerConfig config, CancellationToken cancellationToken)
        => await engine.CreateOrUpdateConsumerAsync(stream, config, cancellationToken).ConfigureAwait(false);

    public IPublisher<T> CreatePublisher<T>(IMessageEncoder<T> encoder, PublisherOptions options)
        => new InMemoryPublisher<T>(engine, encoder, options);

    public async ValueTask<ISubscriber<T>> CreateSubscriberAsync<T>(string stream, string consumer, IMessageDecoder<T> decoder, SubscriberOptions options, CancellationToken cancellationToken)
    {
        var c = await engine.GetConsumerAsync(stream, consumer, cancellationToken).ConfigureAwait(false);
        return new InMemorySubscriber<T>(c, decoder, options);
    }
}
