using NATS.Client.JetStream.Models;

namespace Goflux.InMemory.Internal;

internal sealed partial class ConsumerState
{
    /// <summary>The reason of the term the engine applies when a limit removes a pending message (S-99).</summary>
    internal const string UnackedRemovedReason = "Unacknowledged message was deleted";

    /// <summary>
    /// Applies one acknowledgement sent to a delivery's ack subject (S-79 to S-88): the stream sequence, the delivery's
    /// consumer sequence and its delivery count come from that subject, as on the server.
    /// </summary>
    public void Acknowledge(InMemoryDelivery delivery, InMemoryDelivery.AckKind kind, TimeSpan? delay, string? reason)
    {
        if (AckNone)
        {
            return; // the server does not even listen on an ack-none consumer's ack subjects (S-84)
        }

        var now = _ctx.Now;
        Touch(now);
        var (sseq, dseq, dc) = (delivery.StreamSequence, delivery.ConsumerSequence, delivery.NumDelivered);
        switch (kind)
        {
            case InMemoryDelivery.AckKind.Ack:
                if (ProcessAckMsg(sseq, dseq) && _ctx.RecordEvents)
                {
                    _ctx.Record(new(InMemoryEventKind.Acked, now, Stream.Name, Name, delivery.Subject, sseq, dseq, dc));
                }

                break;
            case InMemoryDelivery.AckKind.Term:
                ProcessTerm(sseq, dseq, dc, string.IsNullOrWhiteSpace(reason) ? null : reason.Trim(), delivery.Subject);
                break;
            case InMemoryDelivery.AckKind.Nak:
                ProcessNak(sseq, dseq, dc, delay, delivery.Subject, now);
                break;
            case InMemoryDelivery.AckKind.InProgress:
                // S-82: the ack wait restarts from now; the timer is left as armed, and a message queued for
                // redelivery stays queued.
                if (_pending.Contains(sseq))
                {
                    _pending.SetTimestamp(sseq, now);
                    _ctx.Record(new(InMemoryEventKind.InProgress, now, Stream.Name, Name, delivery.Subject, sseq, dseq, dc));
                }

                break;
        }
    }

    /// <summary>
    /// A term (S-83): applied as an ack, then a MSG_TERMINATED advisory, whether or not the message was pending. With
    /// ack policy all it acknowledges everything up to the message, as an ack does.
    /// </summary>
    internal void ProcessTerm(ulong sseq, ulong dseq, ulong dc, string? reason, string? subject)
    {
        var now = _ctx.Now;
        ProcessAckMsg(sseq, dseq);
        _ctx.Record(new(InMemoryEventKind.Terminated, now, Stream.Name, Name, subject ?? Stream.Store.Get(sseq)?.Subject ?? string.Empty, sseq, dseq, dc, Reason: reason));
        Advise(JetStreamAdvisory.TerminatedType, "MSG_TERMINATED", now, sseq, dseq, dc, reason);
    }

    /// <summary>
    /// An ack (or the ack half of a term), by ack policy (S-79, S-85, S-101): explicit forgets the pending message and
    /// moves the floor when it was the next one (to "everything delivered" when nothing is left pending); all
    /// acknowledges everything up to it; none ignores it. Interest and work-queue streams then decide retention, even
    /// for a message that was no longer pending. An ack at or past the consumer's position changes nothing.
    /// </summary>
    /// <returns><see langword="true"/> when a pending message was acknowledged.</returns>
    private bool ProcessAckMsg(ulong sseq, ulong dseq)
    {
        if (sseq >= _sseq)
        {
            return false;
        }

        var acked = false;
        ulong floor = 0, gap = 0;
        var wasFull = MaxAckPending > 0 && _pending.Count >= MaxAckPending;
        switch (Config.AckPolicy)
        {
            case ConsumerConfigAckPolicy.Explicit:
                if (_pending.Remove(sseq, out var p))
                {
                    acked = true;
                    dseq = p.Sequence;
                    if (_pending.Count == 0)
                    {
                        _adflr = _dseq - 1;
                        _asflr = _sseq - 1;
                    }
                    else if (dseq == _adflr + 1)
                    {
                        _adflr = dseq;
                        _asflr = sseq;

                        // The floor stops below the next pending message (the server walks the sequences after it).
                        if (_pending.TryGetNext(sseq, out var ss, out var next) && ss < _sseq && next.Sequence > 0)
                        {
                            _adflr = next.Sequence - 1;
                            _asflr = ss - 1;
                        }
                    }
                }

                _pending.ForgetRedeliveryCount(sseq);
                _pending.Unqueue(sseq);
                break;
            case ConsumerConfigAckPolicy.All:
                if (dseq <= _adflr || sseq <= _asflr)
                {
                    return false;
                }

                (gap, floor) = AckAllUpTo(sseq, dseq);
                acked = true;
                break;
            default:
                return false;
        }

        StoreAcks(dseq, sseq);
        if (_retention != StreamConfigRetention.Limits)
        {
            if (gap > 1)
            {
                for (var seq = sseq; seq >= floor && seq > 0; seq--)
                {
                    Stream.AckMsg(this, seq);
                }
            }
            else
            {
                Stream.AckMsg(this, sseq);
            }
        }

        if (wasFull)
        {
            Dispatch();
        }

        return acked;
    }

