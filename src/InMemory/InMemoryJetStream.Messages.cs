using System.Globalization;
using Goflux.InMemory.Internal;

namespace Goflux.InMemory;

public sealed partial class InMemoryJetStream
{
    /// <summary>
    /// Publishes raw bytes to the stream that captures <paramref name="subject"/>, with the server's checks in the server's
    /// order (S-23): expected stream, dedupe, expected sequences and message id, rollup, message size, limits.
    /// </summary>
    /// <param name="subject">A literal subject.</param>
    /// <param name="data">The payload; copied.</param>
    /// <param name="headers">Headers, stored verbatim (S-22); copied. <c>Nats-*</c> headers act as on the server (case-sensitive, S-08).</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The PubAck: stream, sequence, and whether it was a duplicate (original sequence, S-24).</returns>
    /// <exception cref="ArgumentException">The subject is not a valid publish subject, or is over <see cref="Subjects.MaxLength"/> UTF-8 bytes.</exception>
    /// <exception cref="GofluxException">No stream captures the subject (stage Publish, no error code), or the stream rejected
    /// the message (stage Publish, the server's error code), or an injected fault.</exception>
    /// <exception cref="ObjectDisposedException">The engine was disposed.</exception>
    public ValueTask<PublishResult> PublishAsync(string subject, ReadOnlyMemory<byte> data, MessageHeaders? headers = null, CancellationToken cancellationToken = default)
    {
        Subjects.ValidatePublishSubject(subject);
        // A real server never stores a message whose subject makes the publish's control line longer than its
        // max_control_line: it closes the connection (measured on 2.10.27 with a 5,000-byte subject). The raw engine
        // refuses such a subject before storing anything, at the limit goflux's publish pipeline uses.
        Subjects.ValidateLength(subject);
        return new(Publish(subject, data.Span, headers?.Clone()));
    }


    /// <summary>
    /// How long a no-wait fetch the server keeps open lasts before the client gives up: NATS.Net's default 30 s expiry
    /// plus its 5 s grace (S-70).
    /// </summary>
    private static readonly TimeSpan NoWaitClientTimeout = TimeSpan.FromSeconds(35);

    /// <summary>Pulls up to <paramref name="batch"/> messages from a consumer.</summary>
    /// <param name="stream">The stream name.</param>
    /// <param name="consumer">The consumer name.</param>
    /// <param name="batch">The most messages to return, at least 1.</param>
    /// <param name="expires">How long to wait for the batch to fill, on the engine's clock; <see langword="null"/> makes a no-wait request: it returns what is deliverable now, or nothing when no message is pending and no redelivery is queued; when messages are pending or redeliveries queued but none is deliverable (exhausted, or held back by <c>max_ack_pending</c>), it stays open like on the server until something is delivered, for at most 35 s (NATS.Net's give-up time) (S-70, S-76).</param>
    /// <param name="cancellationToken">A token to cancel the wait; the deliveries made so far are returned.</param>
    /// <returns>The deliveries, in delivery order.</returns>
    /// <exception cref="GofluxException">The stream (10059) or consumer (10014) does not exist, or it was deleted while waiting.</exception>
    /// <exception cref="ObjectDisposedException">The engine was disposed (also while waiting).</exception>
    public async ValueTask<IReadOnlyList<InMemoryDelivery>> FetchAsync(string stream, string consumer, int batch, TimeSpan? expires = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(consumer);
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        var request = new FetchRequest(batch, noWait: expires is null);
        Open(stream, consumer, request, expires);
        using (cancellationToken.Register(static r => ((FetchRequest)r!).Engine!.Cancel((PullRequest)r), request.WithEngine(this)))
        {
            await request.Completion.ConfigureAwait(false);
        }

        return request.Got;
    }

    /// <summary>Opens a pull request on a consumer (S-66 to S-76): it takes what is deliverable now, and expires after
    /// <paramref name="expires"/> unless that is <see langword="null"/>.</summary>
    internal void Open(string stream, string consumer, PullRequest request, TimeSpan? expires)
    {
        using var op = _ctx.Enter();
        var c = _ctx.GetConsumer(stream, consumer);
        c.AddRequest(request, expires is { } e ? EngineContext.Add(_ctx.Now, e) : null);
        if (request.NoWait && !request.Done && expires is null)
        {
            // S-70: a no-wait request the server keeps open waits without expiry for something deliverable; NATS.Net
            // gives up on it after its client timeout, and so does FetchAsync.
            _ctx.Scheduler.Schedule(request, EngineContext.Add(_ctx.Now, NoWaitClientTimeout));
        }
    }

