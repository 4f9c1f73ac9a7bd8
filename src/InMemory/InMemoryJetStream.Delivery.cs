using Goflux.InMemory.Internal;
using NATS.Client.JetStream.Models;

namespace Goflux.InMemory;

public sealed partial class InMemoryJetStream
{
    private readonly List<JetStreamAdvisory> _pendingAdvisories = [];

    /// <summary>Pulls up to <paramref name="batch"/> messages from a consumer.</summary>
    /// <param name="stream">The stream name.</param>
    /// <param name="consumer">The consumer name.</param>
    /// <param name="batch">The most messages to return, at least 1.</param>
    /// <param name="expires">How long to wait for the batch to fill, on the engine's clock; <see langword="null"/> returns only what is deliverable now (no-wait).</param>
    /// <param name="cancellationToken">A token to cancel the wait.</param>
    /// <returns>The deliveries, in delivery order.</returns>
    /// <exception cref="GofluxException">The stream (10059) or consumer (10014) does not exist, or it was deleted while waiting.</exception>
    public async ValueTask<IReadOnlyList<InMemoryDelivery>> FetchAsync(string stream, string consumer, int batch, TimeSpan? expires = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        var got = new List<InMemoryDelivery>(Math.Min(batch, 256));
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        PullRequest request;
        lock (_gate)
        {
            var c = GetConsumer(stream, consumer);
            request = new PullRequest(got.Add, batch, noWait: expires is null)
            {
                Completed = error =>
                {
                    if (error is null)
                    {
                        done.TrySetResult();
                    }
                    else
                    {
                        done.TrySetException(error);
                    }
                },
            };
            Enqueue(c, request);
            if (!request.Done)
            {
                if (expires is null)
                {
                    Withdraw(c, request);
                }
                else
                {
                    request.ExpiryTimer = TimeProvider.CreateTimer(
                        static state =>
                        {
                            var (engine, cons, req) = ((InMemoryJetStream, MemConsumer, PullRequest))state!;
                            lock (engine._gate)
                            {
                                Withdraw(cons, req);
                            }
                        },
                        (this, c, request),
                        expires.Value,
                        Timeout.InfiniteTimeSpan);
                    request.ExpiresAt = Now + expires.Value;
                }
            }
        }

        FlushAdvisories();
        using (cancellationToken.Register(() =>
        {
            lock (_gate)
            {
                if (_streams.TryGetValue(stream, out var s) && s.Consumers.TryGetValue(consumer, out var c))
                {
                    Withdraw(c, request);
                }
                else
                {
                    EndRequest(request, null);
                }
            }
        }))
        {
            await done.Task.ConfigureAwait(false);
        }

        lock (_gate)
        {
            return [.. got];
        }
    }

    /// <summary>Opens a pull request whose deliveries go to <paramref name="sink"/> (called under the engine lock; must not block).</summary>
    internal PullRequest Pull(string stream, string consumer, int batch, Action<InMemoryDelivery> sink, Action<Exception?> completed)
    {
        lock (_gate)
        {
            var c = GetConsumer(stream, consumer);
            var request = new PullRequest(sink, batch, noWait: false) { Completed = completed, TracksHandling = true };
            Enqueue(c, request);
            FlushAdvisoriesLocked(out var raised);
            Publish(raised);
            return request;
        }
    }

    /// <summary>Withdraws an open pull request (the client stopped).</summary>
    internal void Cancel(string stream, string consumer, PullRequest request)
    {
        lock (_gate)
        {
            if (_streams.TryGetValue(stream, out var s) && s.Consumers.TryGetValue(consumer, out var c))
            {
                Withdraw(c, request);
            }
            else
            {
                EndRequest(request, null);
            }
        }
    }

