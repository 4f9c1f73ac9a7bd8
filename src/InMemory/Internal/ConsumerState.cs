using NATS.Client.JetStream.Models;

namespace Goflux.InMemory.Internal;

/// <summary>
/// One pull consumer, with the state a nats-server 2.10 consumer keeps and the same rules: its position in the stream
/// (<c>sseq</c>), the next delivery sequence (<c>dseq</c>), the ack floors, the cached pending count and how far it is
/// valid, the pending set (first delivery sequence and timestamp of each unacknowledged message), redelivery counts,
/// the redelivery queue, the last-per-subject skip list, the open pull requests, and one pending timer. Every member
/// runs under the engine lock; deliveries, request endings and advisories are queued as effects.
/// </summary>
/// <remarks>Split by concern: this file holds the state, configuration, start and info; <c>.Delivery.cs</c> pull
/// requests and the delivery loop; <c>.Acks.cs</c> acknowledgements and the ack floor; <c>.Pending.cs</c> the pending
/// timer, ack waits, backoff and exhaustion; <c>.Stream.cs</c> what the stream tells it (new, removed, purged
/// messages; interest); <c>.Lifecycle.cs</c> advisories and the inactive threshold.</remarks>
internal sealed partial class ConsumerState : Scheduled
{
    private readonly EngineContext _ctx;
    private readonly PendingSet _pending;
    private readonly LinkedList<PullRequest> _waiting = new();
    private FilterSet? _filters;

    /// <summary>
    /// The subjects the stream signals this consumer for (new and removed messages, interest at publish):
    /// <see langword="null"/> for all. They are the filters, except that an update removing every filter leaves the
    /// server with an empty list, which matches nothing (S-103).
    /// </summary>
    private string[]? _signal;
    private SkipList? _lss;

    /// <summary>The retention the consumer applies on acks (the server's <c>o.retention</c>: the stream's at creation,
    /// interest once the stream switches to it).</summary>
    private StreamConfigRetention _retention;

    /// <summary>The retention the server's delivery loop read when it started (at creation): whether ack-none
    /// deliveries apply retention.</summary>
    private StreamConfigRetention _loopRetention;

    /// <summary>The next stream sequence to look at (the server's <c>sseq</c>).</summary>
    private ulong _sseq;

    /// <summary>The next delivery (consumer) sequence (the server's <c>dseq</c>).</summary>
    private ulong _dseq = 1;

    private ulong _adflr;
    private ulong _asflr;

    /// <summary>The cached count of matching messages at or after <see cref="_sseq"/> (may run negative: reported as 0).</summary>
    private long _npc;

    /// <summary>The stream sequence up to which <see cref="_npc"/> has counted.</summary>
    private ulong _npf;

    public ConsumerState(EngineContext ctx, StreamState stream, string name, ConsumerConfig config, DateTimeOffset created)
    {
        _ctx = ctx;
        Stream = stream;
        Name = name;
        Config = config;
        Created = created;
        SetFilters(config);
        _signal = _filters is null ? null : [.. _filters.Filters];
        _pending = new PendingSet(DeadlineOf);
        _retention = stream.Config.Retention;
        _loopRetention = stream.Config.Retention;
    }

    /// <summary>Gets the engine the consumer belongs to.</summary>
    public InMemoryJetStream Engine => _ctx.Owner;

    public StreamState Stream { get; }

    public string Name { get; }

    public ConsumerConfig Config { get; private set; }

    /// <summary>Gets the filter subjects (empty for none).</summary>
    public IReadOnlyList<string> Filters => _filters?.Filters ?? [];

    public DateTimeOffset Created { get; }

    public bool Deleted { get; private set; }

    public DateTimeOffset? LastActive { get; private set; }

    public bool AckNone => Config.AckPolicy == ConsumerConfigAckPolicy.None;

    public bool AckAll => Config.AckPolicy == ConsumerConfigAckPolicy.All;

    /// <summary>The redelivery limit, 0 for none.</summary>
    private ulong MaxDeliver => Config.MaxDeliver > 0 ? (ulong)Config.MaxDeliver : 0;

