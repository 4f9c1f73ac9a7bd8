namespace Goflux.InMemory.Internal;

/// <summary>What a pending message's deadline waits for; names the event logged when it falls due.</summary>
internal enum DeadlineCause
{
    /// <summary>The consumer's ack wait.</summary>
    AckWait,

    /// <summary>A step of the consumer's BackOff.</summary>
    BackOff,

    /// <summary>The delay of a nak with delay.</summary>
    NakDelay,
}

internal sealed partial class ConsumerState
{
    /// <summary>
    /// How late the server's pending check runs after the deadline of a delivery that arms it (its ackWaitDelay): the
    /// check takes every message due by then, so deadlines within that millisecond expire together, in stream order.
    /// </summary>
    private static readonly TimeSpan DeliveryCheckSlack = TimeSpan.FromMilliseconds(1);

    private readonly PriorityQueue<(ulong Seq, long Version), (DateTimeOffset Due, long Order)> _deadlines = new();
    private long _deadlineOrder;

    /// <summary>The slack of the armed pending check: <see cref="DeliveryCheckSlack"/> when a delivery armed it, else zero.</summary>
    private TimeSpan _checkSlack;

    /// <summary>Ack wait for the n-th delivery (n starting at 1), following BackOff (S-94).</summary>
    public TimeSpan WaitFor(ulong deliveries)
    {
        var backoff = Config.Backoff;
        if (backoff is { Count: > 0 })
        {
            var list = backoff as IList<TimeSpan> ?? backoff.ToList();
            var idx = (int)Math.Min(deliveries == 0 ? 0 : deliveries - 1, (ulong)(list.Count - 1));
            return list[idx];
        }

        return Config.AckWait;
    }

    /// <summary>
    /// The consumer's pending check: moves due messages to the redelivery queue, or exhausts them (S-91, S-95, S-96
    /// eager), then re-arms for the earliest live deadline.
    /// </summary>
    /// <remarks>Long because it mirrors the server's one pending check, whose steps depend on each other.</remarks>
    internal override void OnDue(DateTimeOffset now)
    {
        if (Deleted)
        {
            return;
        }

        // A check a delivery armed runs 1 ms after that deadline on the server and takes everything due by then; here
        // it runs at the deadline itself (deadlines keep their exact times) and takes the same messages.
        var cutoff = EngineContext.Add(now, _checkSlack);
        _checkSlack = TimeSpan.Zero;
        List<PendingEntry>? due = null;
        while (_deadlines.TryPeek(out var item, out var prio) && prio.Due <= cutoff)
        {
            _deadlines.Dequeue();
            if (!_pending.TryGetValue(item.Seq, out var p) || p.Version != item.Version || p.Queued)
            {
                continue;
            }

            var m = Stream.Get(p.Seq);
            if (m is null)
            {
                _pending.Remove(p.Seq); // S-99
                continue;
            }

            var kind = p.Cause switch
            {
                DeadlineCause.NakDelay => InMemoryEventKind.NakDelayExpired,
                DeadlineCause.BackOff => InMemoryEventKind.BackOffExpired,
                _ => InMemoryEventKind.AckWaitExpired,
            };
            _ctx.Record(new(kind, now, Stream.Name, Name, m.Subject, p.Seq, p.ConsumerSeq, p.Deliveries));

            // S-96 on 2.10.27: the timer's eager check compares the server's redelivery count (deliveries - 1, at
            // least 1) with max_deliver, so only max_deliver 1 is exhausted here. Any other message is queued and
            // exhausted when the consumer next tries to redeliver it (an open pull request), as on older servers.
            if (Config.MaxDeliver > 0 && Math.Max(1UL, p.Deliveries - 1) >= (ulong)Config.MaxDeliver)
            {
                Exhaust(p, m, now);
                continue;
            }

            (due ??= []).Add(p);
        }

        if (due is not null)
        {
            due.Sort(static (a, b) => a.Seq.CompareTo(b.Seq));
            foreach (var p in due)
            {
                p.Queued = true;
                _redeliveryQueue.AddLast(p.Seq);
            }
        }

        if (_pending.Count == 0)
        {
            FloorToDelivered(); // as the server's pending check does when nothing is pending
        }

        // Re-arm for the earliest live deadline. Like the server's pending timer, keep checking while anything is
        // pending (queued redeliveries included), so the floor catches up once they are gone.
        var armed = false;
        while (_deadlines.TryPeek(out var item, out var prio))
        {
            if (_pending.TryGetValue(item.Seq, out var p) && p.Version == item.Version && !p.Queued)
            {
                CheckAt(prio.Due);
                armed = true;
                break;
            }

            _deadlines.Dequeue();
        }

        if (!armed && _pending.Count > 0)
        {
            // With nothing but queued messages left, 2.10.27 re-arms its check with the LAST BackOff value (without a
            // BackOff, the ack wait), so the floor catches up one last step after an exhaustion (S-97, measured).
            CheckAt(EngineContext.Add(now, WaitFor(ulong.MaxValue)));
        }

        Dispatch();
    }

