using Goflux.InMemory.Internal;

namespace Goflux.InMemory.Server;

/// <summary>
/// Push consumers' deliveries to clients: every client subscription is a listener of the engine, so a push consumer
/// whose deliver subject a client subscribes to (in its deliver group, if it has one) is active, and its deliveries
/// reach the subscriptions a publish on the deliver subject would reach (S-126, S-127). A delivery is written with the
/// stored message's subject and its <c>$JS.ACK</c> reply, as the server writes it.
/// </summary>
/// <remarks>Flow control requests are not sent: the engine never stalls a push consumer for pending bytes. Idle
/// heartbeats run on the wall clock (<see cref="Tick"/>), as for pull requests.</remarks>
internal sealed class PushService(NatsServer server)
{
    private readonly Lock _ticking = new();
    private readonly HashSet<string> _held = new(StringComparer.Ordinal);

    // Touched by the ticker only (one tick at a time).
    private readonly Dictionary<(string Stream, string Consumer), long> _lastBeat = [];

    private InMemoryJetStream Engine => server.Engine;

    /// <summary>A client subscribed: the engine learns of the listener (an engine operation; no server lock held).</summary>
    public void Subscribed(Subscription sub)
    {
        var listener = new ClientPushListener(this, sub);
        sub.Listener = listener;
        try
        {
            Engine.AddListener(listener);
        }
        catch (ObjectDisposedException)
        {
            return;
        }

        server.Subscribed();
    }

    /// <summary>A subscription ended: the engine forgets the listener, and what it received and did not settle is no
    /// longer waited for (the loop that read it stopped).</summary>
    public void Unsubscribed(Subscription sub)
    {
        if (sub.Listener is not { } listener)
        {
            return;
        }

        try
        {
            Engine.RemoveListener(listener);
        }
        catch (ObjectDisposedException)
        {
        }

        server.Settle.Abandoned(listener.Key);
    }

    /// <summary>
    /// Sends idle heartbeats, on the wall clock, for push consumers that deliver and have one configured: a
    /// <c>100 Idle Heartbeat</c> status on the deliver subject with the last delivered sequences, every heartbeat
    /// period (S-134).
    /// </summary>
    public void Tick(long now)
    {
        // A try-lock, never waited on: a tick that overlaps a slow one leaves the work to it.
        if (!_ticking.TryEnter())
        {
            return;
        }

        try
        {
            Beat(now);
        }
        finally
        {
            _ticking.Exit();
        }
    }

    private void Beat(long now)
    {
        var beats = Engine.PushHeartbeats();
        if (beats.Count == 0)
        {
            if (_lastBeat.Count > 0)
            {
                _lastBeat.Clear();
            }

            return;
        }

        foreach (var (stream, consumer, deliver, heartbeat, dseq, sseq) in beats)
        {
            var key = (stream, consumer);
            if (!_lastBeat.TryGetValue(key, out var last))
            {
                _lastBeat[key] = now;
                continue;
            }

            if (TimeProvider.System.GetElapsedTime(last, now) < heartbeat)
            {
                continue;
            }

            _lastBeat[key] = now;
            var status = WireHeaders.Status(100, "Idle Heartbeat", ("Nats-Last-Consumer", (long)dseq), ("Nats-Last-Stream", (long)sseq));
            server.Send(deliver, deliver, null, status, [], out _);
        }
    }

    /// <summary>
    /// Deliveries to subscriptions on <paramref name="subject"/> are held by their reader from then on: they count in
    /// flight only until the client has read them, as an ack-none delivery does, not until it settles them.
    /// </summary>
    public void Hold(string subject)
    {
        lock (_held)
        {
            _held.Add(subject);
        }
    }

    /// <summary>Writes one delivery to a subscription (an effect of the engine, outside its lock).</summary>
    public void Deliver(ClientPushListener l, InMemoryDelivery d)
    {
        var sub = l.Subscription;
        var ack = d.ReplyTo;
        var epoch = server.Settle.LeaveEpoch;
        var end = sub.Connection.IsClosed ? -1 : sub.Connection.Deliver(sub, d.Subject, ack, WireHeaders.Write(d.Headers), d.Data.Span);
        l.Touched();
        bool held;
        lock (_held)
        {
            held = _held.Count > 0 && _held.Contains(sub.Subject);
        }

        server.Settle.Delivered(ack, l.Key, d.Metadata, end < 0 ? null : sub.Connection, end, d.Consumer.AckNone || held, d.Consumer.AckAll, epoch);
    }
}

/// <summary>A client subscription as the engine sees it: a listener that may receive push deliveries.</summary>
internal sealed class ClientPushListener(PushService owner, Subscription sub) : PushListener(sub.Subject, sub.Queue, tracksHandling: true)
{
    private long _lastWrite = TimeProvider.System.GetTimestamp();

    public Subscription Subscription { get; } = sub;

    /// <summary>Gets the key its deliveries are tracked under until settled.</summary>
    public string Key { get; } = $"push {sub.Connection.Id} {sub.Sid}";

    /// <summary>Gets the wall-clock timestamp of the last write to it.</summary>
    public long LastWrite => Interlocked.Read(ref _lastWrite);

    public void Touched() => Interlocked.Exchange(ref _lastWrite, TimeProvider.System.GetTimestamp());

    public override void Deliver(InMemoryDelivery delivery) => owner.Deliver(this, delivery);
}
