using System.Globalization;

namespace Goflux.InMemory.Internal;

/// <summary>Why the engine could not hand out a message (the server's delivery loop errors).</summary>
internal enum NextStatus
{
    /// <summary>A message was found.</summary>
    Found,

    /// <summary>Nothing more at or after the consumer's position (end of stream).</summary>
    EndOfStream,

    /// <summary>The message the consumer looked at is gone.</summary>
    NotFound,

    /// <summary>max_ack_pending holds new messages back (S-76).</summary>
    MaxAckPending,
}

internal sealed partial class ConsumerState
{
    /// <summary>
    /// A pull request arrives (S-66 to S-76): a no-wait request finds nothing pending (404), or less pending than the
    /// open requests already claim (408 Requests Pending), and ends at once; any other request waits, and takes what
    /// is deliverable now.
    /// </summary>
    /// <param name="r">The request.</param>
    /// <param name="expires">When it expires, or <see langword="null"/> for never.</param>
    public void AddRequest(PullRequest r, DateTimeOffset? expires)
    {
        if (IsPush)
        {
            // S-133: the server answers a pull request to a push consumer with 409 Consumer is push based.
            r.Ending = PullEnding.PushBased;
            _ctx.EndRequest(r, Errors.PushBased());
            return;
        }

        var now = _ctx.Now;
        Touch(now);
        if (r.NoWait)
        {
            var msgsPending = NumPendingValue + (ulong)_pending.QueuedCount;
            if (msgsPending == 0 && expires is null)
            {
                End(r, PullEnding.NoMessages);
                return;
            }

            if (msgsPending > 0)
            {
                ProcessWaiting(endOfStream: false, now);
                ulong claimed = 0;
                foreach (var w in _waiting)
                {
                    claimed += (ulong)Math.Max(0, w.Remaining);
                }

                if (msgsPending < claimed)
                {
                    End(r, PullEnding.RequestsPending);
                    return;
                }
            }
        }

        r.Owner = this;
        r.Node = _waiting.AddLast(r);
        if (expires is { } e)
        {
            r.Expires = e;
            _ctx.Scheduler.Schedule(r, e);
        }

        Dispatch();
    }

    /// <summary>Withdraws an open pull request (the client stopped listening, or it expired).</summary>
    public void Withdraw(PullRequest r, PullEnding ending = PullEnding.Withdrawn)
    {
        Remove(r);
        r.Ending = ending;
        _ctx.EndRequest(r, null);
    }

    /// <summary>
    /// The server's delivery loop for pull consumers: while a request waits, take the next message (redeliveries first,
    /// then the max-ack-pending limit, then the skip list, then the next match from the consumer's position) and hand
    /// it to the request at the head of the queue, rotating between requests (S-75). When nothing more can be
    /// delivered, no-wait requests that received something end (S-70).
    /// </summary>
    public void Dispatch()
    {
        if (Deleted)
        {
            return;
        }

        var status = NextStatus.Found;
        var now = _ctx.Now;
        while (CanDeliver)
        {
            var (next, dc, found) = NextMessage();
            status = found;
            if (next is not { } m)
            {
                if (found == NextStatus.EndOfStream)
                {
                    CheckNumPendingOnEndOfStream();
                }

                break;
            }

            if (dc == 1)
            {
                _npc--;
            }

            var pending = NumPendingValue;
            var receivers = _dsubj is not null ? RoutePush() : null;
            var r = receivers is null ? NextWaiting(m, dc, pending, now) : null;
            if (r is null && receivers is not { Count: > 0 })
            {
                // Nobody to take it: put it back.
                if (dc == 1 && m.Sequence == _sseq - 1)
                {
                    _sseq--;
                    _npc++;
                }
                else if (!_pending.IsQueued(m.Sequence))
                {
                    DecDeliveryCount(m.Sequence);
                    _pending.Enqueue(m.Sequence);
                }

                status = NextStatus.Found;
                break;
            }

            if (receivers is not null)
            {
                DeliverToListeners(receivers, m, dc, pending, now);
            }
            else
            {
                DeliverTo(r!, m, dc, pending, now);
            }
        }

        ProcessWaiting(endOfStream: status != NextStatus.MaxAckPending, now);
    }

    /// <summary>The next message to deliver and its delivery count, or why there is none.</summary>
    /// <remarks>Long because it follows the server's order in one place: redeliveries (exhausting those out of
    /// deliveries), max_ack_pending, the last-per-subject skip list, then the next message matching the filters.</remarks>
    private (StoredMessage? Message, ulong Deliveries, NextStatus Status) NextMessage()
    {
        var store = Stream.Store;
        while (_pending.Dequeue() is { } seq)
        {
            var dc = IncDeliveryCount(seq);
            if (MaxDeliver > 0 && dc > MaxDeliver)
            {
                // S-95, S-96: the advisory goes out once, when the count first passes the limit.
                if (dc == MaxDeliver + 1)
                {
                    NotifyDeliveryExceeded(seq, dc - 1);
                }

                _pending.Remove(seq);
                continue;
            }

            if (store.Get(seq) is not { } m)
            {
                // Removed meanwhile (S-99): the removal's term settles it.
                DecDeliveryCount(seq);
                continue;
            }

            return (m, dc, NextStatus.Found);
        }

        var maxp = MaxAckPending;
        if (maxp > 0 && _pending.Count >= maxp)
        {
            return (null, 0, NextStatus.MaxAckPending);
        }

        if (_lss is { Seqs.Count: > 0 } lss)
        {
            var seq = lss.Seqs[0];
            if (lss.Seqs.Count == 1)
            {
                _sseq = lss.Resume;
                _lss = null;
            }
            else
            {
                lss.Seqs.RemoveAt(0);
            }

            _sseq++;
            return store.Get(seq) is { } last ? (last, 1UL, NextStatus.Found) : (null, 0UL, NextStatus.NotFound);
        }

        var (next, at) = _filters switch
        {
            null => store.LoadNext(null, _sseq),
            { Filters.Count: 1 } one => store.LoadNext(one.Filters[0], _sseq),
            var many => store.LoadNextMulti(many, _sseq),
        };
        if (at >= _sseq)
        {
            _sseq = at + 1;
        }

        return next is null ? (null, 0UL, NextStatus.EndOfStream) : (next, 1UL, NextStatus.Found);
    }

