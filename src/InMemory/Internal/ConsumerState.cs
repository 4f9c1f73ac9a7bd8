using NATS.Client.JetStream.Models;

namespace Goflux.InMemory.Internal;

/// <summary>
/// One pull consumer: where it is in its stream, what is pending, what waits for redelivery, its ack floor, its open
/// pull requests and its counters. The rules of pending, acks, redelivery and the ack floor live here. Every member runs
/// under the engine lock; deliveries, request endings and advisories are queued as effects.
/// </summary>
/// <remarks>Split by concern: this file holds the state, configuration and stream notifications;
/// <c>ConsumerState.Delivery.cs</c> pull requests and deliveries; <c>ConsumerState.Acks.cs</c> acknowledgements and the
/// ack floor; <c>ConsumerState.Deadlines.cs</c> ack waits, nak delays, backoff and exhaustion.</remarks>
internal sealed partial class ConsumerState : Scheduled
{
    private readonly EngineContext _ctx;
    private readonly Dictionary<ulong, PendingEntry> _pending = [];
    private readonly HashSet<ulong> _redelivered = [];
    private readonly LinkedList<ulong> _redeliveryQueue = new();
    private readonly LinkedList<PullRequest> _waiting = new();

    /// <summary>For deliver last-per-subject: the sequences still to deliver from the initial snapshot.</summary>
    private SortedSet<ulong>? _lastPerSubjectSkip;

    /// <summary>For deliver last-per-subject: the stream's last sequence when the consumer was created.</summary>
    private ulong _lastPerSubjectEnd;

    /// <summary>Whether the last look for a delivery stopped at <c>max_ack_pending</c> (S-76) rather than running dry.</summary>
    private bool _heldBack;

    public ConsumerState(EngineContext ctx, StreamState stream, string name, ConsumerConfig config, DateTimeOffset created)
    {
        _ctx = ctx;
        Stream = stream;
        Name = name;
        Config = config;
        Created = created;
        Filters = FiltersOf(config);
    }

    public StreamState Stream { get; }

    public string Name { get; }

    public ConsumerConfig Config { get; private set; }

    public string[] Filters { get; private set; }

    public DateTimeOffset Created { get; }

    public bool Deleted { get; private set; }

    /// <summary>Gets the next stream sequence to consider for a new delivery.</summary>
    public ulong NextSeq { get; private set; }

    /// <summary>Gets the last consumer sequence handed out.</summary>
    public ulong DeliveredConsumerSeq { get; private set; }

    public ulong AckFloorConsumer { get; private set; }

    public ulong AckFloorStream { get; private set; }

    /// <summary>Gets the number of matching stored messages at or after <see cref="NextSeq"/>.</summary>
    public ulong NumPending { get; private set; }

    public DateTimeOffset? LastActive { get; private set; }

    /// <summary>
    /// Gets a value indicating whether a no-wait pull request arriving now is kept open rather than answered "no
    /// messages": the server counts pending messages plus queued redeliveries, even a queued message that turns out
    /// exhausted or new messages that <c>max_ack_pending</c> holds back (S-70, S-76).
    /// </summary>
    public bool KeepsNoWaitRequestOpen => NumPending > 0 || _redeliveryQueue.Count > 0;

    public bool AckNone => Config.AckPolicy == ConsumerConfigAckPolicy.None;

    public bool AckAll => Config.AckPolicy == ConsumerConfigAckPolicy.All;

