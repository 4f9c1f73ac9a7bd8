using System.Runtime.CompilerServices;

namespace Goflux.InMemory.Internal;

/// <summary>What is pending for one delivered message: a struct kept in the pending map, changed only by
/// <see cref="PendingSet"/>.</summary>
internal struct PendingEntry(ulong sequence, DateTimeOffset timestamp)
{
    /// <summary>Gets the consumer sequence of the first delivery, kept across redeliveries (S-101).</summary>
    public readonly ulong Sequence { get; } = sequence;

    /// <summary>Gets or sets when its ack wait started (moved by in-progress, nak delays and expiry).</summary>
    public DateTimeOffset Timestamp { get; set; } = timestamp;

    /// <summary>Gets or sets what its current deadline waits for (names the event when it falls due).</summary>
    public DeadlineCause Cause { get; set; }

    /// <summary>Gets or sets the version of its entry in the deadline heap (unique within its set).</summary>
    public long Version { get; set; }
}

/// <summary>
/// A consumer's pending messages (stream sequence → first delivery sequence and ack-wait start), its redelivery
/// counts and its redelivery queue, with the invariants they share: a queued sequence is queued once; every pending
/// message has one live deadline in a heap, so the pending check finds what is due without walking every pending
/// message (the server walks them all: with 100,000 delayed naks that is quadratic). Under the engine lock.
/// </summary>
internal sealed class PendingSet
{
    private readonly SequenceMap<PendingEntry> _pending = new();
    private readonly Dictionary<ulong, ulong> _rdc = [];
    private readonly LinkedList<ulong> _rdq = new();
    private readonly Dictionary<ulong, LinkedListNode<ulong>> _rdqi = [];
    private readonly PriorityQueue<(ulong Seq, long Version), DateTimeOffset> _deadlines = new();
    private readonly List<((ulong Seq, long Version), DateTimeOffset)> _liveDeadlines = [];
    private Func<ulong, PendingEntry, DateTimeOffset> _deadlineOf;

    /// <summary>The last version handed to a deadline: unique across the set, so a message pending again after it was
    /// settled never matches a deadline of its earlier time.</summary>
    private long _version;

    public PendingSet(Func<ulong, PendingEntry, DateTimeOffset> deadlineOf) => _deadlineOf = deadlineOf;

    /// <summary>Gets the number of pending messages (<c>num_ack_pending</c>).</summary>
    public int Count => _pending.Count;

    /// <summary>Gets the number of messages with a redelivery count (<c>num_redelivered</c>).</summary>
    public int RedeliveredCount => _rdc.Count;

    /// <summary>Gets the number of deadlines in the heap, live or settled (for the engine's own tests).</summary>
    public int DeadlineCount => _deadlines.Count;

    /// <summary>Gets the number of queued redeliveries.</summary>
    public int QueuedCount => _rdq.Count;

    /// <summary>Gets the pending messages in stream order.</summary>
    public SequenceMap<PendingEntry> InOrder => _pending;

    /// <summary>Finds the pending message with the lowest stream sequence above <paramref name="seq"/>.</summary>
    public bool TryGetNext(ulong seq, out ulong next, out PendingEntry entry) => _pending.TryGetNext(seq, out next, out entry);

    public bool TryGet(ulong seq, out PendingEntry entry) => _pending.TryGetValue(seq, out entry!);

    public bool Contains(ulong seq) => _pending.ContainsKey(seq);

    /// <summary>Adds a message delivered for the first time, or restarts the ack wait of one delivered again.</summary>
    public void Track(ulong seq, ulong dseq, DateTimeOffset now, DeadlineCause cause)
    {
        ref var p = ref _pending.GetValueRefOrNullRef(seq);
        if (Unsafe.IsNullRef(ref p))
        {
            _pending.Set(seq, new PendingEntry(dseq, now));
            p = ref _pending.GetValueRefOrNullRef(seq);
        }

        p.Timestamp = now;
        p.Cause = cause;
        Repush(seq, ref p);
    }

    /// <summary>Moves a pending message's ack-wait start (in progress, nak delay, expiry); nothing when it is not pending.</summary>
    public void SetTimestamp(ulong seq, DateTimeOffset timestamp, DeadlineCause? cause = null)
    {
        ref var p = ref _pending.GetValueRefOrNullRef(seq);
        if (Unsafe.IsNullRef(ref p))
        {
            return;
        }

        p.Timestamp = timestamp;
        if (cause is { } c)
        {
            p.Cause = c;
        }

        Repush(seq, ref p);
    }

    /// <summary>Forgets a pending message; its deadlines in the heap go stale (their version is no longer found).</summary>
    public bool Remove(ulong seq, out PendingEntry entry) => _pending.Remove(seq, out entry);

    public bool Remove(ulong seq) => Remove(seq, out _);

