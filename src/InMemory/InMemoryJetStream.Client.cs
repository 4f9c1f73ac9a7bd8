using Goflux.InMemory.Internal;
using Goflux.InMemory.Server;
using NATS.Client.Core;
using NATS.Net;

namespace Goflux.InMemory;

/// <summary>The engine as a NATS server for NATS.Net: in-process clients, and the entry points their protocol layer calls.</summary>
public sealed partial class InMemoryJetStream
{
    private readonly Lock _serverGate = new();
    private NatsServer? _server;

    /// <summary>
    /// Creates a NATS.Net client whose server is this engine: NATS.Net's own <see cref="NatsClient"/> and
    /// <see cref="NatsConnection"/>, talking the NATS protocol over an in-process socket. <c>CreateJetStreamContext()</c>
    /// on it is NATS.Net's own JetStream code, running on the engine's streams, consumers and clock.
    /// </summary>
    /// <param name="options">NATS.Net options to start from, or <see langword="null"/> for <see cref="NatsOpts.Default"/>;
    /// <see cref="CreateNatsOpts"/> says what is changed.</param>
    /// <returns>A client; the caller owns it and disposes it. It connects on first use (or <c>ConnectAsync</c>).</returns>
    /// <exception cref="ObjectDisposedException">The engine was disposed.</exception>
    /// <remarks>Which NATS.Net calls work, and how virtual time meets NATS.Net's own wall-clock timers, is in the
    /// package README ("Already on NATS.Net?").</remarks>
    public NatsClient CreateClient(NatsOpts? options = null) => new(CreateNatsOpts(options));

    /// <summary>
    /// Returns NATS.Net options that connect to this engine instead of a server, for code that builds its own
    /// <see cref="NatsConnection"/> or <see cref="NatsClient"/>.
    /// </summary>
    /// <param name="options">Options to start from, or <see langword="null"/> for <see cref="NatsOpts.Default"/>.</param>
    /// <returns>A copy with <see cref="NatsOpts.SocketConnectionFactory"/> set to the engine, <see cref="NatsOpts.Url"/> set
    /// to a name for it, and, when left at NATS.Net's default (retry forever), <see cref="NatsOpts.MaxReconnectRetry"/>
    /// set to 1: a disposed engine does not come back, so NATS.Net gives up after one retry (a couple of seconds) and
    /// its connection fails instead of reconnecting forever.</returns>
    /// <exception cref="ObjectDisposedException">The engine was disposed.</exception>
    public NatsOpts CreateNatsOpts(NatsOpts? options = null)
    {
        var server = GetServer();
        var o = options ?? NatsOpts.Default;
        return o with
        {
            Url = NatsServer.Url,
            SocketConnectionFactory = server.SocketFactory,
            MaxReconnectRetry = o.MaxReconnectRetry == NatsOpts.Default.MaxReconnectRetry ? 1 : o.MaxReconnectRetry,
        };
    }

    /// <summary>
    /// Stops waiting for the deliveries that NATS.Net clients have read but not settled: they stay unsettled on their
    /// consumers (their ack wait runs as on a server), but <see cref="WaitForIdleAsync"/> and <see cref="AdvanceAsync"/>
    /// no longer wait for an ack, nak or term of them. Read means handed to the client's socket reader, even if that
    /// reader has not come back for more bytes yet: a message the caller already holds is always among them.
    /// </summary>
    /// <returns>How many deliveries stopped counting.</returns>
    /// <remarks>Call it when the code holding those messages will not settle them before time moves on, such as a test
    /// that fetched a message and leaves it unsettled on purpose to see it redelivered. Without it, the engine waits
    /// <see cref="InMemoryJetStreamOptions.UnsettledGrace"/> of wall-clock silence from the client before it gives up on
    /// them.</remarks>
    public int LeaveUnsettled()
    {
        NatsServer? server;
        lock (_serverGate)
        {
            server = _server;
        }

        return server?.LeaveUnsettled() ?? 0;
    }

