using System.Buffers;
using Goflux.Codecs;
using Goflux.JetStream.Internal;
using Goflux.Transport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NATS.Client.Core;
using NATS.Client.JetStream;

namespace Goflux.JetStream;

/// <summary>
/// Delivers typed messages from a JetStream consumer to a handler, with goflux's decoding, telemetry and
/// acknowledgement rules.
/// </summary>
/// <typeparam name="T">The payload type.</typeparam>
/// <remarks>
/// <para>
/// Messages are pulled with NATS.Net's <c>ConsumeAsync</c>, <see cref="SubscriberOptions.MaxMessages"/> at a time, and
/// handled one after another. A payload that cannot be decoded is terminated and never reaches the handler. Unless
/// <see cref="SubscriberOptions.ManualAck"/> is set, a message is acked when the handler returns and naked when it throws.
/// </para>
/// <para>
/// Payloads are decoded where NATS.Net deserializes, on the connection's socket reader, as a raw
/// <c>ConsumeAsync&lt;T&gt;</c> does: the decoder must be thread-safe (the shipped codecs are), and a slow decoder slows
/// every subscription of the connection, as a slow NATS.Net deserializer would.
/// </para>
/// <para>
/// A push consumer (an <c>INatsJSPushConsumer</c>, for example from <c>INatsJSContext.GetPushConsumerAsync</c>; the
/// <see cref="JetStreamBackend"/> picks it for a consumer with a deliver subject) is consumed the same way: NATS.Net
/// subscribes to its deliver subject, in its deliver group, and the server pushes to it.
/// </para>
/// <para>
/// Acknowledgements support nak with delay, in-progress and term. A term reason is sent only to servers from 2.10.4 on;
/// older servers would otherwise redeliver the message instead of terminating it. The reason travels as ASCII.
/// </para>
/// <para>
/// Wire header names are compared as the connection's header parser does: names that differ only in case arrive merged
/// under the first spelling unless the connection was created with <c>NatsOpts.CaseSensitiveHeaders</c>.
/// </para>
/// <para>
/// Through a server restart or an outage the subscription keeps running: NATS.Net reconnects, and the pull is renewed
/// once no heartbeat arrived for twice <see cref="SubscriberOptions.IdleHeartbeat"/>. Meanwhile <see cref="Status"/> reports
/// <see cref="SubscriptionState.Interrupted"/> (logged at Warning) and then <see cref="SubscriptionState.Listening"/>
/// again (logged at Information). Messages flow again within the connection's reconnect wait plus twice the idle
/// heartbeat after the server is reachable.
/// </para>
/// <para>
/// The caller owns the consumer and its connection: disposing the subscriber stops its subscriptions but never deletes
/// the consumer or closes the connection.
/// </para>
/// </remarks>
public sealed class JetStreamSubscriber<T> : ISubscriber<T>
{
    private readonly INatsJSConsumer _consumer;
    private readonly IMessageDecoder<T> _decoder;
    private readonly SubscriberOptions _options;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _disposed = new();
    private readonly SubscriptionStatusSource _status;
    private readonly string _stream;
    private readonly string _name;
    private JetStreamAckContext? _context;

