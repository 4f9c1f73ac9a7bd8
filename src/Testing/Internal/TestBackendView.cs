using Goflux.Codecs;
using NATS.Client.JetStream.Models;

namespace Goflux.Testing.Internal;

/// <summary>
/// A <see cref="TestBackend"/>'s backend as the test and the application under test use it: names made unique for the test
/// (streams get its suffix, subjects its prefix; names already made unique are left alone), the streams it creates
/// deleted with the test backend, every stored publish recorded, and telemetry going to the test's
/// <see cref="TestTelemetry"/>. The differences between the engine and a server stay in the backend underneath.
/// </summary>
/// <param name="owner">The test backend.</param>
/// <param name="forHost">Whether a host's registration uses it: then publishers and subscribers record on the test's
/// meter whatever meter factory the host passes (a host always passes its own); otherwise only when none is given.</param>
internal sealed class TestBackendView(TestBackend owner, bool forHost) : IGofluxBackend
{
    private IGofluxBackend Inner => owner.Driver.Backend;

    public string Name => Inner.Name;

    public async ValueTask<StreamInfo> CreateOrUpdateStreamAsync(StreamConfig config, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentException.ThrowIfNullOrWhiteSpace(config.Name, "config.Name");
        var name = owner.StreamName(config.Name);
        var unique = config with
        {
            Name = name,
            Subjects = config.Subjects is { Count: > 0 } subjects ? [.. subjects.Select(owner.Subject)] : [owner.Subject(config.Name)],
        };
        var info = await Inner.CreateOrUpdateStreamAsync(unique, cancellationToken).ConfigureAwait(false);
        owner.Owned.AddStream(name);
        return info;
    }

    public ValueTask<StreamInfo> GetStreamInfoAsync(string stream, CancellationToken cancellationToken = default)
        => Inner.GetStreamInfoAsync(owner.StreamName(stream), cancellationToken);

    public ValueTask DeleteStreamAsync(string stream, CancellationToken cancellationToken = default)
        => Inner.DeleteStreamAsync(owner.StreamName(stream), cancellationToken);

    public ValueTask<ConsumerInfo> CreateOrUpdateConsumerAsync(string stream, ConsumerConfig config, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        var unique = config with
        {
            FilterSubject = config.FilterSubject is { Length: > 0 } filter ? owner.Subject(filter) : config.FilterSubject,
            FilterSubjects = config.FilterSubjects is { Count: > 0 } filters ? [.. filters.Select(owner.Subject)] : config.FilterSubjects,
            DeliverSubject = config.DeliverSubject is { Length: > 0 } deliver ? owner.Subject(deliver) : config.DeliverSubject,
        };
        return Inner.CreateOrUpdateConsumerAsync(owner.StreamName(stream), unique, cancellationToken);
    }

    public ValueTask<ConsumerInfo> GetConsumerInfoAsync(string stream, string consumer, CancellationToken cancellationToken = default)
        => Inner.GetConsumerInfoAsync(owner.StreamName(stream), consumer, cancellationToken);

    public ValueTask DeleteConsumerAsync(string stream, string consumer, CancellationToken cancellationToken = default)
        => Inner.DeleteConsumerAsync(owner.StreamName(stream), consumer, cancellationToken);

    public IPublisher<T> CreatePublisher<T>(IMessageEncoder<T> encoder, PublisherOptions? options = null)
    {
        options ??= PublisherOptions.Default;
        options = options with
        {
            MeterFactory = forHost ? owner.Telemetry.MeterFactory : options.MeterFactory ?? owner.Telemetry.MeterFactory,
            Logger = options.Logger ?? owner.Telemetry.Logger,
            TimeProvider = ReferenceEquals(options.TimeProvider, TimeProvider.System) ? owner.Clock : options.TimeProvider,
        };
        return new RecordingPublisher<T>(Inner.CreatePublisher(encoder, options), owner);
    }

    public async ValueTask<ISubscriber<T>> CreateSubscriberAsync<T>(string stream, string consumer, IMessageDecoder<T> decoder, SubscriberOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= SubscriberOptions.Default;
        options = options with
        {
            MeterFactory = forHost ? owner.Telemetry.MeterFactory : options.MeterFactory ?? owner.Telemetry.MeterFactory,
            Logger = options.Logger ?? owner.Telemetry.Logger,
            TimeProvider = ReferenceEquals(options.TimeProvider, TimeProvider.System) ? owner.Clock : options.TimeProvider,
        };
        var subscriber = await Inner.CreateSubscriberAsync(owner.StreamName(stream), consumer, decoder, options, cancellationToken).ConfigureAwait(false);
        return new PrefixingSubscriber<T>(subscriber, owner);
    }

    /// <summary>Publishes under the test's prefix and records what the stream stored.</summary>
    private sealed class RecordingPublisher<T>(IPublisher<T> inner, TestBackend owner) : IPublisher<T>
    {
        public async ValueTask<PublishResult> PublishAsync(string subject, T value, PublishOptions? options = null, CancellationToken cancellationToken = default)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(subject);
            var unique = owner.Subject(subject);
            var result = await inner.PublishAsync(unique, value, options, cancellationToken).ConfigureAwait(false);
            owner.PublishLog.Add(new PublishedMessage<T>(unique, value, options?.MessageId, options?.Headers, result, owner.Elapsed));
            return result;
        }

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }

    /// <summary>Names the subscription by the subject under the test's prefix, as its messages arrive.</summary>
    private sealed class PrefixingSubscriber<T>(ISubscriber<T> inner, TestBackend owner) : ISubscriber<T>
    {
        public SubscriptionStatus Status => inner.Status;

        public Task SubscribeAsync(string subject, MessageHandler<T> handler, CancellationToken cancellationToken = default)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(subject);
            return inner.SubscribeAsync(owner.Subject(subject), handler, cancellationToken);
        }

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