    /// <summary>The max-ack-pending limit, 0 for none (never with ack policy none).</summary>
    private int MaxAckPending => !AckNone && Config.MaxAckPending > 0 ? (int)Config.MaxAckPending : 0;

    /// <summary>Gets the subjects the stream signals this consumer for (see <see cref="_signal"/>): <see langword="null"/> for all.</summary>
    public IReadOnlyList<string>? SignalSubjects => _signal;

    /// <summary>Gets or sets the consumer's place in its stream's creation order (set when the stream adds it).</summary>
    public long Ordinal { get; set; }

    /// <summary>Whether the consumer's filters match <paramref name="subject"/> (no filter matches everything).</summary>
    public bool Matches(string subject) => _filters is null || _filters.Matches(subject);

    /// <summary>Chooses the starting sequence (S-59 to S-64), as a fresh consumer reports it (S-61, S-101: ack floor
    /// 0/0, delivered at start − 1), and counts what is pending.</summary>
    /// <remarks>Long because it is the server's one start selection, a case per deliver policy.</remarks>
    public void Start()
    {
        var store = Stream.Store;
        var clamp = true;
        if (Config.OptStartSeq > 0)
        {
            _sseq = Config.OptStartSeq;
        }
        else
        {
            switch (Config.DeliverPolicy)
            {
                case ConsumerConfigDeliverPolicy.All:
                    _sseq = store.FirstSeq;
                    break;
                case ConsumerConfigDeliverPolicy.Last when _filters is null:
                    // The server takes the last sequence as it is, without the clamp below: the start stays there
                    // even when that message is gone (at least 1 on an empty stream).
                    _sseq = Math.Max(store.LastSeq, 1);
                    clamp = false;
                    break;
                case ConsumerConfigDeliverPolicy.Last:
                    foreach (var f in _filters.Filters)
                    {
                        var last = store.FilteredState(1, f, lastPerSubject: false).Last;
                        _sseq = Math.Max(_sseq, last);
                    }

                    break;
                case ConsumerConfigDeliverPolicy.LastPerSubject when Stream.Config.MaxMsgsPerSubject == 1:
                    _sseq = store.FirstSeq;
                    break;
                case ConsumerConfigDeliverPolicy.LastPerSubject:
                    var seqs = new List<ulong>();
                    foreach (var f in (IReadOnlyList<string>?)_filters?.Filters ?? [Config.FilterSubject ?? string.Empty])
                    {
                        foreach (var subject in store.SubjectsMatching(f))
                        {
                            if (store.LoadLast(subject) is { } m)
                            {
                                seqs.Add(m.Sequence);
                            }
                        }
                    }

                    seqs.Sort();
                    _sseq = seqs.Count == 0 ? store.LastSeq : seqs[0];
                    _lss = new SkipList(store.LastSeq, seqs);
                    break;
                case ConsumerConfigDeliverPolicy.ByStartTime when Config.OptStartTime is { } time:
                    _sseq = store.SeqFromTime(time);
                    if (_filters is not null)
                    {
                        // Skip ahead to the first message matching a filter, when that lies within the stream.
                        var nseq = store.LastSeq;
                        foreach (var f in _filters.Filters)
                        {
                            var first = store.FilteredState(store.FirstSeq, f, lastPerSubject: false).First;
                            if (first >= _sseq && first < nseq)
                            {
                                nseq = first;
                            }
                        }

                        if (nseq > _sseq && nseq < store.LastSeq)
                        {
                            _sseq = nseq;
                        }
                    }

                    break;
                default:
                    _sseq = store.LastSeq + 1; // deliver new
                    break;
            }
        }

        if (!clamp)
        {
        }
        else if (store.FirstSeq == 0)
        {
            _sseq = 1;
        }
        else if (_sseq < store.FirstSeq)
        {
            _sseq = store.FirstSeq;
        }
        else if (_sseq > store.LastSeq)
        {
            _sseq = store.LastSeq + 1;
        }

        // The server drops a skip list whose first entry is already at or past where it would resume (a single
        // subject whose last message is the stream's last): the consumer then reads on from there.
        if (_lss is { Seqs.Count: > 0 } skip && _sseq >= skip.Resume)
        {
            _lss = null;
        }

        // As stored for a fresh consumer: delivered at start − 1, nothing delivered or acknowledged.
        _dseq = 1;
        _adflr = 0;
        _asflr = 0;
        StoreStarting(_sseq - 1);
        RecountPending();
        if (IsPush)
        {
            StartPush();
        }
        else
        {
            ArmInactivity(_ctx.Now);
        }
    }