    /// <summary>
    /// Initializes a new instance of the <see cref="JetStreamSubscriber{T}"/> class.
    /// </summary>
    /// <param name="consumer">The JetStream consumer to pull from (for example from <c>INatsJSContext.CreateOrUpdateConsumerAsync</c>),
    /// or a push consumer (from <c>INatsJSContext.CreateOrUpdatePushConsumerAsync</c> or <c>GetPushConsumerAsync</c>).</param>
    /// <param name="decoder">The payload decoder.</param>
    /// <param name="options">The options, or <see langword="null"/> for <see cref="SubscriberOptions.Default"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="consumer"/> or <paramref name="decoder"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    public JetStreamSubscriber(INatsJSConsumer consumer, IMessageDecoder<T> decoder, SubscriberOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(consumer);
        ArgumentNullException.ThrowIfNull(decoder);
        _options = options ?? SubscriberOptions.Default;
        _options.Validate();
        _consumer = consumer;
        _decoder = decoder;
        _logger = _options.Logger ?? NullLogger.Instance;
        _status = new SubscriptionStatusSource(_options.TimeProvider, _logger);
        _stream = consumer.Info.StreamName;
        _name = consumer.Info.Name;
    }

    /// <summary>Gets the options.</summary>
    public SubscriberOptions Options => _options;

    /// <inheritdoc />
    public SubscriptionStatus Status => _status.Status;

    /// <inheritdoc />
    /// <exception cref="ArgumentNullException"><paramref name="subject"/> or <paramref name="handler"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="subject"/> is not a valid subject.</exception>
    /// <exception cref="ObjectDisposedException">The subscriber was disposed.</exception>
    /// <remarks>
    /// <para>
    /// Before pulling, the consumer's info is fetched: a missing stream or consumer fails at once with a
    /// <see cref="GofluxException"/> (stage <see cref="GofluxStage.Subscribe"/>, <see cref="GofluxException.ErrorCode"/>
    /// 10059 or 10014). A consumer or stream deleted while subscribed ends the returned task with the same kind of
    /// exception, whether the server announces it (<c>409 Consumer Deleted</c>) or a pull finds no responder.
    /// </para>
    /// <para>Cancelling <paramref name="cancellationToken"/> or disposing the subscriber completes the task normally.</para>
    /// </remarks>
    public async Task SubscribeAsync(string subject, MessageHandler<T> handler, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(subject);
        ArgumentNullException.ThrowIfNull(handler);
        Subjects.ValidatePattern(subject);
        ObjectDisposedException.ThrowIf(_disposed.IsCancellationRequested, this);

        using var run = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _disposed.Token);
        _status.Report(SubscriptionState.Starting);
        try
        {
            await RunAsync(subject, handler, run, cancellationToken).ConfigureAwait(false);
            _status.Report(SubscriptionState.Stopped);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _status.Report(SubscriptionState.Faulted, ex);
            throw;
        }
        catch
        {
            _status.Report(SubscriptionState.Stopped);
            throw;
        }
    }

    private async Task RunAsync(string subject, MessageHandler<T> handler, CancellationTokenSource run, CancellationToken cancellationToken)
    {
        var token = run.Token;
        var stream = _stream;
        var name = _name;

        try
        {
            await _consumer.RefreshAsync(token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            return;
        }
        catch (Exception ex) when (Errors.IsNatsFailure(ex))
        {
            throw Errors.Subscribe(subject, stream, name, ex);
        }

        var pipeline = new DeliveryPipeline<T>(_decoder, _options, subject, _consumer.Info.Name);
        var decode = new PipelineDeserializer(pipeline);
        using var resume = new ResumeWatch(_consumer, _status, _logger, _options.TimeProvider, subject, _options.IdleHeartbeat, token);
        var watch = new ConsumerWatch(_consumer, run, _logger, subject, resume);
        var opts = new NatsJSConsumeOpts
        {
            MaxMsgs = _options.MaxMessages,
            IdleHeartbeat = _options.IdleHeartbeat,
            Expires = _options.Expires,
            NotificationHandler = watch.OnNotificationAsync,
        };

        Log.SubscriptionStarted(_logger, subject, name, stream);
        _status.Report(SubscriptionState.Listening);
        Exception? failure = null;
        try
        {
            await foreach (var msg in _consumer.ConsumeAsync(decode, opts, token).ConfigureAwait(false))
            {
                resume.OnMessage();
                await ProcessAsync(pipeline, msg, handler, token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
        catch (Exception ex) when (Errors.IsNatsFailure(ex))
        {
            failure = ex;
        }

        if (watch.Failure is { } gone)
        {
            Log.SubscriptionFailed(_logger, subject, name, gone);
            throw gone;
        }

        if (failure is not null)
        {
            GofluxException error;
            if (failure is NatsJSException and not NatsJSApiException)
            {
                // 409 Consumer Deleted, or NATS.Net giving up after repeated 503s: ask the server which one is gone.
                var check = await watch.CheckAsync(CancellationToken.None).ConfigureAwait(false);
                error = Errors.ConsumerGone(subject, stream, name, failure, check);
            }
            else
            {
                error = Errors.Subscribe(subject, stream, name, failure);
            }

            Log.SubscriptionFailed(_logger, subject, name, error);
            throw error;
        }

        Log.SubscriptionStopped(_logger, subject, name);
    }

    /// <summary>
    /// Stops every running <see cref="SubscribeAsync"/> of this subscriber (their tasks complete normally). The consumer
    /// and the connection are left as they are: the caller owns them.
    /// </summary>
    /// <returns>A task that completes when the subscriptions were told to stop.</returns>
    public async ValueTask DisposeAsync()
    {
        if (!_disposed.IsCancellationRequested)
        {
            await _disposed.CancelAsync().ConfigureAwait(false);
        }
    }

    private ValueTask ProcessAsync(DeliveryPipeline<T> pipeline, INatsJSMsg<DecodedPayload<T>> msg, MessageHandler<T> handler, CancellationToken cancellationToken)
    {
        var incoming = new IncomingMessage(
            msg.Subject,
            ReadOnlyMemory<byte>.Empty, // decoded on NATS.Net's reader already (msg.Data)
            HeaderConversion.FromNats(msg.Headers, msg.Subject, _logger),
            new JetStreamAcker<DecodedPayload<T>>(msg, ContextOf(msg.Connection)));
        return pipeline.ProcessAsync(incoming, msg.Data, handler, cancellationToken);
    }

    private JetStreamAckContext ContextOf(INatsConnection? connection)
    {
        // The server's INFO object changes only on (re)connect; remember the answer for the current one.
        var info = connection?.ServerInfo;
        var cached = _context;
        if (cached is not null && ReferenceEquals(cached.Info, info))
        {
            return cached;
        }

        var capabilities = JetStreamAcker.Base | (ServerVersion.SupportsTermReason(info) ? AckCapabilities.TermReason : AckCapabilities.None);
        return _context = new JetStreamAckContext(_stream, _name, info, capabilities);
    }

    /// <summary>
    /// Decodes a delivery's data with the subscription's pipeline where NATS.Net deserializes, on its socket reader, as
    /// a raw <c>ConsumeAsync&lt;T&gt;</c> does: the handler loop receives the payload ready (or the decoder's failure,
    /// which the pipeline turns into a term). It never throws.
    /// </summary>
    private sealed class PipelineDeserializer(DeliveryPipeline<T> pipeline) : INatsDeserialize<DecodedPayload<T>>
    {
        public DecodedPayload<T> Deserialize(in ReadOnlySequence<byte> buffer)
        {
            if (buffer.IsSingleSegment)
            {
                return pipeline.Decode(buffer.FirstSpan);
            }

            var length = checked((int)buffer.Length);
            var rented = ArrayPool<byte>.Shared.Rent(length);
            try
            {
                buffer.CopyTo(rented);
                return pipeline.Decode(rented.AsSpan(0, length));
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }
}
