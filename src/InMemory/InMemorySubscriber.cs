using System.Threading.Channels;
using Goflux.Codecs;
using Goflux.InMemory.Internal;
using Goflux.Transport;

namespace Goflux.InMemory;

/// <summary>
/// Delivers a consumer's messages from an <see cref="InMemoryJetStream"/> to a handler, through the same pipeline as the
/// JetStream subscriber: decode (failure: term), root consumer span linked to the producer, auto-ack.
/// </summary>
/// <typeparam name="T">The payload type.</typeparam>
/// <remarks>
/// <para>
/// Like NATS.Net's <c>ConsumeAsync</c>, it keeps a pull window of <see cref="SubscriberOptions.MaxMessages"/> messages and
/// asks for more when half of it is used, so a message naked now comes back after the messages already pulled.
/// </para>
/// <para>
/// NATS.Net 3.3 counts a message against the window only when the consuming loop comes back for the next one (after its
/// <c>yield return</c>), that is after the handler has returned and the message was settled. So with a window of 1 the
/// next pull request leaves only once the handler is done, and a message naked by it comes back before the next new one.
/// (On a real server a plain nak travels the consumer's ack queue while a pull request does not, so a nak sent just
/// before the pull can still lose that race; the contract scenario waits for the nak to be applied.)
/// </para>
/// <para>
/// On a push consumer (one with a deliver subject) it listens on the deliver subject instead, in the consumer's deliver
/// group, as NATS.Net's push consumer subscribes: the consumer delivers while something listens there, each message to
/// one member of the group (S-124 to S-128). Without a deliver group every subscription on the subject receives every
/// message.
/// </para>
/// <para>
/// Cancellation and disposal work as on the JetStream subscriber: once the token is cancelled (or the subscriber
/// disposed) no handler is called again, and messages pulled but not yet handled are left unsettled, so they stay
/// pending and are redelivered after their ack wait. The handler running at that moment finishes, and its message is
/// settled as usual.
/// </para>
/// </remarks>
public sealed class InMemorySubscriber<T> : ISubscriber<T>
{
    private readonly InMemoryConsumer _consumer;
    private readonly IMessageDecoder<T> _decoder;
    private readonly SubscriberOptions _options;
    private readonly CancellationTokenSource _disposed = new();
    private readonly SubscriptionStatusSource _status;

