using Goflux.Codecs;
using Goflux.JetStream.Internal;
using Goflux.Transport;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace Goflux.JetStream;

/// <summary>
/// The <see cref="IGofluxBackend"/> over a NATS server with JetStream, through NATS.Net: streams and consumers are created
/// or updated (the one rule of <see cref="IGofluxBackend"/>), publishers are <see cref="JetStreamPublisher{T}"/>s and
/// subscribers <see cref="JetStreamSubscriber{T}"/>s.
/// </summary>
/// <remarks>
/// <para>
/// The caller owns the connection behind the <see cref="INatsJSContext"/>: nothing this backend creates closes it.
/// Every topology call and every consumer lookup waits at most <see cref="Timeout"/> for the server; failures are reported
/// through <see cref="BackendErrors"/>, as the in-memory engine's backend reports them.
/// </para>
/// <para>
/// This is goflux's <c>NewStream</c>: safe to call on every start of every instance of a service. An existing stream is
/// updated to the configuration given (the server keeps its messages, and refuses the changes it does not allow, such
/// as the storage type, with its <c>err_code</c>).
/// </para>
/// </remarks>
public sealed class JetStreamBackend : IGofluxBackend
{
    /// <summary>How long a topology call or consumer lookup waits for the server: 10 seconds.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>Initializes a new instance of the <see cref="JetStreamBackend"/> class.</summary>
    /// <param name="js">The JetStream context (for example <c>new NatsJSContext(connection)</c>); not owned.</param>
    /// <exception cref="ArgumentNullException"><paramref name="js"/> is <see langword="null"/>.</exception>
    public JetStreamBackend(INatsJSContext js)
    {
        ArgumentNullException.ThrowIfNull(js);
        Js = js;
    }

    /// <summary>Gets the JetStream context this backend works through.</summary>
    public INatsJSContext Js { get; }

    /// <inheritdoc />
    public string Name => "JetStream";

    /// <inheritdoc />
    public ValueTask<StreamInfo> CreateOrUpdateStreamAsync(StreamConfig config, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentException.ThrowIfNullOrWhiteSpace(config.Name, "config.Name");
        return CallAsync(
            BackendOperation.CreateOrUpdateStream,
            config.Name,
            consumer: null,
            async ct => (await Js.CreateOrUpdateStreamAsync(config, ct).ConfigureAwait(false)).Info,
            cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<StreamInfo> GetStreamInfoAsync(string stream, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(stream);
        return CallAsync(
            BackendOperation.GetStreamInfo,
            stream,
            consumer: null,
            async ct => (await Js.GetStreamAsync(stream, cancellationToken: ct).ConfigureAwait(false)).Info,
            cancellationToken);
    }

    /// <inheritdoc />
    public async ValueTask DeleteStreamAsync(string stream, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(stream);
        await CallAsync(
            BackendOperation.DeleteStream,
            stream,
            consumer: null,
            async ct => await Js.DeleteStreamAsync(stream, ct).ConfigureAwait(false),
            cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public ValueTask<ConsumerInfo> CreateOrUpdateConsumerAsync(string stream, ConsumerConfig config, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(stream);
        ArgumentNullException.ThrowIfNull(config);
        return CallAsync(
            BackendOperation.CreateOrUpdateConsumer,
            stream,
            config.DurableName ?? config.Name ?? "(unnamed)",
            async ct => (await Js.CreateOrUpdateConsumerAsync(stream, config, ct).ConfigureAwait(false)).Info,
            cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<ConsumerInfo> GetConsumerInfoAsync(string stream, string consumer, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(stream);
        ArgumentException.ThrowIfNullOrWhiteSpace(consumer);
        return CallAsync(
            BackendOperation.GetConsumerInfo,
            stream,
            consumer,
            async ct => (await Js.GetConsumerAsync(stream, consumer, ct).ConfigureAwait(false)).Info,
            cancellationToken);
    }

    /// <inheritdoc />
    public async ValueTask DeleteConsumerAsync(string stream, string consumer, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(stream);
        ArgumentException.ThrowIfNullOrWhiteSpace(consumer);
        await CallAsync(
            BackendOperation.DeleteConsumer,
            stream,
            consumer,
            async ct => await Js.DeleteConsumerAsync(stream, consumer, ct).ConfigureAwait(false),
            cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public IPublisher<T> CreatePublisher<T>(IMessageEncoder<T> encoder, PublisherOptions? options = null)
        => new JetStreamPublisher<T>(Js, encoder, options);

    /// <inheritdoc />
    public async ValueTask<ISubscriber<T>> CreateSubscriberAsync<T>(string stream, string consumer, IMessageDecoder<T> decoder, SubscriberOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(stream);
        ArgumentException.ThrowIfNullOrWhiteSpace(consumer);
        ArgumentNullException.ThrowIfNull(decoder);
        (options ?? SubscriberOptions.Default).Validate();
        var c = await CallAsync(
            BackendOperation.CreateSubscriber,
            stream,
            consumer,
            async ct =>
            {
                var found = await Js.GetConsumerAsync(stream, consumer, ct).ConfigureAwait(false);

                // A push consumer is consumed on its deliver subject (in its deliver group), not by pull requests.
                return string.IsNullOrEmpty(found.Info.Config.DeliverSubject)
                    ? found
                    : (INatsJSConsumer)await Js.GetPushConsumerAsync(stream, consumer, ct).ConfigureAwait(false);
            },
            cancellationToken).ConfigureAwait(false);
        return new JetStreamSubscriber<T>(c, decoder, options);
    }

    private static async ValueTask<TResult> CallAsync<TResult>(BackendOperation operation, string stream, string? consumer, Func<CancellationToken, ValueTask<TResult>> call, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        try
        {
            return await call(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (Errors.IsBackendFailure(ex, cancellationToken))
        {
            throw Errors.Backend(operation, stream, consumer, ex, Timeout);
        }
    }
}
