using NATS.Client.JetStream.Models;

namespace Goflux.InMemory.Internal;

/// <summary>What the stream tells a consumer: a new message, a removed one, a purge; and what the stream asks of it:
/// whether it still needs a message (interest retention) and its pending count (S-99, S-103).</summary>
internal sealed partial class ConsumerState
{
    /// <summary>Gets the pending count as reported (a count that ran negative reads 0).</summary>
    private ulong NumPendingValue => _npc < 0 ? 0 : (ulong)_npc;

    /// <summary>A message matching the consumer's filters was stored: counted, and delivered if a request waits.</summary>
    public void OnStored(ulong seq)
    {
        if (seq > _npf)
        {
            _npc++;
        }

        if (seq >= _sseq && CanDeliver)
        {
            Dispatch();
        }
    }

    /// <summary>
    /// One message was removed from the stream (limits, age, delete, subject purge, retention): uncounted if the
    /// consumer had not reached it; if it was pending, settled as a term with a MSG_TERMINATED advisory once the
    /// removing operation is done (S-99), as the server does it asynchronously.
    /// </summary>
    public void OnRemoved(ulong seq, string subject)
    {
        if (seq >= _sseq && Matches(subject))
        {
            _npc--;
        }

        if (_pending.TryGet(seq, out var p))
        {
            DeferRemovedTerm(seq, p.Sequence, DeliveryCount(seq), subject);
        }
    }

    private void DeferRemovedTerm(ulong seq, ulong dseq, ulong dc, string subject) => _ctx.Defer(() =>
    {
        if (!Deleted)
        {
            ProcessTerm(seq, dseq, dc, UnackedRemovedReason, subject);
        }
    });

    /// <summary>
    /// The stream was purged (S-14): the consumer moves to <paramref name="start"/> (never back), forgets what is
    /// pending below it (and, when its filter is wider than the purge, what the purge removed), and with nothing left
    /// pending sets its floor to everything delivered.
    /// </summary>
    /// <remarks>Long because it is the server's one purge step for a consumer.</remarks>
    public void OnPurged(ulong start, ulong streamLast, bool wider)
    {
        if (start == 0 && !wider)
        {
            start = streamLast + 1;
        }

        if (_sseq < start)
        {
            _sseq = start;
        }

        if (_asflr < start)
        {
            _asflr = start - 1;
            foreach (var (seq, p) in _pending.InOrder.ToList())
            {
                if (seq <= _asflr || (wider && Stream.Store.Get(seq) is null))
                {
                    if (p.Sequence > _adflr)
                    {
                        _adflr = p.Sequence;
                        if (_adflr > _dseq)
                        {
                            _dseq = _adflr;
                        }
                    }

                    _pending.Remove(seq);
                    _pending.ForgetRedeliveryCount(seq);
                }
                else if (!wider)
                {
                    break;
                }
            }
        }

        if (_pending.Count == 0)
        {
            _pending.ClearRedeliveryCounts();
            _adflr = _dseq - 1;
            _asflr = _sseq - 1;
        }

        var position = _sseq;
        _pending.FilterQueue(s => s >= position);
        StoreWorkingState();
    }

    /// <summary>Gets the stream sequence of the ack floor.</summary>
    public ulong AckFloorStream => _asflr;

    /// <summary>Whether the consumer's filter is wider than a purge's subject (no filter is wider than any).</summary>
    public bool IsWiderThan(string purgeSubject)
    {
        if (_filters is null)
        {
            return true;
        }

        foreach (var f in _filters.Filters)
        {
            if ((!f.Contains('*', StringComparison.Ordinal) && !f.Contains('>', StringComparison.Ordinal) && f == purgeSubject) || Subjects.IsSubsetOf(purgeSubject, f))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether the consumer's filter is equal to, or narrower than, a purge's subject.</summary>
    public bool IsEqualOrSubsetOf(string purgeSubject)
    {
        if (_filters is null)
        {
            return false;
        }

        foreach (var f in _filters.Filters)
        {
            if (Subjects.IsSubsetOf(f, purgeSubject))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether the consumer still needs <paramref name="seq"/> acknowledged (interest retention, S-39 to S-41):
    /// above its ack floor and not yet delivered, or pending (explicit ack), or redelivery-counted (exhausted).</summary>
    public bool NeedsAck(ulong seq, string subject)
    {
        if (!Matches(subject))
        {
            return false;
        }

        var need = Config.AckPolicy switch
        {
            ConsumerConfigAckPolicy.Explicit => seq > _asflr && (seq >= _sseq || _pending.Contains(seq)),
            _ => seq > _asflr,
        };
        return need || _pending.HasRedeliveryCount(seq);
    }

    /// <summary>Recounts what is pending from the consumer's position, as the server does on create, update and batch
    /// removals.</summary>
    public void RecountPending()
    {
        var store = Stream.Store;
        var lastPerSubject = Config.DeliverPolicy == ConsumerConfigDeliverPolicy.LastPerSubject;
        _npc = (long)(_filters switch
        {
            null => store.NumPending(_sseq, null, lastPerSubject),
            { Filters.Count: 1 } one => store.NumPending(_sseq, one.Filters[0], lastPerSubject),
            var many => store.NumPendingMulti(_sseq, many, lastPerSubject),
        });
        _npf = store.LastSeq;
    }

    /// <summary>The pending count for info: recounted when the cache is clearly off.</summary>
    private ulong CheckNumPending()
    {
        var store = Stream.Store;
        var npc = NumPendingValue;
        if ((_sseq > store.LastSeq && npc > 0) || npc > (ulong)store.Messages)
        {
            RecountPending();
        }

        return NumPendingValue;
    }

    /// <summary>At the end of the stream nothing can be pending: reset the cache.</summary>
    private void CheckNumPendingOnEndOfStream()
    {
        var last = Stream.Store.LastSeq;
        if (_sseq > last && _npc != 0)
        {
            _npc = 0;
            _npf = last;
        }
    }
}
