using Goflux.Codecs;
using Goflux.Transport;

namespace Goflux.InMemory;

/// <summary>
/// Publishes typed messages into an <see cref="InMemoryJetStream"/>, through the same pipeline as the JetStream publisher:
/// validation, encoding, headers, telemetry. Messages are stored as bytes plus headers, as the server stores them.
/// </summary>
/// <typeparam name="T">The payload type.</typeparam>
public sealed class InMemoryPublisher<T> : IPublisher<T>
{
    private readonly PublishPipeline<T> _pipeline;
    private volatile bool _disposed;

    /// <summary>Initializes a new instance of the <see cref="InMemoryPublisher{T}"/> class.</summary>
    /// <param name="engine">The engine; not owned.</param>
    /// <param name="encoder">The payload encoder.</param>
    /// <param name="options">The options, or <see langword="null"/> for <see cref="PublisherOptions.Default"/>.</param>
    public InMemoryPublisher(InMemoryJetStream engine, IMessageEncoder<T> encoder, PublisherOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(encoder);
        _pipeline = new PublishPipeline<T>(new Transport(engine), encoder, options);
    }

    /// <inheritdoc />
    /// <exception cref="ObjectDisposedException">The publisher (or its engine) was disposed.</exception>
    public ValueTask<PublishResult> PublishAsync(string subject, T value, PublishOptions? options = null, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _pipeline.PublishAsync(subject, value, options, cancellationToken);
    }

    /// <summary>Marks the publisher disposed: later publishes throw <see cref="ObjectDisposedException"/>. The engine is
    /// not owned and stays as it is.</summary>
    /// <returns>A completed task.</returns>
    public ValueTask DisposeAsync()
    {
        _disposed = true;
        return default;
    }

    private sealed class Transport(InMemoryJetStream engine) : ITransportPublisher
    {
        public long MaxPayload => engine.Options.MaxPayload;

        public ValueTask<PublishResult> PublishAsync(OutgoingMessage message, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            return new(engine.Publish(message.Subject, message.Body.Span, message.Headers));
        }
    }
}