    /// <summary>
    /// Completes when a NATS.Net client of this engine has a pull request open on the consumer (its <c>ConsumeAsync</c>,
    /// <c>FetchAsync</c> or <c>NextAsync</c> is waiting for messages) or, for a push consumer, a subscription that makes
    /// it deliver (on its deliver subject, in its deliver group), at once if so now. The stream and the consumer need not
    /// exist yet: a hosted worker that creates them on start is waited for.
    /// </summary>
    /// <param name="stream">The stream name.</param>
    /// <param name="consumer">The consumer name.</param>
    /// <param name="cancellationToken">A token to stop waiting.</param>
    /// <returns>A task that completes when the consumer has a pull request.</returns>
    /// <exception cref="ObjectDisposedException">The engine was disposed.</exception>
    /// <remarks>A consume loop started in the background (a hosted service) sends its first pull request a moment after
    /// it starts; a test that publishes and then waits for the engine to go idle waits for this first, so the messages
    /// have a loop to go to. On a real server the same test polls the consumer's <c>num_waiting</c> (<c>push_bound</c>
    /// for a push consumer).</remarks>
    public async Task WaitForPullRequestAsync(string stream, string consumer, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(consumer);
        var server = GetServer();
        var signal = server.WaitForPull(stream, consumer);
        try
        {
            try
            {
                var info = await GetConsumerInfoAsync(stream, consumer, cancellationToken).ConfigureAwait(false);
                if (info.NumWaiting > 0 || info.PushBound)
                {
                    return;
                }
            }
            catch (GofluxException)
            {
                // not created yet: its first pull request will tell
            }

            await signal.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            server.StopWaitingForPull(signal);
        }
    }

    /// <summary>
    /// Stops waiting for the deliveries of one consumer that NATS.Net clients have read but not settled (see
    /// <see cref="LeaveUnsettled()"/>); other consumers' deliveries still count.
    /// </summary>
    /// <param name="stream">The stream name.</param>
    /// <param name="consumer">The consumer name.</param>
    /// <returns>How many deliveries stopped counting.</returns>
    public int LeaveUnsettled(string stream, string consumer)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(consumer);
        NatsServer? server;
        lock (_serverGate)
        {
            server = _server;
        }

