namespace Goflux.InMemory.Internal;

internal sealed partial class ConsumerState
{
    /// <summary>Applies one acknowledgement of the delivered message (identified by its stream sequence) (S-79 to S-88).</summary>
    /// <remarks>Acks on a message that is no longer pending change nothing (S-84, S-88); a term still raises its advisory.
    /// Long because it is one switch over the ack kinds, as the server's ack processing is: each branch is short, and
    /// keeping them together shows how they differ.</remarks>
    public void Acknowledge(InMemoryDelivery delivery, InMemoryDelivery.AckKind kind, TimeSpan? delay, string? reason)
    {
        var now = _ctx.Now;
        LastActive = now;
        Touch(now);
        var md = delivery.Metadata;
        var seq = md.StreamSequence;
        _pending.TryGetValue(seq, out var p);
        switch (kind)
        {
            case InMemoryDelivery.AckKind.Ack:
                if (p is null && !AckNone)
                {
                    ForgetNotPending(seq);
                    return;
                }

                if (p is null || AckNone)
                {
                    return;
                }

                if (_ctx.RecordEvents)
                {
                    _ctx.Record(new(InMemoryEventKind.Acked, now, Stream.Name, Name, delivery.Subject, seq, md.ConsumerSequence, md.NumDelivered));
                }

                if (AckAll)
                {
                    AckAllUpTo(p);
                }
                else
                {
                    Settle(p);
                }

                Dispatch();
                return;

            case InMemoryDelivery.AckKind.Term:
                _ctx.Record(new(InMemoryEventKind.Terminated, now, Stream.Name, Name, delivery.Subject, seq, md.ConsumerSequence, md.NumDelivered, Reason: reason));
                Advise(JetStreamAdvisory.TerminatedType, "MSG_TERMINATED", now, seq, md.ConsumerSequence, md.NumDelivered, string.IsNullOrEmpty(reason) ? null : reason);
                if (p is not null && !AckNone)
                {
                    Settle(p);
                    Dispatch();
                }
                else if (p is null && !AckNone)
                {
                    ForgetNotPending(seq);
                }

                return;

            case InMemoryDelivery.AckKind.Nak:
                if (p is null || AckNone)
                {
                    return;
                }

                Advise(JetStreamAdvisory.NakType, "MSG_NAKED", now, seq, md.ConsumerSequence, md.NumDelivered, null);
                if (delay is { } d && d > TimeSpan.Zero)
                {
                    _ctx.Record(new(InMemoryEventKind.NakedWithDelay, now, Stream.Name, Name, delivery.Subject, seq, md.ConsumerSequence, md.NumDelivered, Delay: d));
                    Unqueue(p);
                    SetNakDeadline(p, now, d);
                }
                else
                {
                    _ctx.Record(new(InMemoryEventKind.Naked, now, Stream.Name, Name, delivery.Subject, seq, md.ConsumerSequence, md.NumDelivered));
                    p.Version++;
                    if (!p.Queued)
                    {
                        p.Queued = true;
                        _redeliveryQueue.AddLast(seq);
                    }

                    Dispatch();
                }

                return;

            case InMemoryDelivery.AckKind.InProgress:
                if (p is null || AckNone)
                {
                    return;
                }

                _ctx.Record(new(InMemoryEventKind.InProgress, now, Stream.Name, Name, delivery.Subject, seq, md.ConsumerSequence, md.NumDelivered));

                // S-82: only the timer restarts; a message already queued for redelivery (naked or expired) stays
                // queued, as the server's progressUpdate never touches its redelivery queue.
                SetAckDeadline(p, now);
                return;
        }
    }

    private void Advise(string type, string kind, DateTimeOffset now, ulong seq, ulong? consumerSeq, ulong deliveries, string? reason)
        => _ctx.RaiseAdvisory(new(type, $"$JS.EVENT.ADVISORY.CONSUMER.{kind}.{Stream.Name}.{Name}", now, Stream.Name, Name, seq, consumerSeq, deliveries, reason));

    /// <summary>An ack or term of one pending message: forget it, move the floor, apply retention.</summary>
    private void Settle(PendingEntry p)
    {
        Forget(p);
        MoveFloor(p);
        Stream.Retain(p.Seq);
        DropSettledDeadlines();
    }

    /// <summary>Ack policy all: acknowledges every pending message at or below <paramref name="acked"/> (S-85).</summary>
    private void AckAllUpTo(PendingEntry acked)
    {
        var seq = acked.Seq;
        var covered = new List<PendingEntry>();
        foreach (var q in _pending.Values)
        {
            if (q.Seq <= seq)
            {
                covered.Add(q);
            }
        }

        covered.Sort(static (a, b) => a.Seq.CompareTo(b.Seq));
        foreach (var q in covered)
        {
            Forget(q);
            Stream.Retain(q.Seq);
        }

        AckFloorConsumer = Math.Max(AckFloorConsumer, acked.ConsumerSeq);
        AckFloorStream = Math.Max(AckFloorStream, seq);
        if (_pending.Count == 0)
        {
            FloorToDelivered();
        }
    }

    private void Forget(PendingEntry p, bool keepRedelivered = false)
    {
        _pending.Remove(p.Seq);
        p.Version++;
        Unqueue(p);
        if (!keepRedelivered)
        {
            _redelivered.Remove(p.Seq);
        }
    }

    private void Unqueue(PendingEntry p)
    {
        if (p.Queued)
        {
            p.Queued = false;
            _redeliveryQueue.Remove(p.Seq);
        }
    }

    /// <summary>
    /// Ack floor arithmetic (S-101, S-105): moves only over contiguous acks; jumps to delivered when nothing is pending.
    /// Like the server's <c>processAckMsg</c>, it compares first-delivery consumer sequences, not the latest redelivery's.
    /// </summary>
    private void MoveFloor(PendingEntry acked)
    {
        if (_pending.Count == 0)
        {
            FloorToDelivered();
            return;
        }

        if (acked.FirstConsumerSeq != AckFloorConsumer + 1)
        {
            return;
        }

        AckFloorConsumer = acked.FirstConsumerSeq;
        AckFloorStream = acked.Seq;
        for (var ss = acked.Seq + 1; ss < NextSeq; ss++)
        {
            if (_pending.TryGetValue(ss, out var next))
            {
                AckFloorConsumer = next.FirstConsumerSeq - 1;
                AckFloorStream = ss - 1;
                break;
            }
        }
    }

    private void FloorToDelivered()
    {
        AckFloorConsumer = DeliveredConsumerSeq;
        AckFloorStream = NextSeq == 0 ? 0 : NextSeq - 1;
    }

    /// <summary>
    /// An ack or term of a message no longer pending (exhausted, or already settled through another delivery): 2.10.27
    /// still forgets it as redelivered, and with nothing pending moves the floor to everything delivered (S-98; seed 538
    /// of the differential test).
    /// </summary>
    private void ForgetNotPending(ulong seq)
    {
        if (AckAll)
        {
            return;
        }

        _redelivered.Remove(seq);
        if (_pending.Count == 0)
        {
            FloorToDelivered();
        }
    }
}
