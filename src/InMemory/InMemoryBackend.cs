using Goflux.Codecs;
using Goflux.Transport;
using NATS.Client.JetStream.Models;

namespace Goflux.InMemory;

/// <summary>
/// The <see cref="IGofluxBackend"/> over an <see cref="InMemoryJetStream"/>: streams and consumers are created or updated
/// (the one rule of <see cref="IGofluxBackend"/>), publishers are <see cref="InMemoryPublisher{T}"/>s and subscribers
/// <see cref="InMemorySubscriber{T}"/>s. Failures are reported through <see cref="BackendErrors"/>, as the JetStream
/// backend reports them.
/// </summary>
/// <remarks>The engine is not owned: disposing what this backend creates never disposes it.</remarks>
public sealed class InMemoryBackend : IGofluxBackend
{
    /// <summary>Initializes a new instance of the <see cref="InMemoryBackend"/> class.</summary>
    /// <param name="engine">The engine; not owned.</param>
    /// <exception cref="ArgumentNullException"><paramref name="engine"/> is <see langword="null"/>.</exception>
    public InMemoryBackend(InMemoryJetStream engine)
    {
        ArgumentNullException.ThrowIfNull(engine);
        Engine = engine;
    }

    /// <summary>Gets the engine.</summary>
    public InMemoryJetStream Engine { get; }

    /// <inheritdoc />
    public string Name => "in-memory";

    /// <inheritdoc />
    public ValueTask<StreamInfo> CreateOrUpdateStreamAsync(StreamConfig config, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentException.ThrowIfNullOrWhiteSpace(config.Name, "config.Name");
        return CallAsync(BackendOperation.CreateOrUpdateStream, config.Name, null, () => Engine.CreateOrUpdateStreamAsync(config, cancellationToken));
    }

    /// <inheritdoc />
    public ValueTask<StreamInfo> GetStreamInfoAsync(string stream, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(stream);
        return CallAsync(BackendOperation.GetStreamInfo, stream, null, () => Engine.GetStreamInfoAsync(stream, cancellationToken));
    }

    /// <inheritdoc />
    public async ValueTask DeleteStreamAsync(string stream, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(stream);
        await CallAsync(BackendOperation.DeleteStream, stream, null, async () =>
        {
            await Engine.DeleteStreamAsync(stream, cancellationToken).ConfigureAwait(false);
            return true;
        }).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public ValueTask<ConsumerInfo> CreateOrUpdateConsumerAsync(string stream, ConsumerConfig config, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(stream);
        ArgumentNullException.ThrowIfNull(config);
        return CallAsync(BackendOperation.CreateOrUpdateConsumer, stream, config.DurableName ?? config.Name ?? "(unnamed)", async () =>
            (await Engine.CreateOrUpdateConsumerAsync(stream, config, cancellationToken).ConfigureAwait(false)).Info);
    }

    /// <inheritdoc />
    public ValueTask<ConsumerInfo> GetConsumerInfoAsync(string stream, string consumer, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(stream);
        ArgumentException.ThrowIfNullOrWhiteSpace(consumer);
        return CallAsync(BackendOperation.GetConsumerInfo, stream, consumer, () => Engine.GetConsumerInfoAsync(stream, consumer, cancellationToken));
    }

    /// <inheritdoc />
    public async ValueTask DeleteConsumerAsync(string stream, string consumer, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(stream);
        ArgumentException.ThrowIfNullOrWhiteSpace(consumer);
        await CallAsync(BackendOperation.DeleteConsumer, stream, consumer, async () =>
        {
            await Engine.DeleteConsumerAsync(stream, consumer, cancellationToken).ConfigureAwait(false);
            return true;
        }).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public IPublisher<T> CreatePublisher<T>(IMessageEncoder<T> encoder, PublisherOptions? options = null)
        => new InMemoryPublisher<T>(Engine, encoder, options);

    /// <inheritdoc />
    public async ValueTask<ISubscriber<T>> CreateSubscriberAsync<T>(string stream, string consumer, IMessageDecoder<T> decoder, SubscriberOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(stream);
        ArgumentException.ThrowIfNullOrWhiteSpace(consumer);
        ArgumentNullException.ThrowIfNull(decoder);
        (options ?? SubscriberOptions.Default).Validate();
        var c = await CallAsync(BackendOperation.CreateSubscriber, stream, consumer, () => Engine.GetConsumerAsync(stream, consumer, cancellationToken)).ConfigureAwait(false);
        return new InMemorySubscriber<T>(c, decoder, options);
    }

    // The engine raises the server's errors (err_code and description); they are reported as the JetStream backend reports
    // the server's.
    private static async ValueTask<TResult> CallAsync<TResult>(BackendOperation operation, string stream, string? consumer, Func<ValueTask<TResult>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (GofluxException ex) when (ex.ErrorCode is { } code)
        {
            throw BackendErrors.ApiError(operation, stream, consumer, code, ex.Message, ex);
        }
    }
}