    /// <summary>Initializes a new instance of the <see cref="InMemorySubscriber{T}"/> class.</summary>
    /// <param name="consumer">The consumer to pull from, or whose deliver subject to listen on (a push consumer); not owned.</param>
    /// <param name="decoder">The payload decoder.</param>
    /// <param name="options">The options, or <see langword="null"/> for <see cref="SubscriberOptions.Default"/>.</param>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    public InMemorySubscriber(InMemoryConsumer consumer, IMessageDecoder<T> decoder, SubscriberOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(consumer);
        ArgumentNullException.ThrowIfNull(decoder);
        _consumer = consumer;
        _decoder = decoder;
        _options = options ?? SubscriberOptions.Default;
        _options.Validate();
        _status = new SubscriptionStatusSource(_options.TimeProvider, _options.Logger);
    }

    /// <inheritdoc />
    public SubscriptionStatus Status => _status.Status;

    /// <inheritdoc />
    /// <exception cref="ArgumentNullException"><paramref name="subject"/> or <paramref name="handler"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="subject"/> is not a valid subject.</exception>
    /// <exception cref="ObjectDisposedException">The subscriber was disposed.</exception>
    /// <exception cref="GofluxException">The consumer or its stream does not exist or was deleted, or the engine was
    /// disposed (stage <see cref="GofluxStage.Subscribe"/>, the <see cref="ObjectDisposedException"/> as inner exception).</exception>
    /// <remarks>Cancelling <paramref name="cancellationToken"/> or disposing the subscriber completes the task normally.</remarks>
    public async Task SubscribeAsync(string subject, MessageHandler<T> handler, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(subject);
        ArgumentNullException.ThrowIfNull(handler);
        ObjectDisposedException.ThrowIf(_disposed.IsCancellationRequested, this);
        var pipeline = new DeliveryPipeline<T>(_decoder, _options, subject, _consumer.Name);
        using var run = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _disposed.Token);
        ILoop? loop = null;
        _status.Report(SubscriptionState.Starting);
        Exception? ended = null;
        try
        {
            // Push or pull is the consumer's configuration now, not when the handle was made.
            run.Token.ThrowIfCancellationRequested();
            var config = (await _consumer.Engine.GetConsumerInfoAsync(_consumer.Stream, _consumer.Name, run.Token).ConfigureAwait(false)).Config;
            loop = string.IsNullOrEmpty(config.DeliverSubject)
                ? new Loop(_consumer, _options.MaxMessages)
                : new PushLoop(_consumer.Engine, config.DeliverSubject, config.DeliverGroup);
            await loop.RunAsync(pipeline, handler, _status, run.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (run.Token.IsCancellationRequested)
        {
        }
        catch (GofluxException ex)
        {
            // Outside any exception filter: finding out whether the consumer is gone is an engine operation, and its
            // effects (advisory listeners, hand-offs) must not run during the first pass of exception handling.
            ended = await GoneAsync(subject, ex).ConfigureAwait(false)
                ?? (ex.Stage == GofluxStage.Subscribe
                    ? ex
                    : new GofluxException(GofluxStage.Subscribe, $"Subscription to '{subject}' on consumer '{_consumer.Name}' ended: {ex.Message}", ex, subject, ex.ErrorCode));
            if (ReferenceEquals(ended, ex))
            {
                throw;
            }

            throw ended;
        }
        catch (ObjectDisposedException ex)
        {
            ended = new GofluxException(GofluxStage.Subscribe, $"Subscription to '{subject}' on consumer '{_consumer.Name}' ended: the in-memory JetStream engine was disposed.", ex, subject);
            throw ended;
        }
        finally
        {
            loop?.Stop();
            _status.Report(ended is null ? SubscriptionState.Stopped : SubscriptionState.Faulted, ended);
        }
    }

    /// <summary>
    /// Says what the JetStream adapter says when a subscription's consumer or stream is missing (at the first pull) or goes
    /// away (its open pull ends with 409 Consumer Deleted): stage Subscribe, 10014 or 10059, with the names (S-111,
    /// S-112). <see langword="null"/> for any other failure.
    /// </summary>
    private async ValueTask<GofluxException?> GoneAsync(string subject, GofluxException ex)
    {
        const int consumerDeletedStatus = 409;
        int? code = ex.ErrorCode;
        var deleted = code == consumerDeletedStatus;
        if (deleted)
        {
            code = null;
            try
            {
                _ = await _consumer.Engine.GetConsumerInfoAsync(_consumer.Stream, _consumer.Name).ConfigureAwait(false);
            }
            catch (GofluxException check)
            {
                code = check.ErrorCode;
            }
            catch (ObjectDisposedException)
            {
                return null;
            }
        }

        var (stream, consumer) = (_consumer.Stream, _consumer.Name);
        var what = code switch
        {
            JetStreamErrorCodes.StreamNotFound => deleted ? $"stream '{stream}' was deleted" : $"stream '{stream}' does not exist",
            JetStreamErrorCodes.ConsumerNotFound => deleted ? $"consumer '{consumer}' was deleted from stream '{stream}'" : $"consumer '{consumer}' does not exist on stream '{stream}'",
            _ => null,
        };
        if (what is null)
        {
            return null;
        }

        return new GofluxException(
            GofluxStage.Subscribe,
            $"Subscription '{subject}' {(deleted ? "stopped" : "failed")}: {what} (err_code {code}).",
            ex,
            subject,
            code);
    }

    /// <summary>
    /// Stops every running <see cref="SubscribeAsync"/> of this subscriber (their tasks complete normally); later calls
    /// throw <see cref="ObjectDisposedException"/>. The consumer and the engine are left as they are: the caller owns them.
    /// </summary>
    /// <returns>A task that completes when the subscriptions were told to stop.</returns>
    public async ValueTask DisposeAsync()
    {
        if (!_disposed.IsCancellationRequested)
        {
            await _disposed.CancelAsync().ConfigureAwait(false);
        }
    }

    /// <summary>One running subscription.</summary>
    private interface ILoop
    {
        Task RunAsync(DeliveryPipeline<T> pipeline, MessageHandler<T> handler, SubscriptionStatusSource status, CancellationToken token);

        /// <summary>Stops receiving; what was received and not handled stays pending on the consumer.</summary>
        void Stop();
    }

    /// <summary>
    /// One running subscription on a push consumer: a listener on the consumer's deliver subject, in its deliver group,
    /// as NATS.Net's push consumer subscribes. The consumer delivers while it has interest (S-126); messages are handled
    /// one after another, in the order delivered.
    /// </summary>
    private sealed class PushLoop(InMemoryJetStream engine, string deliverSubject, string? group) : ILoop
    {
        private readonly Channel<InMemoryDelivery> _inbox = Channel.CreateUnbounded<InMemoryDelivery>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = false });
        private Listener? _listener;
        private int _stopped;

        public async Task RunAsync(DeliveryPipeline<T> pipeline, MessageHandler<T> handler, SubscriptionStatusSource status, CancellationToken token)
        {
            token.ThrowIfCancellationRequested();
            using var withdraw = token.UnsafeRegister(static s => ((PushLoop)s!).Withdraw(), this);
            _listener = new Listener(engine, _inbox.Writer, deliverSubject, group);
            engine.AddListener(_listener);
            if (token.IsCancellationRequested)
            {
                Withdraw();
            }

            status.Report(SubscriptionState.Listening);
            var reader = _inbox.Reader;
            var scope = engine.EnterHandlers();
            try
            {
                while (await reader.WaitToReadAsync(token).ConfigureAwait(false))
                {
                    while (!token.IsCancellationRequested && reader.TryRead(out var delivery))
                    {
                        try
                        {
                            await pipeline.ProcessAsync(
                                new IncomingMessage(delivery.Subject, delivery.Data, delivery.Headers, delivery.Metadata, delivery),
                                handler,
                                token).ConfigureAwait(false);
                        }
                        finally
                        {
                            engine.Handled(scope);
                        }
                    }

                    token.ThrowIfCancellationRequested();
                }
            }
            finally
            {
                engine.ExitHandlers(scope);
            }
        }

        public void Stop()
        {
            Withdraw();
            _inbox.Writer.TryComplete();
            while (_inbox.Reader.TryRead(out _))
            {
                engine.Handled(null); // delivered, never handled: redelivered after its ack wait, as on the server
            }
        }

        /// <summary>Stops listening; safe from any thread, any number of times.</summary>
        private void Withdraw()
        {
            if (_listener is { } l && Interlocked.Exchange(ref _stopped, 1) == 0)
            {
                engine.RemoveListener(l);
            }
        }
    }

    /// <summary>A listener whose deliveries go to the subscription's inbox.</summary>
    private sealed class Listener(InMemoryJetStream engine, ChannelWriter<InMemoryDelivery> inbox, string subject, string? group) : PushListener(subject, group, tracksHandling: true)
    {
        public override void Deliver(InMemoryDelivery delivery)
        {
            if (!inbox.TryWrite(delivery))
            {
                engine.Handled(null); // the subscription already stopped: nothing will handle it
            }
        }

        public override void End(Exception? error) => inbox.TryComplete(error);
    }

    /// <summary>One running subscription: its pull window, inbox and open pull requests.</summary>
    private sealed class Loop(InMemoryConsumer consumer, int max) : ILoop
    {
        private readonly Channel<InMemoryDelivery> _inbox = Channel.CreateUnbounded<InMemoryDelivery>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = false });
        private readonly List<PullRequest> _open = [];
        private readonly InMemoryJetStream _engine = consumer.Engine;
        private int _pending;
        private bool _stopped;

        public async Task RunAsync(DeliveryPipeline<T> pipeline, MessageHandler<T> handler, SubscriptionStatusSource status, CancellationToken token)
        {
            token.ThrowIfCancellationRequested();

            // Withdraw the pull requests the moment the token is cancelled, as a server stops delivering to a client
            // that is gone: a message the running handler naks afterwards waits for the next subscription.
            using var withdraw = token.UnsafeRegister(static s => ((Loop)s!).Withdraw(), this);
            Pull(max, token);
            status.Report(SubscriptionState.Listening);
            var reader = _inbox.Reader;
            var threshold = max / 2;
            var scope = _engine.EnterHandlers();
            try
            {
                await HandleAsync(reader, scope, pipeline, handler, threshold, token).ConfigureAwait(false);
            }
            finally
            {
                _engine.ExitHandlers(scope);
            }
        }

        private async Task HandleAsync(ChannelReader<InMemoryDelivery> reader, HandlerScope scope, DeliveryPipeline<T> pipeline, MessageHandler<T> handler, int threshold, CancellationToken token)
        {
            while (await reader.WaitToReadAsync(token).ConfigureAwait(false))
            {
                // Checked before every handler call: after cancellation nothing more is handled or settled.
                while (!token.IsCancellationRequested && reader.TryRead(out var delivery))
                {
                    try
                    {
                        await pipeline.ProcessAsync(
                            new IncomingMessage(delivery.Subject, delivery.Data, delivery.Headers, delivery.Metadata, delivery),
                            handler,
                            token).ConfigureAwait(false);
                    }
                    catch
                    {
                        _engine.Handled(scope);
                        throw;
                    }

                    // Counted once handled, as NATS.Net does after the consuming loop's yield returns. The next pull
                    // goes out before the delivery counts as handled, so the engine never looks idle while stored
                    // messages wait for this loop to ask for them.
                    _pending--;
                    try
                    {
                        if (_pending <= threshold && _pending < max && !token.IsCancellationRequested)
                        {
                            Pull(max - _pending, token);
                        }
                    }
                    finally
                    {
                        _engine.Handled(scope);
                    }
                }

                token.ThrowIfCancellationRequested();
            }
        }

        /// <summary>Withdraws the open pull requests; what was pulled and not handled stays pending on the consumer.</summary>
        public void Stop()
        {
            Withdraw();
            _inbox.Writer.TryComplete();
            while (_inbox.Reader.TryRead(out _))
            {
                _engine.Handled(null); // pulled, never handled: redelivered after its ack wait, as on the server
            }
        }

        /// <summary>Withdraws every open pull request; safe from any thread, any number of times.</summary>
        public void Withdraw()
        {
            PullRequest[] open;
            lock (_open)
            {
                _stopped = true;
                open = [.. _open];
                _open.Clear();
            }

            foreach (var r in open)
            {
                _engine.Cancel(r);
            }
        }

        private void Pull(int batch, CancellationToken token)
        {
            var request = new Request(_inbox.Writer, batch);
            lock (_open)
            {
                if (_stopped)
                {
                    return;
                }

                _open.RemoveAll(static r => r.Done);
                _open.Add(request);
            }

            _pending += batch;
            _engine.Pull(consumer.Stream, consumer.Name, request);
            if (token.IsCancellationRequested)
            {
                Withdraw();
            }
        }
    }

    /// <summary>A pull request whose deliveries go to the subscription's inbox.</summary>
    private sealed class Request(ChannelWriter<InMemoryDelivery> inbox, int batch) : PullRequest(batch, noWait: false, tracksHandling: true)
    {
        public override void Deliver(InMemoryDelivery delivery) => inbox.TryWrite(delivery);

        public override void End(Exception? error)
        {
            if (error is not null)
            {
                inbox.TryComplete(error);
            }
        }
    }
}
