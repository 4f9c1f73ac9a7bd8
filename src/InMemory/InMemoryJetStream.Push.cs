using Goflux.InMemory.Internal;

namespace Goflux.InMemory;

public sealed partial class InMemoryJetStream
{
    /// <summary>
    /// Starts listening on a subject for push consumers' deliveries (a goflux subscriber on its consumer's deliver
    /// subject, or an in-process client's subscription): push consumers delivering to exactly that subject, in the
    /// listener's queue group (or in none when it has none), gain interest and deliver what waits (S-126).
    /// </summary>
    /// <exception cref="ObjectDisposedException">The engine was disposed.</exception>
    internal void AddListener(PushListener listener)
    {
        using var op = _ctx.Enter();
        _ctx.ThrowIfDisposed();
        _ctx.Push.Add(listener);
        if (!listener.Wildcard)
        {
            foreach (var c in _ctx.Push.ConsumersOn(listener.Subject))
            {
                c.OnInterestChanged();
            }
        }
    }

    /// <summary>Stops a listener; push consumers that lose their last interested listener stop delivering (S-128).</summary>
    internal void RemoveListener(PushListener listener)
    {
        using var op = _ctx.Enter();
        if (!_ctx.Push.Remove(listener) || listener.Wildcard || _ctx.Disposed)
        {
            return;
        }

        foreach (var c in _ctx.Push.ConsumersOn(listener.Subject))
        {
            c.OnInterestChanged();
        }
    }

    /// <summary>The push consumers with idle heartbeats that deliver now: where to send a heartbeat and what it reports.</summary>
    internal List<(string Stream, string Consumer, string DeliverSubject, TimeSpan Heartbeat, ulong LastConsumerSeq, ulong LastStreamSeq)> PushHeartbeats()
    {
        using var op = _ctx.Enter();
        var due = new List<(string, string, string, TimeSpan, ulong, ulong)>();
        if (_ctx.Disposed)
        {
            return due;
        }

        foreach (var c in _ctx.Push.Consumers)
        {
            if (c.Config.IdleHeartbeat > TimeSpan.Zero && c.PushBound)
            {
                var (dseq, sseq) = c.LastDelivered;
                due.Add((c.Stream.Name, c.Name, c.DeliverSubject!, c.Config.IdleHeartbeat, dseq, sseq));
            }
        }

        return due;
    }
}
