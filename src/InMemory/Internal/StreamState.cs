using System.Globalization;
using NATS.Client.JetStream.Models;
using JsStreamState = NATS.Client.JetStream.Models.StreamState;

namespace Goflux.InMemory.Internal;

/// <summary>
/// One stream: its configuration, stored messages, consumers, duplicate window, retention and purges. Every member runs
/// under the engine lock; it queues effects through the <see cref="EngineContext"/> and never calls out.
/// </summary>
/// <remarks>Split by concern: this file holds the state, consumers, retention, purge, delete and info;
/// <c>StreamState.Publish.cs</c> the publish checks and the duplicate window.</remarks>
internal sealed partial class StreamState : Scheduled
{
    private readonly EngineContext _ctx;
    private readonly Dictionary<string, ConsumerState> _consumers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ulong> _dedupe = new(StringComparer.Ordinal);
    private readonly Queue<(string Id, DateTimeOffset Stored)> _dedupeOrder = new();
    private DateTimeOffset? _dedupeTimer;
    private string[] _subjects; // the configured subjects, matched on every publish without boxing an enumerator

    /// <summary>Why the store is removing messages now (names the Removed events).</summary>
    private string _removing = "limits";

    public StreamState(EngineContext ctx, StreamConfig config, DateTimeOffset created)
    {
        _ctx = ctx;
        Config = config;
        _subjects = [.. config.Subjects ?? []];
        Name = config.Name!;
        Created = created;
        Store = new MessageStore(config, created, ctx.Payloads) { Removed = OnStoreRemoved };
        HasAckQueue = config.Retention != StreamConfigRetention.Limits;
    }

    /// <summary>
    /// Gets a value indicating whether the stream was created with interest or work-queue retention: only then does the
    /// server set up the queue that applies retention to ack-none deliveries; a stream updated to interest has none.
    /// </summary>
    public bool HasAckQueue { get; }

    public StreamConfig Config { get; private set; }

    public string Name { get; }

    public DateTimeOffset Created { get; }

    public bool Deleted { get; private set; }

    /// <summary>Gets the message id of the last accepted message (empty when it had none), for Nats-Expected-Last-Msg-Id.</summary>
    public string LastMsgId { get; private set; } = string.Empty;

    public MessageStore Store { get; }

    public int ConsumerCount => _consumers.Count;

    public IEnumerable<ConsumerState> Consumers => _consumers.Values;

    public ConsumerState? Consumer(string name) => _consumers.GetValueOrDefault(name);

    public StoredMessage? Get(ulong seq) => Store.Get(seq);

    public IEnumerable<StoredMessage> All() => Store.All();

    public bool Captures(string subject)
    {
        foreach (var p in _subjects)
        {
            if (Subjects.Matches(p, subject))
            {
                return true;
            }
        }

        return false;
    }

    public void AddConsumer(ConsumerState c)
    {
        _consumers[c.Name] = c;
        c.Ordinal = ++_consumerOrdinals;
        SignalsChanged();
    }

    /// <summary>
    /// Deletes a consumer: its pull requests end with <paramref name="error"/>; on an interest stream the messages no
    /// remaining consumer needs are removed, and with no consumer left the stream is emptied (S-40).
    /// </summary>
    public void RemoveConsumer(ConsumerState c, Exception error)
    {
        c.Stop(error);
        _consumers.Remove(c.Name);
        SignalsChanged();
        c.Advise(created: false);
        if (Config.Retention != StreamConfigRetention.Interest)
        {
            return;
        }

        if (_consumers.Count == 0)
        {
            _removing = "interest";
            if (Store.Purge() > 0)
            {
                RecountConsumers();
            }

            _removing = "limits";
            return;
        }

        RemoveUninteresting(from: c.AckFloorStream, ignore: c);
    }

