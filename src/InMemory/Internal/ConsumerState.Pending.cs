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

/// <summary>
/// The consumer's pending timer, as the server keeps it: one timer per consumer, armed by a delivery for its ack wait
/// (plus the server's 1 ms <c>ackWaitDelay</c>) when that is earlier than what is armed, re-armed by each check for the
/// earliest remaining deadline, 10 ms after a nak with delay, and 100 ms after an ack wait update (S-90 to S-98).
/// </summary>
internal sealed partial class ConsumerState
{
    /// <summary>The server's <c>ackWaitDelay</c>: a delivery arms the check this much after its deadline.</summary>
    private static readonly TimeSpan AckWaitDelay = TimeSpan.FromMilliseconds(1);

    /// <summary>How soon the check runs after a nak with delay.</summary>
    private static readonly TimeSpan NakRecheck = TimeSpan.FromMilliseconds(10);

    /// <summary>Whether an exhaustion freed a slot under max_ack_pending (the check then delivers again).</summary>
    private bool _slotFreed;

    private bool IsTimerArmed => ScheduledDue != DateTimeOffset.MaxValue;

    /// <summary>
    /// The pending check: forgets messages below the stream's first sequence or the ack floor (moving the floor over
    /// them), queues those whose ack wait (or backoff step) has passed for redelivery in stream order, exhausts those
    /// out of deliveries (S-96), and re-arms for the earliest remaining deadline; with nothing pending it stops and
    /// sets the floor to everything delivered (S-97).
    /// </summary>
    /// <remarks>Long because it is the server's one pending check, whose steps depend on each other.</remarks>
    internal override void OnDue(DateTimeOffset now)
    {
        if (Deleted)
        {
            return;
        }

        var fseq = Stream.Store.FirstSeq;
        List<KeyValuePair<ulong, PendingEntry>>? invalid = null;
        foreach (var entry in _pending.InOrder)
        {
            if (entry.Key >= fseq && entry.Key > _asflr)
            {
                break;
            }

            (invalid ??= []).Add(entry);
        }

        foreach (var (seq, p) in invalid ?? [])
        {
            _pending.Remove(seq);
            _pending.ForgetRedeliveryCount(seq);
            _pending.Unqueue(seq);
            _asflr = Math.Max(_asflr, seq);
            _adflr = Math.Max(_adflr, p.Sequence);
        }

        var backoff = Backoff;
        var next = backoff is null ? Config.AckWait + AckWaitDelay : backoff[^1];
        if (backoff is not null)
        {
            // The server lowers the re-arm to the next backoff step of any pending message.
            foreach (var (seq, _) in _pending.InOrder)
            {
                var dc = (int)Math.Min(_pending.RedeliveryCount(seq), (ulong)int.MaxValue - 1);
                var nbi = dc + 1 >= backoff.Count ? backoff.Count - 1 : dc + 1;
                if (backoff[nbi] < next)
                {
                    next = backoff[nbi];
                }
            }
        }

        var (due, ahead) = _pending.TakeDue(now);
        List<ulong>? expired = null;
        foreach (var seq in due)
        {
            if (!HasMaxDeliveries(seq, now))
            {
                (expired ??= []).Add(seq);
            }
        }

        if (ahead is { } nextDeadline && nextDeadline - now < next)
        {
            next = nextDeadline - now;
        }

        if (expired is not null)
        {
            expired.Sort();
            _pending.TryGet(expired[0], out var firstExpired);
            var off = now - firstExpired.Timestamp;
            foreach (var seq in expired)
            {
                _pending.Enqueue(seq);
                _pending.TryGet(seq, out var p);
                var kind = p.Cause switch
                {
                    DeadlineCause.NakDelay => InMemoryEventKind.NakDelayExpired,
                    DeadlineCause.BackOff => InMemoryEventKind.BackOffExpired,
                    _ => InMemoryEventKind.AckWaitExpired,
                };
                if (_ctx.RecordEvents)
                {
                    _ctx.Record(new(kind, now, Stream.Name, Name, Stream.Store.Get(seq)?.Subject ?? string.Empty, seq, p.Sequence, DeliveryCount(seq)));
                }

                _pending.SetTimestamp(seq, p.Timestamp + off);
            }
        }

        if (_pending.Count > 0)
        {
            ResetTimer(next);
        }
        else
        {
            Scheduler.Unschedule(this);
            _pending.ClearQueue();
            _adflr = _dseq - 1;
            _asflr = _sseq - 1;
        }

        if (expired is not null || _slotFreed)
        {
            _slotFreed = false;
            Dispatch();
        }
    }

