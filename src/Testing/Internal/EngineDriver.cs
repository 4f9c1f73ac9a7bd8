using Goflux.Codecs;
using Goflux.InMemory;
using Microsoft.Extensions.Time.Testing;
using NATS.Client.JetStream.Models;

namespace Goflux.Testing.Internal;

internal sealed class EngineDriver : BackendDriver
{
    private readonly FakeTimeProvider _clock;

    public EngineDriver(DateTimeOffset epoch)
    {
        _clock = new FakeTimeProvider(epoch);
        Engine = new InMemoryJetStream(_clock);
    }

    public InMemoryJetStream Engine { get; }

    public override TimeProvider Clock => _clock;

    public override IReadOnlyList<JetStreamAdvisory> Advisories => Engine.Advisories;

    public override Task<StreamInfo> CreateStreamAsync(StreamConfig config, CancellationToken cancellationToken) =>
        Engine.CreateStreamAsync(config, cancellationToken).AsTask();

    public override Task<StreamInfo> GetStreamInfoAsync(string stream, CancellationToken cancellationToken) =>
        Engine.GetStreamInfoAsync(stream, cancellationToken).AsTask();

    public override Task DeleteStreamAsync(string stream, CancellationToken cancellationToken) =>
        Engine.DeleteStreamAsync(stream, cancellationToken).AsTask();

    public override async Task<ConsumerInfo> CreateOrUpdateConsumerAsync(string stream, ConsumerConfig config, CancellationToken cancellationToken) =>
        (await Engine.CreateOrUpdateConsumerAsync(stream, config, cancellationToken).ConfigureAwait(false)).Info;

    public override Task<ConsumerInfo> GetConsumerInfoAsync(string stream, string consumer, CancellationToken cancellationToken) =>
        Engine.GetConsumerInfoAsync(stream, consumer, cancellationToken).AsTask();

    public override IPublisher<T> CreatePublisher<T>(IMessageEncoder<T> encoder, PublisherOptions options) =>
        new InMemoryPublisher<T>(Engine, encoder, options);

    public override async Task<ISubscriber<T>> CreateSubscriberAsync<T>(string stream, string consumer, IMessageDecoder<T> decoder, SubscriberOptions options, CancellationToken cancellationToken) =>
        new InMemorySubscriber<T>(await Engine.GetConsumerAsync(stream, consumer, cancellationToken).ConfigureAwait(false), decoder, options);

    public override Task LetTimePassAsync(TimeSpan duration, CancellationToken cancellationToken) => Engine.AdvanceAsync(duration, cancellationToken);

    public override Task SettleAsync(CancellationToken cancellationToken) => Engine.WaitForIdleAsync(cancellationToken);

    public override ValueTask DisposeAsync() => Engine.DisposeAsync();
}