    /// <summary>
    /// Interest retention: removes every message from <paramref name="from"/> (at least the first sequence) on that no
    /// consumer but <paramref name="ignore"/> still needs.
    /// </summary>
    public void RemoveUninteresting(ulong from, ConsumerState? ignore)
    {
        var start = Math.Max(from, Store.FirstSeq);
        var stop = Store.LastSeq;
        var remove = new List<ulong>();
        for (var seq = start; seq <= stop && seq > 0; seq++)
        {
            if (Store.Get(seq) is { } m && !AnyNeedsAck(m.Sequence, m.Subject, ignore))
            {
                remove.Add(seq);
            }
        }

        _removing = "interest";
        foreach (var seq in remove)
        {
            Store.Remove(seq);
        }

        _removing = "limits";
    }

    /// <summary>Deletes the stream: every consumer stops, its pull requests end with <paramref name="error"/>.</summary>
    public void Delete(Exception error)
    {
        foreach (var c in _consumers.Values)
        {
            c.Stop(error);
            c.Advise(created: false);
        }

        _consumers.Clear();
        SignalsChanged();
        Deleted = true;
        Scheduler.Unschedule(this);
    }

    /// <summary>Applies an update already checked by the rules (S-12, S-13).</summary>
    public void Reconfigure(StreamConfig config)
    {
        var old = Config;
        Config = config;
        _subjects = [.. config.Subjects ?? []];
        _ctx.StreamsChanged();
        Store.Reconfigure(config, _ctx.Now);
        ScheduleAge();
        if (old.Retention != config.Retention && config.Retention == StreamConfigRetention.Interest)
        {
            // Now interest based: what each consumer's stored ack floor covers goes (S-153), unless another consumer
            // still needs it; so do messages between the stored floor and stored delivered position that the store
            // no longer holds as pending but the consumer still needs. From now on the consumers' acks apply retention.
            foreach (var c in _consumers.Values.ToList())
            {
                c.RetentionChangedToInterest();
                var floor = c.StoredAckFloorStream;
                for (var seq = Store.FirstSeq; seq <= floor && seq > 0; seq++)
                {
                    if (Store.Get(seq) is { } m && c.Matches(m.Subject))
                    {
                        AckMsg(c, seq);
                    }
                }

                if (c.HasStoredPending && floor > 0)
                {
                    for (var seq = floor + 1; seq <= c.StoredDeliveredStream; seq++)
                    {
                        if (!c.IsStoredPending(seq) && Store.Get(seq) is { } m && c.NeedsAck(seq, m.Subject))
                        {
                            AckMsg(c, seq);
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// A purge (S-14): all, by subject, keeping the newest, or up to a sequence; then each consumer whose filter lies
    /// within the purge (or is wider than it) moves past what was removed.
    /// </summary>
    /// <returns>How many messages were removed.</returns>
    public ulong Purge(string? subject, ulong sequence, ulong keep)
    {
        var bySubject = !string.IsNullOrEmpty(subject) && subject != ">";
        _removing = "purge";
        var (purged, batch) = Store.PurgeEx(subject, sequence, keep);
        _removing = "limits";
        if (_ctx.RecordEvents && batch && purged > 0)
        {
            _ctx.Record(new(InMemoryEventKind.Removed, _ctx.Now, Name, null, subject ?? string.Empty, 0, Reason: string.Create(CultureInfo.InvariantCulture, $"purge of {purged}")));
        }

        if (batch && purged > 0)
        {
            RecountConsumers(); // the server reports a batch removal: every consumer recounts
        }

        // The server settles the pending messages a subject purge removed (S-99) in goroutines of their own, which
        // race with it moving its consumers past the purge: the engine settles them after, when the purge is done.
        var first = Store.FirstSeq;
        var last = Store.LastSeq;
        var start = bySubject ? Store.FilteredState(first, subject, lastPerSubject: false).First : first;
        foreach (var c in _consumers.Values)
        {
            var from = start;
            var doPurge = !bySubject || c.IsEqualOrSubsetOf(subject!);
            var wider = false;
            if (!doPurge && c.IsWiderThan(subject!))
            {
                doPurge = true;
                wider = true;
                from = first;
            }

            if (doPurge)
            {
                c.OnPurged(from, last, wider);
            }
        }

        ScheduleAge();
        return purged;
    }

    /// <summary>Deletes one message (S-14); <see langword="false"/> when there is none under <paramref name="seq"/>.</summary>
    public DeleteOutcome DeleteMessage(ulong seq)
    {
        _removing = "delete";
        var outcome = Store.Delete(seq);
        _removing = "limits";
        ScheduleAge();
        return outcome;
    }

    /// <summary>
    /// A consumer acknowledged (or terminated) <paramref name="seq"/>: a work-queue stream removes it; an interest stream
    /// removes it when no other consumer needs it (S-39, S-42, S-83). Also for a message that was no longer pending.
    /// </summary>
    public void AckMsg(ConsumerState? by, ulong seq)
    {
        if (seq == 0 || Deleted || Config.Retention == StreamConfigRetention.Limits || seq > Store.LastSeq || seq < Store.FirstSeq)
        {
            return;
        }

        var remove = Config.Retention switch
        {
            StreamConfigRetention.Workqueue => true,
            _ => Store.Get(seq) is { } m && !AnyNeedsAck(seq, m.Subject, by),
        };
        if (remove)
        {
            _removing = Config.Retention == StreamConfigRetention.Workqueue ? "workqueue ack" : "interest";
            Store.Remove(seq);
            _removing = "limits";
        }
    }

    /// <summary>Whether a consumer other than <paramref name="ignore"/> still needs the message (interest retention).</summary>
    public bool AnyNeedsAck(ulong seq, string subject, ConsumerState? ignore)
    {
        foreach (var c in _consumers.Values)
        {
            if (c != ignore && c.NeedsAck(seq, subject))
            {
                return true;
            }
        }

        return false;
    }

    public StreamInfo Info(DateTimeOffset now)
    {
        var first = Store.Get(Store.FirstSeq);
        return new StreamInfo
        {
            Config = StreamConfigTable.Copy(Config), // the caller's to change: it must not reach the stream's own
            Created = Created,
            Ts = now,
            State = new JsStreamState
            {
                Messages = Store.Messages,
                Bytes = Store.Bytes,
                FirstSeq = Store.FirstSeq,
                FirstTs = first is not { } f ? "0001-01-01T00:00:00Z" : f.Time.ToString("O", CultureInfo.InvariantCulture),
                LastSeq = Store.LastSeq,
                LastTs = Store.LastSeq == 0 ? "0001-01-01T00:00:00Z" : Store.LastTime.ToString("O", CultureInfo.InvariantCulture),
                ConsumerCount = _consumers.Count,
                NumSubjects = Store.NumSubjects,
                NumDeleted = Store.NumDeleted,
            },
        };
    }

    /// <summary>The max age deadline: removes aged messages and schedules the next one.</summary>
    internal override void OnDue(DateTimeOffset now)
    {
        if (Deleted)
        {
            return;
        }

        _removing = "max_age";
        Store.Expire(now);
        _removing = "limits";
        ScheduleAge();
    }

    private void ScheduleAge()
    {
        if (Deleted || Store.NextExpiry() is not { } due)
        {
            Scheduler.Unschedule(this);
            return;
        }

        if (due != ScheduledDue)
        {
            _ctx.Scheduler.Schedule(this, due);
        }
    }

    /// <summary>One message left the store: every consumer whose filters match it hears of it (S-99).</summary>
    private void OnStoreRemoved(StoredMessage m)
    {
        if (_ctx.RecordEvents)
        {
            _ctx.Record(new(InMemoryEventKind.Removed, _ctx.Now, Name, null, m.Subject, m.Sequence, Reason: _removing));
        }

        var signaled = Signaled(m.Subject);
        foreach (var c in signaled)
        {
            c.OnRemoved(m.Sequence, m.Subject);
        }

        Release(signaled);
    }

    private void RecountConsumers()
    {
        foreach (var c in _consumers.Values)
        {
            c.RecountPending();
        }
    }
}