    /// <summary>The request to deliver to, after dropping those past their max bytes; <see langword="null"/> when none waits.</summary>
    private PullRequest? NextWaiting(StoredMessage m, ulong dc, ulong pending, DateTimeOffset now)
    {
        while (_waiting.First is { } node)
        {
            var r = node.Value;
            if (r.MaxBytes > 0)
            {
                var size = MessageSize(m, dc, pending, now);
                if (size > r.MaxBytes)
                {
                    // S-68: the request cannot take the message; it ends with 409 Message Size Exceeds MaxBytes.
                    Withdraw(r, PullEnding.MaxBytesExceeded);
                    continue;
                }

                r.MaxBytes -= size;
                if (r.MaxBytes == 0)
                {
                    r.LimitToOne();
                }
            }

            if (r.Expires is { } e && now >= e)
            {
                Withdraw(r, PullEnding.Expired);
                continue;
            }

            // Pop: the request takes one; one with more to take moves to the end of the queue (S-75). A filled one
            // leaves the queue now and ends once its last delivery is handed off.
            r.Take();
            _waiting.RemoveFirst();
            if (r.Remaining > 0)
            {
                _waiting.AddLast(node);
            }
            else
            {
                r.Node = null;
                r.Owner = null;
            }

            return r;
        }

        return null;
    }

    /// <summary>Hands one message to a request and records it as delivered (S-89 metadata, S-101 pending).</summary>
    private void DeliverTo(PullRequest r, StoredMessage m, ulong dc, ulong pending, DateTimeOffset now)
    {
        var d = Record(m, dc, pending, now);
        HandOff(r, r.TracksHandling, d);
        if (_ctx.Faults.TakeDuplicateDelivery())
        {
            HandOff(r, r.TracksHandling, d);
        }

        if (r.Remaining <= 0)
        {
            End(r, PullEnding.Filled);
        }
    }

    private void DeferRetention(ulong seq) => _ctx.Defer(() => Stream.AckMsg(null, seq));

    /// <summary>Records one delivery (S-89 metadata, S-101 pending) and makes it.</summary>
    private InMemoryDelivery Record(StoredMessage m, ulong dc, ulong pending, DateTimeOffset now)
    {
        var dseq = _dseq++;
        LastActive = now;
        Touch(now);
        if (_ctx.RecordEvents)
        {
            _ctx.Record(new(InMemoryEventKind.Delivered, now, Stream.Name, Name, m.Subject, m.Sequence, dseq, dc));
        }

        StoreDelivered(dseq, m.Sequence, dc);
        if (!AckNone)
        {
            TrackPending(m.Sequence, dseq, now);
        }
        else
        {
            _adflr = dseq;
            _asflr = m.Sequence;
            if (_loopRetention != NATS.Client.JetStream.Models.StreamConfigRetention.Limits && Stream.HasAckQueue)
            {
                // The server queues the sequence for its stream's ack queue, which applies retention later.
                DeferRetention(m.Sequence);
            }
        }

        var info = new DeliveryInfo(Stream.Name, Name, m.Sequence, dseq, dc, pending, m.Time);
        return MakeDelivery(m, info);
    }

    private void HandOff(IDeliverySink r, bool tracksHandling, InMemoryDelivery d)
    {
        if (tracksHandling)
        {
            _ctx.Idle.Add();
        }

        _ctx.HandOff(r, d);
    }

    /// <summary>
    /// Ends requests that are done: expired ones, and, at the end of the stream, no-wait requests that received
    /// something (S-70). A no-wait request that received nothing stays open.
    /// </summary>
    private void ProcessWaiting(bool endOfStream, DateTimeOffset now)
    {
        for (var node = _waiting.First; node is not null;)
        {
            var next = node.Next;
            var r = node.Value;
            if (endOfStream && r.NoWait && r.Delivered > 0)
            {
                Withdraw(r, PullEnding.NoWaitDone);
            }
            else if (r.Expires is { } e && now >= e)
            {
                Withdraw(r, PullEnding.Expired);
            }

            node = next;
        }
    }

    private void End(PullRequest r, PullEnding ending)
    {
        r.Ending = ending;
        _ctx.EndRequest(r, null);
    }

    private void Remove(PullRequest r)
    {
        if (r.Node is { } node)
        {
            _waiting.Remove(node);
            r.Node = null;
        }

        r.Owner = null;
    }

    /// <summary>The size the server counts against a request's max bytes: subject, ack subject, headers and payload.</summary>
    private long MessageSize(StoredMessage m, ulong dc, ulong pending, DateTimeOffset now)
    {
        var ackReply = string.Create(
            CultureInfo.InvariantCulture,
            $"$JS.ACK.{Stream.Name}.{Name}.{dc}.{m.Sequence}.{_dseq}.{(m.Time - DateTimeOffset.UnixEpoch).Ticks * 100}.{pending}");
        _ = now;
        return m.Subject.Length + ackReply.Length + StreamState.HeaderBytes(m.Headers) + m.Data.Length;
    }
}