        return server?.LeaveUnsettled(stream, consumer) ?? 0;
    }

    /// <summary>Gets the in-process server, creating it on first use.</summary>
    private NatsServer GetServer()
    {
        lock (_serverGate)
        {
            using (_ctx.Enter())
            {
                _ctx.ThrowIfDisposed();
            }

            return _server ??= new NatsServer(this);
        }
    }

    /// <summary>Closes every in-process client connection (the engine is being disposed).</summary>
    private void CloseServer()
    {
        NatsServer? server;
        lock (_serverGate)
        {
            server = _server;
        }

        server?.Dispose();
    }

    /// <summary>The stream that captures <paramref name="subject"/> (the server's internal subscription of a stream), or
    /// <see langword="null"/>.</summary>
    internal string? StreamCapturing(string subject)
    {
        using var op = _ctx.Enter();
        return _ctx.Disposed ? null : _ctx.StreamFor(subject)?.Name;
    }

    /// <summary>The names of every stream, sorted as the server lists them.</summary>
    internal List<string> StreamNames()
    {
        using var op = _ctx.Enter();
        _ctx.ThrowIfDisposed();
        var names = _ctx.Streams.Keys.ToList();
        names.Sort(StringComparer.Ordinal);
        return names;
    }

    /// <summary>The names of a stream's consumers, sorted.</summary>
    /// <exception cref="GofluxException">The stream does not exist (10059).</exception>
    internal List<string> ConsumerNames(string stream)
    {
        using var op = _ctx.Enter();
        var names = _ctx.GetStream(stream).Consumers.Select(c => c.Name).ToList();
        names.Sort(StringComparer.Ordinal);
        return names;
    }

    /// <summary>Whether a consumer exists (its ack subject has a listener).</summary>
    internal bool ConsumerExists(string stream, string consumer)
    {
        using var op = _ctx.Enter();
        return !_ctx.Disposed && _ctx.Streams.TryGetValue(stream, out var s) && s.Consumer(consumer) is not null;
    }

    /// <summary>
    /// Opens a pull request from a client (a <c>CONSUMER.MSG.NEXT</c> request): as <see cref="FetchAsync"/> does, with the
    /// server's no-wait rules (S-70), except that a no-wait request kept open stays open until its client goes away, as
    /// on the server (NATS.Net gives up on it by its own wall-clock timer).
    /// </summary>
    /// <exception cref="GofluxException">The stream (10059) or consumer (10014) does not exist.</exception>
    /// <exception cref="ObjectDisposedException">The engine was disposed.</exception>
    internal void OpenPull(string stream, string consumer, PullRequest request, TimeSpan? expires)
    {
        using var op = _ctx.Enter();
        var c = _ctx.GetConsumer(stream, consumer);
        c.AddRequest(request, expires is { } e ? EngineContext.Add(_ctx.Now, e) : null);
    }

    /// <summary>
    /// Applies an acknowledgement that arrived on a delivery's ack subject (<c>$JS.ACK.…</c>): the consumer is found by
    /// name, as the server's ack subscription is (S-86).
    /// </summary>
    /// <returns><see langword="false"/> when no such consumer exists (nobody listens on the ack subject).</returns>
    /// <exception cref="ObjectDisposedException">The engine was disposed.</exception>
    internal bool AcknowledgeReply(DeliveryInfo metadata, InMemoryDelivery.AckKind kind, TimeSpan? delay, string? reason)
    {
        using var op = _ctx.Enter();
        _ctx.ThrowIfDisposed();
        if (!_ctx.Streams.TryGetValue(metadata.Stream, out var s) || s.Consumer(metadata.Consumer) is not { } c)
        {
            return false;
        }

        if (_ctx.Faults.TakeDropAck())
        {
            return true;
        }

        var subject = s.Get(metadata.StreamSequence)?.Subject ?? string.Empty;
        c.Acknowledge(new InMemoryDelivery(c, subject, ReadOnlyMemory<byte>.Empty, null, metadata), kind, delay, reason);
        return true;
    }

    /// <summary>Stops counting one delivery to a NATS.Net client, by its ack subject (a test harness that hands the message
    /// to its scenario, which holds it from then on).</summary>
    internal void LeaveUnsettledDelivery(string ackSubject)
    {
        lock (_serverGate)
        {
            _server?.Settle.Leave(ackSubject);
        }
    }

    /// <summary>Push deliveries to client subscriptions on <paramref name="subject"/> count in flight only until the client
    /// has read them (a test harness whose scenario holds them from then on, as <see cref="LeaveUnsettledDelivery"/> for
    /// one delivery).</summary>
    internal void HoldPushDeliveries(string subject) => GetServer().Pushes.Hold(subject);

    /// <summary>How many client subscriptions (each queue group member counted) match <paramref name="subject"/>.</summary>
    internal int SubscriptionCount(string subject) => GetServer().Router.Count(subject);

    /// <summary>Gets how many deliveries or ended requests of NATS.Net clients stopped counting only because the unsettled
    /// grace ran out (a test that expects determinism expects 0).</summary>
    internal int UnsettledGraceReleases
    {
        get
        {
            lock (_serverGate)
            {
                return _server?.Settle.GraceReleases ?? 0;
            }
        }
    }

    /// <summary>Counts one more thing a client owes the engine an answer for (see <see cref="WaitForIdleAsync"/>).</summary>
    internal void AddInFlight() => _ctx.Idle.Add();
}