    internal void Acknowledge(InMemoryDelivery delivery, InMemoryDelivery.AckKind kind, TimeSpan? delay, string? reason)
    {
        List<JetStreamAdvisory>? raised = null;
        lock (_gate)
        {
            if (_disposed || ConsumeDropAck())
            {
                return;
            }

            var md = delivery.Metadata;
            if (!_streams.TryGetValue(md.Stream, out var s) || !s.Consumers.TryGetValue(md.Consumer, out var c))
            {
                return; // A deleted consumer: the ack has no subscriber (S-86).
            }

            var now = Now;
            c.LastActive = now;
            var seq = md.StreamSequence;
            c.Pending.TryGetValue(seq, out var p);
            switch (kind)
            {
                case InMemoryDelivery.AckKind.Ack:
                    if (p is null || c.AckNone)
                    {
                        break;
                    }

                    if (_options.RecordEvents)
                    {
                        Record(new(InMemoryEventKind.Acked, now, md.Stream, md.Consumer, delivery.Subject, seq, md.ConsumerSequence, md.NumDelivered));
                    }

                    if (c.AckAll)
                    {
                        AckAllUpTo(s, c, p);
                    }
                    else
                    {
                        ForgetPending(c, p);
                        MoveFloor(c, p);
                        Retain(s, seq);
                    }

                    Dispatch(c);
                    break;

                case InMemoryDelivery.AckKind.Term:
                    Record(new(InMemoryEventKind.Terminated, now, md.Stream, md.Consumer, delivery.Subject, seq, md.ConsumerSequence, md.NumDelivered, Reason: reason));
                    RaiseAdvisory(new(
                        JetStreamAdvisory.TerminatedType,
                        $"$JS.EVENT.ADVISORY.CONSUMER.MSG_TERMINATED.{md.Stream}.{md.Consumer}",
                        now,
                        md.Stream,
                        md.Consumer,
                        seq,
                        md.ConsumerSequence,
                        md.NumDelivered,
                        string.IsNullOrEmpty(reason) ? null : reason));
                    if (p is not null && !c.AckNone)
                    {
                        ForgetPending(c, p);
                        MoveFloor(c, p);
                        Retain(s, seq);
                        Dispatch(c);
                    }

                    break;

                case InMemoryDelivery.AckKind.Nak:
                    if (p is null || c.AckNone)
                    {
                        break;
                    }

                    RaiseAdvisory(new(
                        JetStreamAdvisory.NakType,
                        $"$JS.EVENT.ADVISORY.CONSUMER.MSG_NAKED.{md.Stream}.{md.Consumer}",
                        now,
                        md.Stream,
                        md.Consumer,
                        seq,
                        md.ConsumerSequence,
                        md.NumDelivered,
                        null));
                    if (delay is { } d && d > TimeSpan.Zero)
                    {
                        Record(new(InMemoryEventKind.NakedWithDelay, now, md.Stream, md.Consumer, delivery.Subject, seq, md.ConsumerSequence, md.NumDelivered, Delay: d));
                        Unqueue(c, p);

                        // S-81: measured against ack_wait, expiring on the current backoff step.
                        SetDeadline(c, p, now - c.Config.AckWait + d + c.WaitFor(p.Deliveries));
                    }
                    else
                    {
                        Record(new(InMemoryEventKind.Naked, now, md.Stream, md.Consumer, delivery.Subject, seq, md.ConsumerSequence, md.NumDelivered));
                        p.Version++;
                        if (!p.Queued)
                        {
                            p.Queued = true;
                            c.RedeliveryQueue.AddLast(seq);
                        }

                        Dispatch(c);
                    }

                    break;

                case InMemoryDelivery.AckKind.InProgress:
                    if (p is null || c.AckNone)
                    {
                        break;
                    }

                    Record(new(InMemoryEventKind.InProgress, now, md.Stream, md.Consumer, delivery.Subject, seq, md.ConsumerSequence, md.NumDelivered));

                    // S-82: only the timer restarts; a message already queued for redelivery (naked or expired) stays
                    // queued, as the server's progressUpdate never touches its redelivery queue.
                    SetDeadline(c, p, now + c.WaitFor(p.Deliveries));
                    break;
            }

            raised = TakeAdvisories();
        }

        Publish(raised);
    }

    /// <summary>Ack policy all: acknowledges every pending message at or below <paramref name="acked"/> (S-85).</summary>
    private void AckAllUpTo(MemStream s, MemConsumer c, MemConsumer.PendingEntry acked)
    {
        var seq = acked.Seq;
        var covered = new List<MemConsumer.PendingEntry>();
        foreach (var q in c.Pending.Values)
        {
            if (q.Seq <= seq)
            {
                covered.Add(q);
            }
        }

        covered.Sort(static (a, b) => a.Seq.CompareTo(b.Seq));
        foreach (var q in covered)
        {
            ForgetPending(c, q);
            Retain(s, q.Seq);
        }

        c.AckFloorConsumer = Math.Max(c.AckFloorConsumer, acked.ConsumerSeq);
        c.AckFloorStream = Math.Max(c.AckFloorStream, seq);
        if (c.Pending.Count == 0)
        {
            FloorToDelivered(c);
        }
    }

