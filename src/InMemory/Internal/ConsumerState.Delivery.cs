namespace Goflux.InMemory.Internal;

internal sealed partial class ConsumerState
{
    public int WaitingCount => _waiting.Count;

    /// <summary>Opens a pull request and hands it what is deliverable now.</summary>
    public void AddRequest(PullRequest r)
    {
        r.Owner = this;
        r.Node = _waiting.AddLast(r);
        Touch(_ctx.Now);
        Dispatch();
    }

    /// <summary>Withdraws an open pull request (expired, cancelled, or no-wait with nothing more to deliver).</summary>
    public void Withdraw(PullRequest r)
    {
        if (r.Node is { } node)
        {
            _waiting.Remove(node);
            r.Node = null;
        }

        r.Owner = null;
        _ctx.EndRequest(r, null);
    }

    /// <summary>Hands deliverable messages to open pull requests, rotating between them (S-75).</summary>
    public void Dispatch()
    {
        List<PullRequest>? served = null;
        while (!Deleted && _waiting.First is { } node)
        {
            var d = NextDelivery();
            if (d is null)
            {
                break;
            }

            var r = node.Value;
            r.Take();
            HandOff(r, d);
            if (_ctx.Faults.TakeDuplicateDelivery())
            {
                HandOff(r, d);
            }

            _waiting.RemoveFirst();
            if (r.Remaining > 0)
            {
                _waiting.AddLast(node);
                if (r.NoWait)
                {
                    (served ??= []).Add(r);
                }
            }
            else
            {
                r.Node = null;
                r.Owner = null;
                _ctx.EndRequest(r, null);
            }
        }

        // S-70: a no-wait request that has received something ends as soon as nothing more is deliverable, unless
        // max_ack_pending is what holds the rest back (S-76): then it stays open for the messages an ack lets through.
        if (served is not null && !_heldBack)
        {
            foreach (var r in served)
            {
                if (r.Node is not null)
                {
                    Withdraw(r);
                }
            }
        }
    }

    private void HandOff(PullRequest r, InMemoryDelivery d)
    {
        if (r.TracksHandling)
        {
            _ctx.Idle.Add();
        }

        _ctx.HandOff(r, d);
    }

    /// <summary>The next message to deliver, or <see langword="null"/>.</summary>
    /// <remarks>Long because it follows the server's order in one place: queued redeliveries first (exhausting those
    /// out of deliveries), then the max-ack-pending limit, then the next new message.</remarks>
    private InMemoryDelivery? NextDelivery()
    {
        var now = _ctx.Now;
        _heldBack = false;

        // Redeliveries first, whatever max_ack_pending says (S-92, S-93).
        while (_redeliveryQueue.First is { } first)
        {
            var seq = first.Value;
            _redeliveryQueue.RemoveFirst();
            if (!_pending.TryGetValue(seq, out var p))
            {
                continue;
            }

            p.Queued = false;
            var m = Stream.Get(seq);
            if (m is null)
            {
                _pending.Remove(seq); // S-99
                continue;
            }

            if (Config.MaxDeliver > 0 && p.Deliveries >= (ulong)Config.MaxDeliver)
            {
                Exhaust(p, m, now);
                continue;
            }

            p.Deliveries++;
            p.ConsumerSeq = ++DeliveredConsumerSeq;
            _redelivered.Add(seq);
            LastActive = now;
            Touch(now);
            SetAckDeadline(p, now);
            return Deliver(m, p.ConsumerSeq, p.Deliveries, now);
        }

        if (!AckNone && Config.MaxAckPending > 0 && _pending.Count >= Config.MaxAckPending)
        {
            _heldBack = true;
            return null; // S-76
        }

        var next = NextNew();
        if (next is null)
        {
            return null;
        }

        if (NumPending > 0)
        {
            NumPending--;
        }

        var cseq = ++DeliveredConsumerSeq;
        LastActive = now;
        Touch(now);
        if (AckNone)
        {
            AckFloorConsumer = cseq;
            AckFloorStream = next.Sequence;
            var d = Deliver(next, cseq, 1, now);
            Stream.Retain(next.Sequence);
            return d;
        }

        var pending = new PendingEntry(next.Sequence, cseq) { Deliveries = 1 };
        _pending[next.Sequence] = pending;
        SetAckDeadline(pending, now);
        return Deliver(next, cseq, 1, now);
    }

    private StoredMessage? NextNew()
    {
        var s = Stream;
        if (_lastPerSubjectSkip is { } skip)
        {
            while (skip.Count > 0)
            {
                var seq = skip.Min;
                skip.Remove(seq);
                NextSeq = seq + 1;
                if (s.Get(seq) is { } m)
                {
                    return m;
                }
            }

            _lastPerSubjectSkip = null;
            NextSeq = Math.Max(NextSeq, _lastPerSubjectEnd + 1);
        }

        var candidate = s.NextFrom(NextSeq);
        while (candidate is not null && !Matches(candidate.Subject))
        {
            NextSeq = candidate.Sequence + 1;
            candidate = s.NextFrom(NextSeq);
        }

        if (candidate is not null)
        {
            NextSeq = candidate.Sequence + 1;
        }

        return candidate;
    }

    private InMemoryDelivery Deliver(StoredMessage m, ulong consumerSeq, ulong deliveries, DateTimeOffset now)
    {
        if (_ctx.RecordEvents)
        {
            _ctx.Record(new(InMemoryEventKind.Delivered, now, Stream.Name, Name, m.Subject, m.Sequence, consumerSeq, deliveries));
        }

        var info = new DeliveryInfo(Stream.Name, Name, m.Sequence, consumerSeq, deliveries, NumPending, m.Time);
        return new InMemoryDelivery(_ctx.Owner, this, m.Subject, m.Data, m.Headers, info);
    }
}