    public bool Matches(string subject)
    {
        var filters = Filters;
        if (filters.Length == 0)
        {
            return true;
        }

        foreach (var f in filters)
        {
            if (Subjects.Matches(f, subject))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Applies an update already checked by the rules (S-50, S-51): state is kept.</summary>
    public void Reconfigure(ConsumerConfig config)
    {
        Config = config;
        Filters = FiltersOf(config);
        RecountPending();
        ArmInactivity(_ctx.Now);
        Dispatch();
    }

    /// <summary>The consumer was deleted (or its stream): no more deliveries; open pull requests end with <paramref name="error"/>.</summary>
    public void Stop(Exception error)
    {
        Deleted = true;
        Scheduler.Unschedule(this);
        if (_inactivity is { } inactivity)
        {
            Scheduler.Unschedule(inactivity);
        }

        while (_waiting.First is { } node)
        {
            _waiting.RemoveFirst();
            node.Value.Node = null;
            node.Value.Owner = null;
            _ctx.EndRequest(node.Value, error);
        }
    }

    /// <summary>The engine was disposed: open pull requests end with <paramref name="error"/>.</summary>
    public void Close(Exception error) => Stop(error);

    /// <summary>A message was stored in the stream.</summary>
    public void OnStored(StoredMessage m)
    {
        if (Matches(m.Subject))
        {
            NumPending++;
        }
    }

    /// <summary>A stored message was removed (limits, age, retention); pending entries stay until the next check (S-99).</summary>
    public void OnRemoved(ulong seq, string subject)
    {
        var counted = _lastPerSubjectSkip is { } skip && seq <= _lastPerSubjectEnd
            ? skip.Remove(seq)
            : seq >= NextSeq && Matches(subject);
        if (counted && NumPending > 0)
        {
            NumPending--;
        }
    }

    /// <summary>The stream was purged: the consumer moves to its end (S-14).</summary>
    public void OnPurged(ulong lastSeq)
    {
        _pending.Clear();
        _redelivered.Clear();
        _redeliveryQueue.Clear();
        _deadlines.Clear();
        _lastPerSubjectSkip = null;
        NextSeq = lastSeq + 1;
        AckFloorStream = lastSeq;
        AckFloorConsumer = DeliveredConsumerSeq;
        NumPending = 0;
    }

    /// <summary>Whether this consumer still needs <paramref name="m"/> acknowledged (interest retention).</summary>
    public bool NeedsAck(StoredMessage m)
    {
        if (!Matches(m.Subject) || m.Sequence <= AckFloorStream)
        {
            return false;
        }

        return m.Sequence >= NextSeq || _pending.ContainsKey(m.Sequence);
    }

    public ConsumerInfo Info(DateTimeOffset now) => new()
    {
        StreamName = Stream.Name,
        Name = Name,
        Config = Config,
        Created = Created,
        Ts = now,
        Delivered = new SequenceInfo { ConsumerSeq = DeliveredConsumerSeq, StreamSeq = NextSeq == 0 ? 0 : NextSeq - 1, LastActive = LastActive ?? default },
        AckFloor = new SequenceInfo { ConsumerSeq = AckFloorConsumer, StreamSeq = AckFloorStream },
        NumAckPending = _pending.Count,
        NumRedelivered = _redelivered.Count,
        NumWaiting = _waiting.Count,
        NumPending = NumPending,
    };

    /// <summary>Chooses the starting sequence (S-59 to S-64) and the initial counters (S-101).</summary>
    public void Start()
    {
        var s = Stream;
        var last = s.LastSeq;
        ulong start;
        switch (Config.DeliverPolicy)
        {
            case ConsumerConfigDeliverPolicy.Last:
                start = last == 0 ? 1 : last + 1;
                StoredMessage? found = null;
                foreach (var m in s.All())
                {
                    if (Matches(m.Subject))
                    {
                        found = m;
                    }
                }

                if (found is not null)
                {
                    start = found.Sequence;
                }

                break;
            case ConsumerConfigDeliverPolicy.New:
                start = last + 1;
                break;
            case ConsumerConfigDeliverPolicy.ByStartSequence:
                start = last == 0 ? 1 : Math.Min(Math.Max(Config.OptStartSeq, s.FirstSeq), last + 1);
                break;
            case ConsumerConfigDeliverPolicy.ByStartTime:
                start = s.All().FirstOrDefault(m => m.Time >= Config.OptStartTime)?.Sequence ?? last + 1;
                break;
            case ConsumerConfigDeliverPolicy.LastPerSubject:
                var skip = new SortedSet<ulong>();
                foreach (var (subject, seq) in s.LastPerSubject())
                {
                    if (Matches(subject))
                    {
                        skip.Add(seq);
                    }
                }

                _lastPerSubjectSkip = skip;
                _lastPerSubjectEnd = last;
                start = skip.Count > 0 ? skip.Min : last + 1;
                break;
            default:
                start = s.FirstSeq;
                break;
        }

        NextSeq = start;

        // 2.10 reports a fresh consumer's ack floor as 0/0 whatever its start; it moves on the first ack.
        AckFloorStream = 0;
        AckFloorConsumer = 0;
        RecountPending();
        ArmInactivity(_ctx.Now);
    }

    private static string[] FiltersOf(ConsumerConfig config)
    {
        if (config.FilterSubjects is { Count: > 0 } many)
        {
            return [.. many];
        }

        return string.IsNullOrEmpty(config.FilterSubject) ? [] : [config.FilterSubject];
    }

    private void RecountPending()
    {
        if (_lastPerSubjectSkip is { } skip)
        {
            var after = (ulong)Stream.All().LongCount(m => m.Sequence > _lastPerSubjectEnd && m.Sequence >= NextSeq && Matches(m.Subject));
            NumPending = (ulong)skip.Count + after;
            return;
        }

        NumPending = (ulong)Stream.All().LongCount(m => m.Sequence >= NextSeq && Matches(m.Subject));
    }

    /// <summary>What is pending for one message.</summary>
    private sealed class PendingEntry
    {
        public PendingEntry(ulong seq, ulong consumerSeq)
        {
            Seq = seq;
            ConsumerSeq = consumerSeq;
            FirstConsumerSeq = consumerSeq;
        }

        public ulong Seq { get; }

        public ulong ConsumerSeq { get; set; }

        /// <summary>
        /// Gets the consumer sequence of the first delivery. The server's pending record keeps it across redeliveries
        /// (<c>trackPending</c> only refreshes the timestamp), and the ack floor arithmetic uses it (S-101).
        /// </summary>
        public ulong FirstConsumerSeq { get; }

        public ulong Deliveries { get; set; }

        public long Version { get; set; }

        /// <summary>Gets or sets what the current deadline waits for.</summary>
        public DeadlineCause Cause { get; set; }

        /// <summary>Gets or sets a value indicating whether the message is queued for redelivery.</summary>
        public bool Queued { get; set; }
    }
}
