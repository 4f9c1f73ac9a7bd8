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
/// message. Deleting a push consumer does not end the subscription (the server tells its deliver subject nothing); a
/// consumer created again on the subject delivers to it.
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
        InboxLoop? loop = null;
        _status.Report(SubscriptionState.Starting);
        Exception? ended = null;
        try
        {
            // Push or pull is the consumer's configuration now, not when the handle was made.
            run.Token.ThrowIfCancellationRequested();
            var config = (await _consumer.Engine.GetConsumerInfoAsync(_consumer.Stream, _consumer.Name, run.Token).ConfigureAwait(false)).Config;
            loop = string.IsNullOrEmpty(config.DeliverSubject)
                ? new PullLoop(_consumer, _options.MaxMessages)
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

    /// <summary>
    /// One running subscription: deliveries arrive in its inbox and are handled one after another, in the order
    /// delivered, through the shared delivery pipeline. A push and a pull subscription differ only in how they ask for
    /// deliveries (<see cref="Start"/>, <see cref="Withdraw"/>) and in what a handled delivery lets them ask for next.
    /// </summary>
    private abstract class InboxLoop(InMemoryJetStream engine)
    {
        protected InMemoryJetStream Engine { get; } = engine;

        protected Channel<InMemoryDelivery> Inbox { get; } = Channel.CreateUnbounded<InMemoryDelivery>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = false });

        public async Task RunAsync(DeliveryPipeline<T> pipeline, MessageHandler<T> handler, SubscriptionStatusSource status, CancellationToken token)
        {
            token.ThrowIfCancellationRequested();

            // Stop asking the moment the token is cancelled, as a server stops delivering to a client that is gone: a
            // message the running handler naks afterwards waits for the next subscription.
            using var withdraw = token.UnsafeRegister(static s => ((InboxLoop)s!).Withdraw(), this);
            Start(token);
            if (token.IsCancellationRequested)
            {
                Withdraw();
            }

            status.Report(SubscriptionState.Listening);
            var reader = Inbox.Reader;
            var scope = Engine.EnterHandlers();
            try
            {
                while (await reader.WaitToReadAsync(token).ConfigureAwait(false))
                {
                    // Checked before every handler call: after cancellation nothing more is handled or settled.
                    while (!token.IsCancellationRequested && reader.TryRead(out var delivery))
                    {
                        try
                        {
                            await pipeline.ProcessAsync(
                                new IncomingMessage(delivery.Subject, delivery.Data, delivery.Headers, delivery),
                                handler,
                                token).ConfigureAwait(false);
                        }
                        catch
                        {
                            Engine.Handled(scope);
                            throw;
                        }

                        try
                        {
                            OnHandled(token);
                        }
                        finally
                        {
                            Engine.Handled(scope);
                        }
                    }

                    token.ThrowIfCancellationRequested();
                }
            }
            finally
            {
                Engine.ExitHandlers(scope);
            }
        }

        /// <summary>Stops receiving; what was received and not handled stays pending on the consumer.</summary>
        public void Stop()
        {
            Withdraw();
            Inbox.Writer.TryComplete();
            while (Inbox.Reader.TryRead(out _))
            {
                Engine.Handled(null); // received, never handled: redelivered after its ack wait, as on the server
            }
        }

        /// <summary>Stops asking for deliveries; safe from any thread, any number of times.</summary>
        public abstract void Withdraw();

        /// <summary>Starts asking for deliveries.</summary>
        protected abstract void Start(CancellationToken token);

        /// <summary>A delivery was handled; runs before it counts as handled, so the engine never looks idle while
        /// this loop is about to ask for more.</summary>
        protected virtual void OnHandled(CancellationToken token)
        {
        }
    }

    /// <summary>
    /// One running subscription on a push consumer: a listener on the consumer's deliver subject, in its deliver group,
    /// as NATS.Net's push consumer subscribes. The consumer delivers while it has interest (S-126).
    /// </summary>
    private sealed class PushLoop(InMemoryJetStream engine, string deliverSubject, string? group) : InboxLoop(engine)
    {
        private Listener? _listener;
        private int _stopped;

        public override void Withdraw()
        {
            if (_listener is { } l && Interlocked.Exchange(ref _stopped, 1) == 0)
            {
                Engine.RemoveListener(l);
            }
        }

        protected override void Start(CancellationToken token)
        {
            _listener = new Listener(Engine, Inbox.Writer, deliverSubject, group);
            Engine.AddListener(_listener);
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

    /// <summary>One running subscription on a pull consumer: its pull window and open pull requests.</summary>
    private sealed class PullLoop(InMemoryConsumer consumer, int max) : InboxLoop(consumer.Engine)
    {
        private readonly List<PullRequest> _open = [];
        private int _pending;
        private bool _stopped;

        protected override void Start(CancellationToken token) => Pull(max, token);

        /// <summary>Counted once handled, as NATS.Net does after the consuming loop's yield returns; the next pull goes
        /// out when half the window is handled.</summary>
        protected override void OnHandled(CancellationToken token)
        {
            _pending--;
            if (_pending <= max / 2 && _pending < max && !token.IsCancellationRequested)
            {
                Pull(max - _pending, token);
            }
        }

        /// <summary>Withdraws every open pull request; safe from any thread, any number of times.</summary>
        public override void Withdraw()
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
                Engine.Cancel(r);
            }
        }

        private void Pull(int batch, CancellationToken token)
        {
            var request = new Request(Inbox.Writer, batch);
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
            Engine.Pull(consumer.Stream, consumer.Name, request);
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