    /// <summary>Gets the backoff steps, or <see langword="null"/> for none.</summary>
    private IList<TimeSpan>? Backoff => Config.Backoff is { Count: > 0 } b ? b as IList<TimeSpan> ?? [.. b] : null;

    /// <summary>When a pending message's ack wait (or backoff step, by its redelivery count) runs out.</summary>
    private DateTimeOffset DeadlineOf(ulong seq, PendingEntry p)
    {
        var wait = Config.AckWait;
        if (Backoff is { } backoff)
        {
            var dc = (int)Math.Min(_pending.RedeliveryCount(seq), (ulong)(backoff.Count - 1));
            wait = backoff[dc];
        }

        return EngineContext.Add(p.Timestamp, wait);
    }

    /// <summary>Records a delivery as pending and arms the timer for its ack wait (or backoff step) when that is
    /// earlier than what is armed. A redelivery keeps its first delivery sequence (S-101).</summary>
    private void TrackPending(ulong sseq, ulong dseq, DateTimeOffset now)
    {
        var minDelay = Config.AckWait + AckWaitDelay;
        var cause = DeadlineCause.AckWait;
        if (Backoff is { } backoff)
        {
            var bi = (int)Math.Min(_pending.RedeliveryCount(sseq), (ulong)(backoff.Count - 1));
            minDelay = backoff[bi] + AckWaitDelay;
            cause = DeadlineCause.BackOff;
        }

        var minDeadline = EngineContext.Add(now, minDelay);
        if (!IsTimerArmed || ScheduledDue > minDeadline)
        {
            ResetTimer(minDelay);
        }

        _pending.Track(sseq, dseq, now, cause);
    }

    /// <summary>
    /// Whether a message has used up its deliveries (S-95, S-96): if so it leaves the pending set, is counted as
    /// redelivered, and the MAX_DELIVERIES advisory goes out once.
    /// </summary>
    private bool HasMaxDeliveries(ulong seq, DateTimeOffset now)
    {
        if (MaxDeliver == 0)
        {
            return false;
        }

        var dc = DeliveryCount(seq);
        if (dc < MaxDeliver)
        {
            return false;
        }

        if (dc == MaxDeliver)
        {
            NotifyDeliveryExceeded(seq, dc, now);
        }

        _slotFreed |= MaxAckPending > 0 && _pending.Count >= MaxAckPending;
        _pending.Remove(seq);
        _pending.SetRedeliveryCount(seq, dc);
        StoreExhausted(seq);
        return true;
    }

    private void NotifyDeliveryExceeded(ulong seq, ulong dc) => NotifyDeliveryExceeded(seq, dc, _ctx.Now);

    private void NotifyDeliveryExceeded(ulong seq, ulong dc, DateTimeOffset now)
    {
        _ctx.Record(new(InMemoryEventKind.MaxDeliveriesReached, now, Stream.Name, Name, Stream.Store.Get(seq)?.Subject ?? string.Empty, seq, _pending.TryGet(seq, out var p) ? p.Sequence : 0, dc));
        Advise(JetStreamAdvisory.MaxDeliverType, "MAX_DELIVERIES", now, seq, null, dc, null);
    }

    private void ResetTimer(TimeSpan delay) => _ctx.Scheduler.Schedule(this, EngineContext.Add(_ctx.Now, delay));
}