    /// <summary>Publishes bytes, copied into the engine's pages before it returns.</summary>
    internal PublishResult Publish(string subject, ReadOnlySpan<byte> data, MessageHeaders? headers)
    {
        PublishResult result;
        bool lost;
        using (_ctx.Enter())
        {
            _ctx.ThrowIfDisposed();
            ApplyPublishFaults(subject);
            var headerBytes = StreamState.HeaderBytes(headers);
            var payload = (long)data.Length + headerBytes;
            if (Options.MaxPayload > 0 && payload > Options.MaxPayload)
            {
                throw new GofluxException(GofluxStage.Publish, string.Create(CultureInfo.InvariantCulture, $"maximum payload exceeded: {payload} bytes over {Options.MaxPayload}"), subject: subject)
                {
                    IsPermanent = true,
                    PublishOutcome = PublishOutcome.NotSent,
                };
            }

            var s = _ctx.StreamFor(subject) ?? throw new GofluxException(GofluxStage.Publish, $"no stream captures subject '{subject}' (no responders)", subject: subject)
            {
                PublishOutcome = PublishOutcome.NoStream,
            };
            var now = _ctx.Now;
            try
            {
                result = s.Accept(subject, data, headers, headerBytes, now);
            }
            catch (GofluxException ex)
            {
                _ctx.Record(new(InMemoryEventKind.Rejected, now, s.Name, null, subject, 0, Reason: ex.Message));
                throw;
            }

            lost = _ctx.Faults.TakeLostPublishAck();
        }

        if (!lost)
        {
            return result;
        }

        throw new GofluxException(GofluxStage.Transport, $"publishing to '{subject}' has an unknown outcome: the acknowledgement was lost (injected fault); the message may have been stored", subject: subject)
        {
            PublishOutcome = PublishOutcome.Unknown,
        };
    }

    /// <summary>Opens a pull request for a subscriber; deliveries and its end reach it as effects, in order.</summary>
    /// <exception cref="GofluxException">The stream or consumer does not exist.</exception>
    /// <exception cref="ObjectDisposedException">The engine was disposed.</exception>
    internal void Pull(string stream, string consumer, PullRequest request)
    {
        using var op = _ctx.Enter();
        _ctx.GetConsumer(stream, consumer).AddRequest(request, null);
    }

    /// <summary>Withdraws an open pull request (the client stopped); it ends normally.</summary>
    internal void Cancel(PullRequest request)
    {
        using var op = _ctx.Enter();
        if (request.Owner is { } c)
        {
            c.Withdraw(request);
        }
        else
        {
            _ctx.EndRequest(request, null);
        }
    }

    /// <summary>Applies an acknowledgement from a delivery.</summary>
    /// <exception cref="ObjectDisposedException">The engine was disposed (as an ack on a closed connection fails).</exception>
    internal void Acknowledge(InMemoryDelivery delivery, InMemoryDelivery.AckKind kind, TimeSpan? delay, string? reason)
    {
        using var op = _ctx.Enter();
        _ctx.ThrowIfDisposed();
        if (_ctx.Faults.TakeDropAck())
        {
            return;
        }

        var c = delivery.Consumer;
        if (c.Deleted)
        {
            // Like the server, the ack subject names the stream and consumer: a consumer made again under the
            // same name receives it; without one the ack has no subscriber (S-86).
            var md = delivery.Metadata;
            if (!_ctx.Streams.TryGetValue(md.Stream, out var s) || s.Consumer(md.Consumer) is not { } again)
            {
                return;
            }

            c = again;
        }

        c.Acknowledge(delivery, kind, delay, reason);
    }

    /// <summary>The pull request of <see cref="FetchAsync"/>: collects deliveries, completes when it ends.</summary>
    private sealed class FetchRequest(int batch, bool noWait) : PullRequest(batch, noWait, tracksHandling: false)
    {
        private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public List<InMemoryDelivery> Got { get; } = new(Math.Min(batch, 256));

        public Task Completion => _done.Task;

        public InMemoryJetStream? Engine { get; private set; }

        public FetchRequest WithEngine(InMemoryJetStream engine)
        {
            Engine = engine;
            return this;
        }

        public override void Deliver(InMemoryDelivery delivery) => Got.Add(delivery);

        public override void End(Exception? error)
        {
            if (error is null)
            {
                _done.TrySetResult();
            }
            else
            {
                _done.TrySetException(error);
            }
        }
    }
}