    /// <summary>Hands deliverable messages to open pull requests, rotating between them (S-75).</summary>
    private void Dispatch(MemConsumer c)
    {
        while (c.Waiting.First is { } node && !c.Deleted)
        {
            var d = NextDelivery(c);
            if (d is null)
            {
                break;
            }

            var r = node.Value;
            r.Remaining--;
            if (r.TracksHandling)
            {
                Interlocked.Increment(ref _inFlight);
            }

            r.Sink(d);
            if (ConsumeDuplicateDelivery())
            {
                if (r.TracksHandling)
                {
                    Interlocked.Increment(ref _inFlight);
                }

                r.Sink(d);
            }

            c.Waiting.RemoveFirst();
            if (r.Remaining > 0)
            {
                c.Waiting.AddLast(node);
            }
            else
            {
                r.Node = null;
                EndRequest(r, null);
            }
        }
    }

    private InMemoryDelivery? NextDelivery(MemConsumer c)
    {
        var s = c.Stream;
        var now = Now;

        // Redeliveries first, whatever max_ack_pending says (S-92, S-93).
        while (c.RedeliveryQueue.First is { } first)
        {
            var seq = first.Value;
            c.RedeliveryQueue.RemoveFirst();
            if (!c.Pending.TryGetValue(seq, out var p))
            {
                continue;
            }

            p.Queued = false;
            var m = s.Get(seq);
            if (m is null)
            {
                c.Pending.Remove(seq); // S-99
                continue;
            }

            if (c.Config.MaxDeliver > 0 && p.Deliveries >= (ulong)c.Config.MaxDeliver)
            {
                Exhaust(c, p, m);
                continue;
            }

            p.Deliveries++;
            p.ConsumerSeq = ++c.DeliveredConsumerSeq;
            c.Redelivered.Add(seq);
            c.LastActive = now;
            SetDeadline(c, p, now + c.WaitFor(p.Deliveries));
            return Deliver(c, m, p.ConsumerSeq, p.Deliveries, now);
        }

        if (!c.AckNone && c.Config.MaxAckPending > 0 && c.Pending.Count >= c.Config.MaxAckPending)
        {
            return null; // S-76
        }

        var next = NextNew(c);
        if (next is null)
        {
            return null;
        }

        if (c.NumPending > 0)
        {
            c.NumPending--;
        }

        var cseq = ++c.DeliveredConsumerSeq;
        c.LastActive = now;
        if (c.AckNone)
        {
            c.AckFloorConsumer = cseq;
            c.AckFloorStream = next.Sequence;
            var d = Deliver(c, next, cseq, 1, now);
            Retain(s, next.Sequence);
            return d;
        }

        var pending = new MemConsumer.PendingEntry(next.Sequence, cseq) { Deliveries = 1 };
        c.Pending[next.Sequence] = pending;
        SetDeadline(c, pending, now + c.WaitFor(1));
        return Deliver(c, next, cseq, 1, now);
    }

    private static MemMessage? NextNew(MemConsumer c)
    {
        var s = c.Stream;
        if (c.LastPerSubjectSkipList is { } skip)
        {
            while (skip.Count > 0)
            {
                var seq = skip.Min;
                skip.Remove(seq);
                c.NextSeq = seq + 1;
                if (s.Get(seq) is { } m)
                {
                    return m;
                }
            }

            c.LastPerSubjectSkipList = null;
            c.NextSeq = Math.Max(c.NextSeq, c.LastPerSubjectEnd + 1);
        }

        var candidate = s.NextFrom(c.NextSeq);
        while (candidate is not null && !c.Matches(candidate.Subject))
        {
            c.NextSeq = candidate.Sequence + 1;
            candidate = s.NextFrom(c.NextSeq);
        }

        if (candidate is not null)
        {
            c.NextSeq = candidate.Sequence + 1;
        }

        return candidate;
    }

    private InMemoryDelivery Deliver(MemConsumer c, MemMessage m, ulong consumerSeq, ulong deliveries, DateTimeOffset now)
    {
        var s = c.Stream;
        if (_options.RecordEvents)
        {
            Record(new(InMemoryEventKind.Delivered, now, s.Config.Name!, c.Name, m.Subject, m.Sequence, consumerSeq, deliveries));
        }

        var info = new DeliveryInfo(s.Config.Name!, c.Name, m.Sequence, consumerSeq, deliveries, c.NumPending, m.Time);
        return new InMemoryDelivery(this, m.Subject, m.Data, m.Headers, info);
    }

    private void SetDeadline(MemConsumer c, MemConsumer.PendingEntry p, DateTimeOffset due)
    {
        p.Due = due;
        p.Version++;
        c.Deadlines.Enqueue((p.Seq, p.Version), (due, c.DeadlineOrder++));
        if (due < c.TimerDue)
        {
            ArmTimer(c, due);
        }
    }