    /// <summary>Applies an update already checked by the rules (S-50, S-51): state is kept.</summary>
    public void Reconfigure(ConsumerConfig config)
    {
        var old = Config;
        Config = config;
        if (config.AckWait != old.AckWait && IsTimerArmed)
        {
            ResetTimer(TimeSpan.FromMilliseconds(100));
        }

        if (config.AckWait != old.AckWait || !SameBackoff(config, old))
        {
            _pending.Reschedule(DeadlineOf);
        }

        var oldFilters = Filters;
        SetFilters(config);
        if (!oldFilters.Order(StringComparer.Ordinal).SequenceEqual(Filters.Order(StringComparer.Ordinal)))
        {
            _signal = [.. Filters];
            Stream.SignalsChanged();
        }

        if (IsPush)
        {
            ReconfigurePush(old.InactiveThreshold);
        }
        else
        {
            ArmInactivity(_ctx.Now);
        }

        // By the consumer's own retention (interest when created on, or switched to, an interest stream; the server
        // never switches it back): even after the stream went back to limits, an update removes what nobody needs.
        if (_retention == StreamConfigRetention.Interest)
        {
            Stream.RemoveUninteresting(from: _asflr, ignore: null);
        }

        RecountPending();
        if (config.MaxAckPending != old.MaxAckPending)
        {
            Dispatch();
        }
    }

    /// <summary>The stream switched to interest retention: acks apply it from now on.</summary>
    public void RetentionChangedToInterest() => _retention = StreamConfigRetention.Interest;

    /// <summary>The consumer was deleted (or its stream): no more deliveries; open pull requests end with <paramref name="error"/>.</summary>
    public void Stop(Exception error)
    {
        Deleted = true;
        StopPush();
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
            node.Value.Ending = PullEnding.ConsumerDeleted;
            _ctx.EndRequest(node.Value, error);
        }
    }

    /// <summary>The engine was disposed: open pull requests end with <paramref name="error"/>.</summary>
    public void Close(Exception error) => Stop(error);

    public ConsumerInfo Info(DateTimeOffset now)
    {
        ProcessWaiting(endOfStream: false, now);
        return new ConsumerInfo
        {
            StreamName = Stream.Name,
            Name = Name,
            Config = ConsumerConfigTable.Copy(Config, Name), // the caller's to change: it must not reach the consumer's own
            Created = Created,
            Ts = now,
            Delivered = new SequenceInfo { ConsumerSeq = _dseq - 1, StreamSeq = _sseq == 0 ? 0 : _sseq - 1, LastActive = LastActive ?? default },
            AckFloor = new SequenceInfo { ConsumerSeq = _adflr, StreamSeq = _asflr },
            NumAckPending = _pending.Count,
            NumRedelivered = _pending.RedeliveredCount,
            NumWaiting = _waiting.Count,
            NumPending = CheckNumPending(),
            PushBound = PushBound,
        };
    }

    private static bool SameBackoff(ConsumerConfig a, ConsumerConfig b)
        => (a.Backoff ?? []).SequenceEqual(b.Backoff ?? []);

    private void SetFilters(ConsumerConfig config)
    {
        var filters = config.FilterSubjects is { Count: > 0 } many
            ? [.. many]
            : string.IsNullOrEmpty(config.FilterSubject) ? (string[])[] : [config.FilterSubject];
        _filters = filters.Length == 0 ? null : new FilterSet(filters);
    }

    /// <summary>Deliver last-per-subject: the sequences to deliver first, and where to go on after them.</summary>
    private sealed class SkipList(ulong resume, List<ulong> seqs)
    {
        public ulong Resume { get; } = resume;

        public List<ulong> Seqs { get; } = seqs;
    }
}
