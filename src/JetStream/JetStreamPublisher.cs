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
        options ??= PublisherOptions.Default;
        options.Validate();
        _pipeline = new PublishPipeline<T>(new JetStreamTransportPublisher(js, options), encoder, options);
    }

    /// <summary>Gets the options.</summary>
    public PublisherOptions Options => _pipeline.Options;

    /// <inheritdoc />
    /// <exception cref="ObjectDisposedException">The publisher was disposed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled before the message
    /// was sent; nothing was sent.</exception>
    /// <remarks>
    /// <para>
    /// Every publish ends within <see cref="PublisherOptions.PublishTimeout"/>, also while the server is down. Failures are
    /// reported as <see cref="GofluxException"/>, and <see cref="GofluxException.PublishOutcome"/> says what is known of
    /// the message:
    /// </para>
    /// <list type="bullet">
    /// <item><description><see cref="PublishOutcome.NotSent"/>: the connection did not open within the timeout, or the
    /// message is over the server's max payload; nothing was sent.</description></item>
    /// <item><description><see cref="PublishOutcome.NoStream"/>: the server answered that nothing listens on the subject
    /// (no responders); nothing was stored.</description></item>
    /// <item><description><see cref="PublishOutcome.Rejected"/>: the stream rejected the message;
    /// <see cref="GofluxException.ErrorCode"/> is the server's <c>err_code</c>.</description></item>
    /// <item><description><see cref="PublishOutcome.Unknown"/>: the message was sent but no acknowledgement arrived
    /// within the timeout, the connection was lost, or <paramref name="cancellationToken"/> was cancelled while waiting.
    /// The message may have been stored.</description></item>
    /// </list>
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
        // Reject bad input before touching the network; the wait for the connection counts against the publish timeout.
        PublishPipeline<T>.ValidateInput(subject, value, options);
        var timeProvider = Options.TimeProvider;
        var start = timeProvider.GetTimestamp();
        await ConnectionWait.WaitForOpenAsync(_js.Connection, subject, Options.PublishTimeout, timeProvider, cancellationToken).ConfigureAwait(false);
        var left = Options.PublishTimeout - timeProvider.GetElapsedTime(start);
        var pipeline = left > TimeSpan.Zero ? _pipeline : throw Errors.NotSent(subject, $"the connection did not open within the publish timeout of {Errors.Seconds(Options.PublishTimeout)}");
        return await pipeline.PublishAsync(subject, value, options, cancellationToken).ConfigureAwait(false);
    }
}