    /// <summary>
    /// Ack policy all: everything pending up to <paramref name="sseq"/> is acknowledged. As the server: the floor of the
    /// retention walk starts at the gap (a count) and drops to the lowest sequence removed, so the walk may reach below
    /// the old ack floor.
    /// </summary>
    private (ulong Gap, ulong Floor) AckAllUpTo(ulong sseq, ulong dseq)
    {
        var gap = sseq - _asflr;
        var floor = gap;
        _adflr = dseq;
        _asflr = sseq;
        if (gap > (ulong)_pending.Count)
        {
            foreach (var seq in _pending.InOrder.Select(e => e.Key).TakeWhile(k => k <= sseq).ToList())
            {
                floor = Math.Min(floor, ForgetPending(seq));
            }
        }
        else
        {
            for (var seq = sseq; seq > sseq - gap && _pending.Count > 0; seq--)
            {
                floor = Math.Min(floor, ForgetPending(seq));
            }
        }

        return (gap, floor);
    }

    private ulong ForgetPending(ulong seq)
    {
        _pending.Remove(seq);
        _pending.ForgetRedeliveryCount(seq);
        _pending.Unqueue(seq);
        return seq;
    }

    /// <summary>
    /// A nak (S-80, S-81): ignored unless the message is pending and the delivery is above the ack floor; raises
    /// MSG_NAKED; with a delay, the ack wait is set to end after it (measured against ack_wait); without one, the message
    /// is queued for redelivery now.
    /// </summary>
    private void ProcessNak(ulong sseq, ulong dseq, ulong dc, TimeSpan? delay, string subject, DateTimeOffset now)
    {
        if (dseq <= _adflr || dseq > _dseq || !_pending.TryGet(sseq, out var p))
        {
            return;
        }

        Advise(JetStreamAdvisory.NakType, "MSG_NAKED", now, sseq, dseq, dc, null);
        if (delay is { } d && d > TimeSpan.Zero)
        {
            _ctx.Record(new(InMemoryEventKind.NakedWithDelay, now, Stream.Name, Name, subject, sseq, dseq, dc, Delay: d));
            _pending.Unqueue(sseq);
            _pending.SetTimestamp(sseq, EngineContext.Add(EngineContext.Add(now, -Config.AckWait), d), DeadlineCause.NakDelay);
            if (IsTimerArmed)
            {
                ResetTimer(NakRecheck);
            }

            return;
        }

        _ctx.Record(new(InMemoryEventKind.Naked, now, Stream.Name, Name, subject, sseq, dseq, dc));
        _pending.Enqueue(sseq);
        Dispatch();
    }

    private void Advise(string type, string kind, DateTimeOffset now, ulong seq, ulong? consumerSeq, ulong deliveries, string? reason)
        => _ctx.RaiseAdvisory(new(type, $"$JS.EVENT.ADVISORY.CONSUMER.{kind}.{Stream.Name}.{Name}", now, Stream.Name, Name, seq, consumerSeq, deliveries, reason));

    /// <summary>The delivery count of a pending message: its redelivery count, at least 1.</summary>
    private ulong DeliveryCount(ulong seq) => _pending.RedeliveryCount(seq) is var dc && dc >= 1 ? dc : 1;

    private ulong IncDeliveryCount(ulong seq)
    {
        var n = _pending.RedeliveryCount(seq) + 1;
        _pending.SetRedeliveryCount(seq, n);
        return n + 1;
    }

    /// <summary>Takes back a delivery count that was not used; like the server, leaves the entry (even at 0).</summary>
    private void DecDeliveryCount(ulong seq) => _pending.SetRedeliveryCount(seq, _pending.RedeliveryCount(seq) - 1);
}
