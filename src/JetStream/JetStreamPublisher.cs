using Goflux.Codecs;
using Goflux.JetStream.Internal;
using Goflux.Transport;
using NATS.Client.Core;
using NATS.Client.JetStream;

namespace Goflux.JetStream;

/// <summary>
/// Publishes typed messages to JetStream streams through NATS.Net, with goflux's encoding, headers and telemetry.
/// </summary>
/// <typeparam name="T">The payload type.</typeparam>
/// <remarks>
/// <para>
/// Each publish waits for the stream's acknowledgement. A publish the server recognises as a duplicate (the same
/// <c>Nats-Msg-Id</c> inside the stream's duplicate window, see <see cref="PublisherOptions.DeduplicateByMessageId"/>) is
/// not an error: it returns a <see cref="PublishResult"/> with <see cref="PublishResult.Duplicate"/> set and the original
/// sequence.
/// </para>
/// <para>
/// The caller owns the connection behind the <see cref="INatsJSContext"/>: disposing the publisher never closes it.
/// The publisher is safe for concurrent use.
/// </para>
/// </remarks>
public sealed class JetStreamPublisher<T> : IPublisher<T>
{
    private readonly INatsJSContext _js;
    private readonly PublishPipeline<T> _pipeline;
    private volatile bool _disposed;

    /// <summary>
    /// Initializes a new instance of the <see cref="JetStreamPublisher{T}"/> class.
    /// </summary>
    /// <param name="js">The JetStream context to publish through.</param>
    /// <param name="encoder">The payload encoder.</param>
    /// <param name="options">The options, or <see langword="null"/> for <see cref="PublisherOptions.Default"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="js"/> or <paramref name="encoder"/> is <see langword="null"/>.</exception>
    public JetStreamPublisher(INatsJSContext js, IMessageEncoder<T> encoder, PublisherOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(js);
        ArgumentNullException.ThrowIfNull(encoder);
        _js = js;
        _pipeline = new PublishPipeline<T>(new JetStreamTransportPublisher(js), encoder, options);
    }

    /// <summary>Gets the options.</summary>
    public PublisherOptions Options => _pipeline.Options;

    /// <inheritdoc />
    /// <exception cref="ObjectDisposedException">The publisher was disposed.</exception>
    /// <remarks>
    /// Failures are reported as <see cref="GofluxException"/>: with <see cref="GofluxStage.Publish"/> when no stream captures
    /// the subject, when the message is over the server's max payload, or when the server rejects it (then
    /// <see cref="GofluxException.ErrorCode"/> is its <c>err_code</c>); with <see cref="GofluxStage.Transport"/> when the
    /// connection fails or the acknowledgement times out.
    /// </remarks>
    public ValueTask<PublishResult> PublishAsync(string subject, T value, PublishOptions? options = null, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);

        // The size check needs the server's max payload, which is known once the connection has been opened.
        if (_js.Connection.ServerInfo is null)
        {
            return ConnectThenPublishAsync(subject, value, options, cancellationToken);
        }

        return _pipeline.PublishAsync(subject, value, options, cancellationToken);
    }

    /// <summary>Marks the publisher disposed. The connection stays open: the caller owns it.</summary>
    /// <returns>A completed task.</returns>
    public ValueTask DisposeAsync()
    {
        _disposed = true;
        return default;
    }

    private async ValueTask<PublishResult> ConnectThenPublishAsync(string subject, T value, PublishOptions? options, CancellationToken cancellationToken)
    {
        // Reject bad input before touching the network.
        Subjects.ValidatePublishSubject(subject);
        if (value is null)
        {
            throw new ArgumentNullException(nameof(value), $"The payload published to '{subject}' must not be null.");
        }

        try
        {
            await _js.Connection.ConnectAsync().AsTask().WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (Errors.IsNatsFailure(ex))
        {
            throw new GofluxException(GofluxStage.Transport, $"Publishing to '{subject}' failed: could not connect: {ex.Message}", ex, subject);
        }

        return await _pipeline.PublishAsync(subject, value, options, cancellationToken).ConfigureAwait(false);
    }
}