    /// <summary>Starts the ack wait (or BackOff step) of a delivery or, with <paramref name="progress"/>, of an
    /// in-progress signal (which on the server leaves its pending check as armed).</summary>
    private void SetAckDeadline(PendingEntry p, DateTimeOffset now, bool progress = false)
    {
        var cause = Config.Backoff is { Count: > 0 } ? DeadlineCause.BackOff : DeadlineCause.AckWait;
        SetDeadline(p, EngineContext.Add(now, WaitFor(p.Deliveries)), cause, progress ? TimeSpan.Zero : DeliveryCheckSlack);
    }

    /// <summary>S-81: a nak delay is measured against ack_wait, expiring on the current backoff step. A delay too long
    /// to represent means never.</summary>
    private void SetNakDeadline(PendingEntry p, DateTimeOffset now, TimeSpan delay)
    {
        var due = EngineContext.Add(EngineContext.Add(EngineContext.Add(now, -Config.AckWait), delay), WaitFor(p.Deliveries));
        SetDeadline(p, due, DeadlineCause.NakDelay);
    }

    private void SetDeadline(PendingEntry p, DateTimeOffset due, DeadlineCause cause, TimeSpan slack = default)
    {
        p.Version++;
        p.Cause = cause;
        if (due == DateTimeOffset.MaxValue)
        {
            return; // never
        }

        _deadlines.Enqueue((p.Seq, p.Version), (due, _deadlineOrder++));
        CheckAt(due, slack);
    }

    /// <summary>Drops deadlines of settled messages from the head of the heap, so acks in order keep it small.</summary>
    private void DropSettledDeadlines()
    {
        while (_deadlines.TryPeek(out var item, out _)
            && (!_pending.TryGetValue(item.Seq, out var p) || p.Version != item.Version))
        {
            _deadlines.Dequeue();
        }
    }

    private void CheckAt(DateTimeOffset due, TimeSpan slack = default)
    {
        if (due < ScheduledDue)
        {
            _ctx.Scheduler.Schedule(this, due);
            _checkSlack = slack;
        }
    }

    private void Exhaust(PendingEntry p, StoredMessage m, DateTimeOffset now)
    {
        Forget(p, keepRedelivered: true);

        // S-97 on 2.10.27: exhaustion itself leaves the ack floor alone; the consumer's pending check moves the floor
        // to "everything delivered" once nothing is pending (see OnDue).
        _redelivered.Add(p.Seq); // counted as redelivered even with max_deliver 1, where it was never re-sent (S-98)
        _ctx.Record(new(InMemoryEventKind.MaxDeliveriesReached, now, Stream.Name, Name, m.Subject, p.Seq, p.ConsumerSeq, p.Deliveries));
        Advise(JetStreamAdvisory.MaxDeliverType, "MAX_DELIVERIES", now, p.Seq, null, (ulong)Config.MaxDeliver, null);
    }
}