    private void ArmTimer(MemConsumer c, DateTimeOffset due)
    {
        c.TimerDue = due;
        var wait = due - Now;
        if (wait < TimeSpan.Zero)
        {
            wait = TimeSpan.Zero;
        }

        c.Timer ??= TimeProvider.CreateTimer(static state => ((ConsumerTimerState)state!).Fire(), new ConsumerTimerState(this, c), Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        c.Timer.Change(wait, Timeout.InfiniteTimeSpan);
    }

    /// <summary>The consumer's single timer: moves due messages to the redelivery queue, or exhausts them (S-91, S-95, S-96 eager).</summary>
    private void OnConsumerTimer(MemConsumer c)
    {
        List<JetStreamAdvisory>? raised;
        lock (_gate)
        {
            if (c.Deleted || _disposed)
            {
                return;
            }

            var now = Now;
            c.TimerDue = DateTimeOffset.MaxValue;
            List<MemConsumer.PendingEntry>? due = null;
            while (c.Deadlines.TryPeek(out var item, out var prio) && prio.Due <= now)
            {
                c.Deadlines.Dequeue();
                if (!c.Pending.TryGetValue(item.Seq, out var p) || p.Version != item.Version || p.Queued)
                {
                    continue;
                }

                var m = c.Stream.Get(p.Seq);
                if (m is null)
                {
                    c.Pending.Remove(p.Seq); // S-99
                    continue;
                }

                Record(new(InMemoryEventKind.AckWaitExpired, now, c.Stream.Config.Name!, c.Name, m.Subject, p.Seq, p.ConsumerSeq, p.Deliveries));

                // S-96 on 2.10.27: the timer's eager check compares the server's redelivery count (deliveries - 1, at
                // least 1) with max_deliver, so only max_deliver 1 is exhausted here. Any other message is queued and
                // exhausted when the consumer next tries to redeliver it (an open pull request), as on older servers.
                if (c.Config.MaxDeliver > 0 && Math.Max(1UL, p.Deliveries - 1) >= (ulong)c.Config.MaxDeliver)
                {
                    Exhaust(c, p, m);
                    continue;
                }

                (due ??= []).Add(p);
            }

            if (due is not null)
            {
                foreach (var p in due.OrderBy(p => p.Seq))
                {
                    p.Queued = true;
                    c.RedeliveryQueue.AddLast(p.Seq);
                }
            }

            if (c.Pending.Count == 0)
            {
                FloorToDelivered(c); // as the server's pending check does when nothing is pending
            }

            // Re-arm for the earliest live deadline. Like the server's pending timer, keep checking while anything is
            // pending (queued redeliveries included), so the floor catches up once they are gone.
            var armed = false;
            while (c.Deadlines.TryPeek(out var item, out var prio))
            {
                if (c.Pending.TryGetValue(item.Seq, out var p) && p.Version == item.Version && !p.Queued)
                {
                    ArmTimer(c, prio.Due);
                    armed = true;
                    break;
                }

                c.Deadlines.Dequeue();
            }

            if (!armed && c.Pending.Count > 0)
            {
                ArmTimer(c, now + c.WaitFor(1));
            }

            Dispatch(c);
            raised = TakeAdvisories();
        }

        Publish(raised);
    }

    private void Exhaust(MemConsumer c, MemConsumer.PendingEntry p, MemMessage m)
    {
        ForgetPending(c, p, keepRedelivered: true);

        // S-97 on 2.10.27: exhaustion itself leaves the ack floor alone; the consumer's timer check moves the floor to
        // "everything delivered" once nothing is pending (see OnConsumerTimer).
        c.Redelivered.Add(p.Seq); // counted as redelivered even with max_deliver 1, where it was never re-sent (S-98)
        var name = c.Stream.Config.Name!;
        Record(new(InMemoryEventKind.MaxDeliveriesReached, Now, name, c.Name, m.Subject, p.Seq, p.ConsumerSeq, p.Deliveries));
        RaiseAdvisory(new(
            JetStreamAdvisory.MaxDeliverType,
            $"$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.{name}.{c.Name}",
            Now,
            name,
            c.Name,
            p.Seq,
            null,
            (ulong)c.Config.MaxDeliver,
            null));
    }

    private static void ForgetPending(MemConsumer c, MemConsumer.PendingEntry p, bool keepRedelivered = false)
    {
        c.Pending.Remove(p.Seq);
        p.Version++;
        Unqueue(c, p);
        if (!keepRedelivered)
        {
            c.Redelivered.Remove(p.Seq);
        }
    }

    private static void Unqueue(MemConsumer c, MemConsumer.PendingEntry p)
    {
        if (p.Queued)
        {
            p.Queued = false;
            c.RedeliveryQueue.Remove(p.Seq);
        }
    }

    /// <summary>
    /// Ack floor arithmetic (S-101, S-105): moves only over contiguous acks; jumps to delivered when nothing is pending.
    /// Like the server's <c>processAckMsg</c>, it compares first-delivery consumer sequences, not the latest redelivery's.
    /// </summary>
    private static void MoveFloor(MemConsumer c, MemConsumer.PendingEntry acked)
    {
        if (c.Pending.Count == 0)
        {
            FloorToDelivered(c);
            return;
        }

        if (acked.FirstConsumerSeq != c.AckFloorConsumer + 1)
        {
            return;
        }

        c.AckFloorConsumer = acked.FirstConsumerSeq;
        c.AckFloorStream = acked.Seq;
        for (var ss = acked.Seq + 1; ss < c.NextSeq; ss++)
        {
            if (c.Pending.TryGetValue(ss, out var next))
            {
                c.AckFloorConsumer = next.FirstConsumerSeq - 1;
                c.AckFloorStream = ss - 1;
                break;
            }
        }
    }

    private static void FloorToDelivered(MemConsumer c)
    {
        c.AckFloorConsumer = c.DeliveredConsumerSeq;
        c.AckFloorStream = c.NextSeq == 0 ? 0 : c.NextSeq - 1;
    }

    /// <summary>Interest and workqueue retention after an ack or term (S-39, S-42, S-83).</summary>
    private void Retain(MemStream s, ulong seq)
    {
        switch (s.Config.Retention)
        {
            case StreamConfigRetention.Workqueue:
                RemoveMessage(s, seq, "workqueue ack");
                break;
            case StreamConfigRetention.Interest:
                if (s.Get(seq) is { } m && !AnyNeedsAck(s, m))
                {
                    RemoveMessage(s, seq, "interest");
                }

                break;
        }
    }

    private static bool AnyNeedsAck(MemStream s, MemMessage m)
    {
        foreach (var c in s.Consumers.Values)
        {
            if (NeedsAck(c, m))
            {
                return true;
            }
        }

        return false;
    }

    private static bool NeedsAck(MemConsumer c, MemMessage m)
    {
        if (!c.Matches(m.Subject) || m.Sequence <= c.AckFloorStream)
        {
            return false;
        }

        return m.Sequence >= c.NextSeq || c.Pending.ContainsKey(m.Sequence);
    }

    private void Enqueue(MemConsumer c, PullRequest r)
    {
        r.Node = c.Waiting.AddLast(r);
        Dispatch(c);
    }

    private void FlushAdvisories()
    {
        List<JetStreamAdvisory>? raised;
        lock (_gate)
        {
            raised = TakeAdvisories();
        }

        Publish(raised);
    }

    private static void Withdraw(MemConsumer c, PullRequest r)
    {
        if (r.Node is not null)
        {
            c.Waiting.Remove(r.Node);
            r.Node = null;
        }

        EndRequest(r, null);
    }

    private static void EndRequest(PullRequest r, Exception? error)
    {
        if (r.Done)
        {
            return;
        }

        r.Done = true;
        r.ExpiryTimer?.Dispose();
        r.Completed?.Invoke(error);
    }

    private void RaiseAdvisory(JetStreamAdvisory advisory)
    {
        _advisories.Add(advisory);
        _pendingAdvisories.Add(advisory);
    }

    private void FlushAdvisoriesLocked(out List<JetStreamAdvisory>? raised) => raised = TakeAdvisories();

    private List<JetStreamAdvisory>? TakeAdvisories()
    {
        if (_pendingAdvisories.Count == 0)
        {
            return null;
        }

        var list = new List<JetStreamAdvisory>(_pendingAdvisories);
        _pendingAdvisories.Clear();
        return list;
    }

    private void Publish(List<JetStreamAdvisory>? raised)
    {
        if (raised is null || AdvisoryRaised is not { } handler)
        {
            return;
        }

        foreach (var a in raised)
        {
            handler(this, a);
        }
    }

    private sealed class ConsumerTimerState(InMemoryJetStream engine, MemConsumer consumer)
    {
        public void Fire() => engine.OnConsumerTimer(consumer);
    }
}
