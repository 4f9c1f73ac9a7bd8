using Goflux.Codecs;
using NATS.Client.JetStream.Models;

namespace Goflux;

/// <summary>
/// A JetStream backend: what an application needs of one to run — its topology (streams and consumers), publishers,
/// subscribers, and stream and consumer info. Two implementations exist and behave the same:
/// <c>Goflux.JetStream.JetStreamBackend</c> (a NATS server through NATS.Net) and <c>Goflux.InMemory.InMemoryBackend</c>
/// (the in-memory engine). Hosting, the test kit and the samples are written against this interface, so choosing the
/// implementation is the only line that differs.
/// </summary>
/// <remarks>
/// <para>
/// Topology follows one rule on both: <em>create or update</em>. A stream or consumer that does not exist is created; one
/// that exists is updated to the given configuration, keeping its messages and delivery state. A change the server does
/// not allow (for example a stream's storage type or a consumer's ack policy) is refused with the server's error.
/// </para>
/// <para>
/// Failures are reported the same way on both: a <see cref="GofluxException"/> whose <see cref="GofluxException.ErrorCode"/>
/// is the server's JetStream <c>err_code</c> (for example <see cref="JetStreamErrorCodes.StreamNotFound"/>) and whose
/// message names the stream or consumer; the stage is <see cref="GofluxStage.Transport"/> for streams and
/// <see cref="GofluxStage.Subscribe"/> for consumers and subscribers.
/// </para>
/// <para>
/// Configurations are NATS.Net's own models (<see cref="StreamConfig"/>, <see cref="ConsumerConfig"/>), so the same object
/// configures either backend. A backend does not own what it was built on (the connection, the engine): disposing what it
/// creates never closes that.
/// </para>
/// </remarks>
public interface IGofluxBackend
{
    /// <summary>Gets a short name of the backend for messages and logs, such as <c>JetStream</c> or <c>in-memory</c>.</summary>
    string Name { get; }

    /// <summary>Creates the stream, or updates it to <paramref name="config"/> when it exists (keeping its messages).</summary>
    /// <param name="config">The stream's configuration; it must have a name.</param>
    /// <param name="cancellationToken">A token to cancel the call.</param>
    /// <returns>The stream's info, with the server's defaults filled in.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="config"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="config"/> has no name.</exception>
    /// <exception cref="GofluxException">The server refused the configuration or the change (its <c>err_code</c>), or it
    /// could not be reached.</exception>
    ValueTask<StreamInfo> CreateOrUpdateStreamAsync(StreamConfig config, CancellationToken cancellationToken = default);

    /// <summary>Gets a stream's configuration and state.</summary>
    /// <param name="stream">The stream's name.</param>
    /// <param name="cancellationToken">A token to cancel the call.</param>
    /// <returns>The info.</returns>
    /// <exception cref="ArgumentException"><paramref name="stream"/> is empty.</exception>
    /// <exception cref="GofluxException">The stream does not exist (10059), or the server could not be reached.</exception>
    ValueTask<StreamInfo> GetStreamInfoAsync(string stream, CancellationToken cancellationToken = default);

    /// <summary>Deletes a stream with its messages and consumers.</summary>
    /// <param name="stream">The stream's name.</param>
    /// <param name="cancellationToken">A token to cancel the call.</param>
    /// <returns>A task that completes when the stream is deleted.</returns>
    /// <exception cref="ArgumentException"><paramref name="stream"/> is empty.</exception>
    /// <exception cref="GofluxException">The stream does not exist (10059), or the server could not be reached.</exception>
    ValueTask DeleteStreamAsync(string stream, CancellationToken cancellationToken = default);

    /// <summary>
    /// Creates the consumer on <paramref name="stream"/>, or updates it in place to <paramref name="config"/> when it exists
    /// (keeping its delivery state).
    /// </summary>
    /// <param name="stream">The stream's name.</param>
    /// <param name="config">The consumer's configuration; give it a durable name for a consumer that outlives the process.</param>
    /// <param name="cancellationToken">A token to cancel the call.</param>
    /// <returns>The consumer's info.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="config"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="stream"/> is empty.</exception>
    /// <exception cref="GofluxException">The stream does not exist (10059), the server refused the configuration or the
    /// change (its <c>err_code</c>), or it could not be reached.</exception>
    ValueTask<ConsumerInfo> CreateOrUpdateConsumerAsync(string stream, ConsumerConfig config, CancellationToken cancellationToken = default);

    /// <summary>Gets a consumer's configuration and counters.</summary>
    /// <param name="stream">The stream's name.</param>
    /// <param name="consumer">The consumer's name.</param>
    /// <param name="cancellationToken">A token to cancel the call.</param>
    /// <returns>The info.</returns>
    /// <exception cref="ArgumentException"><paramref name="stream"/> or <paramref name="consumer"/> is empty.</exception>
    /// <exception cref="GofluxException">The stream (10059) or the consumer (10014) does not exist, or the server could not
    /// be reached.</exception>
    ValueTask<ConsumerInfo> GetConsumerInfoAsync(string stream, string consumer, CancellationToken cancellationToken = default);

    /// <summary>Deletes a consumer; its subscribers end with an error at stage <see cref="GofluxStage.Subscribe"/>. A push
    /// consumer's subscribers are told nothing, as the server tells its deliver subject nothing: they keep listening, and
    /// a consumer created again on that deliver subject delivers to them.</summary>
    /// <param name="stream">The stream's name.</param>
    /// <param name="consumer">The consumer's name.</param>
    /// <param name="cancellationToken">A token to cancel the call.</param>
    /// <returns>A task that completes when the consumer is deleted.</returns>
    /// <exception cref="ArgumentException"><paramref name="stream"/> or <paramref name="consumer"/> is empty.</exception>
    /// <exception cref="GofluxException">The stream (10059) or the consumer (10014) does not exist, or the server could not
    /// be reached.</exception>
    ValueTask DeleteConsumerAsync(string stream, string consumer, CancellationToken cancellationToken = default);

    /// <summary>Creates a publisher on this backend.</summary>
    /// <typeparam name="T">The payload type.</typeparam>
    /// <param name="encoder">The payload encoder.</param>
    /// <param name="options">The options, or <see langword="null"/> for <see cref="PublisherOptions.Default"/>.</param>
    /// <returns>The publisher; disposing it leaves the backend alone.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="encoder"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    IPublisher<T> CreatePublisher<T>(IMessageEncoder<T> encoder, PublisherOptions? options = null);

    /// <summary>Creates a subscriber on an existing consumer.</summary>
    /// <typeparam name="T">The payload type.</typeparam>
    /// <param name="stream">The stream's name.</param>
    /// <param name="consumer">The consumer's name.</param>
    /// <param name="decoder">The payload decoder.</param>
    /// <param name="options">The options, or <see langword="null"/> for <see cref="SubscriberOptions.Default"/>.</param>
    /// <param name="cancellationToken">A token to cancel the call.</param>
    /// <returns>The subscriber; call <see cref="ISubscriber{T}.SubscribeAsync"/> to run it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="decoder"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="stream"/> or <paramref name="consumer"/> is empty, or the options
    /// are invalid.</exception>
    /// <exception cref="GofluxException">The stream (10059) or the consumer (10014) does not exist, or the server could not
    /// be reached (stage <see cref="GofluxStage.Subscribe"/>).</exception>
    ValueTask<ISubscriber<T>> CreateSubscriberAsync<T>(string stream, string consumer, IMessageDecoder<T> decoder, SubscriberOptions? options = null, CancellationToken cancellationToken = default);
}