    /// <summary>The configuration changed how deadlines are computed: every pending message gets a new one.</summary>
    public void Reschedule(Func<ulong, PendingEntry, DateTimeOffset> deadlineOf)
    {
        _deadlineOf = deadlineOf;
        _deadlines.Clear();
        foreach (var seq in _pending.Select(e => e.Key).ToList())
        {
            Repush(seq, ref _pending.GetValueRefOrNullRef(seq));
        }
    }

    /// <summary>The redelivery count of <paramref name="seq"/>, 0 when it has none.</summary>
    public ulong RedeliveryCount(ulong seq) => _rdc.GetValueOrDefault(seq);

    public bool HasRedeliveryCount(ulong seq) => _rdc.ContainsKey(seq);

    public void SetRedeliveryCount(ulong seq, ulong count)
    {
        _rdc[seq] = count;
        ref var p = ref _pending.GetValueRefOrNullRef(seq);
        if (!Unsafe.IsNullRef(ref p))
        {
            Repush(seq, ref p); // a backoff step depends on the count
        }
    }

    public void ForgetRedeliveryCount(ulong seq) => _rdc.Remove(seq);

    public void ClearRedeliveryCounts() => _rdc.Clear();

    public bool IsQueued(ulong seq) => _rdqi.ContainsKey(seq);

    public void Enqueue(ulong seq)
    {
        if (!_rdqi.ContainsKey(seq))
        {
            _rdqi[seq] = _rdq.AddLast(seq);
        }
    }

    /// <summary>Takes the next queued redelivery, or <see langword="null"/>.</summary>
    public ulong? Dequeue()
    {
        if (_rdq.First is not { } first)
        {
            return null;
        }

        _rdq.RemoveFirst();
        _rdqi.Remove(first.Value);
        Requeue(first.Value);
        return first.Value;
    }

    /// <summary>Takes a sequence off the redelivery queue; it is due again by its deadline.</summary>
    public void Unqueue(ulong seq)
    {
        if (_rdqi.Remove(seq, out var node))
        {
            _rdq.Remove(node);
            Requeue(seq);
        }
    }

    /// <summary>Keeps only the queued sequences that <paramref name="keep"/> accepts.</summary>
    public void FilterQueue(Func<ulong, bool> keep)
    {
        foreach (var seq in _rdq.ToList())
        {
            if (!keep(seq))
            {
                Unqueue(seq);
            }
        }
    }

    public void ClearQueue()
    {
        foreach (var seq in _rdq.ToList())
        {
            Unqueue(seq);
        }
    }

    /// <summary>
    /// Takes every pending message whose deadline is at or before <paramref name="now"/> and not queued, in no
    /// particular order; returns the earliest deadline still ahead, or <see langword="null"/>.
    /// </summary>
    public (List<ulong> Due, DateTimeOffset? Next) TakeDue(DateTimeOffset now)
    {
        var due = new List<ulong>();
        while (_deadlines.TryPeek(out var item, out var deadline))
        {
            if (!_pending.TryGetValue(item.Seq, out var p) || p.Version != item.Version)
            {
                _deadlines.Dequeue();
                continue;
            }

            if (deadline > now)
            {
                return (due, deadline);
            }

            _deadlines.Dequeue();
            if (!_rdqi.ContainsKey(item.Seq))
            {
                due.Add(item.Seq);
            }
        }

        return (due, null);
    }

    private void Repush(ulong seq, ref PendingEntry p)
    {
        p.Version = ++_version;
        _deadlines.Enqueue((seq, p.Version), _deadlineOf(seq, p));
        if (_deadlines.Count > (2 * _pending.Count) + 64)
        {
            DropStaleDeadlines();
        }
    }

    /// <summary>
    /// Settled and re-pushed deadlines stay in the heap until they reach its top; when they outnumber the live ones,
    /// the heap is rebuilt from the live ones alone (as they are: a pending message without a live deadline keeps none),
    /// so the heap's size follows what is pending, not what was delivered.
    /// </summary>
    private void DropStaleDeadlines()
    {
        var live = _liveDeadlines;
        live.Clear();
        foreach (var (item, deadline) in _deadlines.UnorderedItems)
        {
            if (_pending.TryGetValue(item.Seq, out var p) && p.Version == item.Version)
            {
                live.Add((item, deadline));
            }
        }

        _deadlines.Clear();
        _deadlines.EnqueueRange(live);
        live.Clear();
    }

    /// <summary>A pending message left the queue without being redelivered: its deadline counts again.</summary>
    private void Requeue(ulong seq)
    {
        ref var p = ref _pending.GetValueRefOrNullRef(seq);
        if (!Unsafe.IsNullRef(ref p))
        {
            Repush(seq, ref p);
        }
    }
}
