using System.Globalization;
using NATS.Client.JetStream.Models;
using JsStreamState = NATS.Client.JetStream.Models.StreamState;

namespace Goflux.InMemory.Internal;

/// <summary>
/// One stream: its configuration, stored messages, consumers, duplicate window, limits and retention. Every member runs
/// under the engine lock; it queues effects through the <see cref="EngineContext"/> and never calls out.
/// </summary>
internal sealed partial class StreamState : Scheduled
{
    private readonly EngineContext _ctx;
    private readonly MessageStore _store = new();
    private readonly Dictionary<string, ConsumerState> _consumers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ulong> _dedupe = new(StringComparer.Ordinal);
    private readonly Queue<(string Id, DateTimeOffset Expires)> _dedupeOrder = new();
    private string[] _subjects; // the configured subjects, matched on every publish without boxing an enumerator

    public StreamState(EngineContext ctx, StreamConfig config, DateTimeOffset created)
    {
        _ctx = ctx;
        Config = config;
        _subjects = [.. config.Subjects ?? []];
        Name = config.Name!;
        Created = created;
    }

    public StreamConfig Config { get; private set; }

    public string Name { get; }

    public DateTimeOffset Created { get; }

    public bool Deleted { get; private set; }

    public string? LastMsgId { get; private set; }

    public ulong LastSeq => _store.LastSeq;

    public long Messages => _store.Messages;

    /// <summary>Gets the first stored sequence, or the next one to assign when nothing is stored.</summary>
    public ulong FirstSeq => _store.FirstSeq;

    public int ConsumerCount => _consumers.Count;

    public IEnumerable<ConsumerState> Consumers => _consumers.Values;

    public ConsumerState? Consumer(string name) => _consumers.GetValueOrDefault(name);

    public StoredMessage? Get(ulong seq) => _store.Get(seq);

    public StoredMessage? NextFrom(ulong seq) => _store.NextFrom(seq);

    public IEnumerable<StoredMessage> All() => _store.All();

    public IEnumerable<(string Subject, ulong LastSeq)> LastPerSubject() => _store.LastPerSubject();

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

    public void AddConsumer(ConsumerState c) => _consumers[c.Name] = c;

    /// <summary>Deletes a consumer: its pull requests end with <paramref name="error"/>; on an interest stream, messages no
    /// remaining consumer needs are removed (S-40).</summary>
    public void RemoveConsumer(ConsumerState c, Exception error)
    {
        c.Stop(error);
        _consumers.Remove(c.Name);
        c.Advise(created: false);
        if (Config.Retention != StreamConfigRetention.Interest)
        {
            return;
        }

        foreach (var m in _store.All().Where(m => m.Sequence > c.AckFloorStream).ToList())
        {
            if (!AnyNeedsAck(m))
            {
                Remove(m.Sequence, "interest");
            }
        }
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
        Deleted = true;
        Scheduler.Unschedule(this);
    }

    /// <summary>Applies an update already checked by the rules (S-12, S-13).</summary>
    public void Reconfigure(StreamConfig config)
    {
        var oldPerSubject = Config.MaxMsgsPerSubject;
        Config = config;
        _subjects = [.. config.Subjects ?? []];

        // Like the server's store: a per-subject limit trims on update only when it lowers an existing one (S-13).
        EnforceLimits(trimAll: true, subject: null, perSubjectOnUpdate: oldPerSubject > 0 && config.MaxMsgsPerSubject < oldPerSubject);
        ScheduleAge();
    }

    /// <summary>Removes every message; sequences continue, consumers move to the end (S-14).</summary>
    public long Purge()
    {
        var n = _store.Messages;
        if (_ctx.RecordEvents)
        {
            var now = _ctx.Now;
            foreach (var m in _store.All())
            {
                _ctx.Record(new(InMemoryEventKind.Removed, now, Name, null, m.Subject, m.Sequence, Reason: "purge"));
            }
        }

        _store.Purge();
        foreach (var c in _consumers.Values)
        {
            c.OnPurged(_store.LastSeq);
        }

        return n;
    }

    /// <summary>Removes one stored message and updates every consumer's pending count (S-99 keeps pending entries until
    /// the next timer check).</summary>
    public void Remove(ulong seq, string reason)
    {
        if (!_store.Remove(seq, out var m) || m is null)
        {
            return;
        }

        foreach (var c in _consumers.Values)
        {
            c.OnRemoved(seq, m.Subject);
        }

        if (_ctx.RecordEvents)
        {
            _ctx.Record(new(InMemoryEventKind.Removed, _ctx.Now, Name, null, m.Subject, seq, Reason: reason));
        }
    }

    /// <summary>Interest and workqueue retention after an ack or term (S-39, S-42, S-83).</summary>
    public void Retain(ulong seq)
    {
        switch (Config.Retention)
        {
            case StreamConfigRetention.Workqueue:
                Remove(seq, "workqueue ack");
                break;
            case StreamConfigRetention.Interest:
                if (_store.Get(seq) is { } m && !AnyNeedsAck(m))
                {
                    Remove(seq, "interest");
                }

                break;
        }
    }

    public bool AnyNeedsAck(StoredMessage m)
    {
        foreach (var c in _consumers.Values)
        {
            if (c.NeedsAck(m))
            {
                return true;
            }
        }

        return false;
    }

    public StreamInfo Info(DateTimeOffset now)
    {
        var first = _store.FirstStored();
        var messages = _store.Messages;
        return new StreamInfo
        {
            Config = Config,
            Created = Created,
            Ts = now,
            State = new JsStreamState
            {
                Messages = messages,
                Bytes = _store.Bytes,
                FirstSeq = _store.LastSeq == 0 ? 0 : _store.FirstSeq, // a stream that never assigned a sequence reports 0 (S-16)
                FirstTs = first?.Time.ToString("O", CultureInfo.InvariantCulture) ?? "0001-01-01T00:00:00Z",
                LastSeq = _store.LastSeq,
                LastTs = _store.LastSeq == 0 ? "0001-01-01T00:00:00Z" : _store.LastTime.ToString("O", CultureInfo.InvariantCulture),
                ConsumerCount = _consumers.Count,
                NumSubjects = _store.NumSubjects,
                NumDeleted = messages == 0 ? 0 : (long)(_store.LastSeq - _store.FirstSeq + 1) - messages,
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

        ExpireAged(now);
        ScheduleAge();
    }

    private void ScheduleAge()
    {
        if (Config.MaxAge <= TimeSpan.Zero || Deleted || _store.FirstStored() is not { } first)
        {
            Scheduler.Unschedule(this);
            return;
        }

        var due = EngineContext.Add(first.Time, Config.MaxAge);
        if (due != ScheduledDue)
        {
            _ctx.Scheduler.Schedule(this, due);
        }
    }

    private void ExpireAged(DateTimeOffset now)
    {
        if (Config.MaxAge <= TimeSpan.Zero)
        {
            return;
        }

        while (_store.FirstStored() is { } m && EngineContext.Add(m.Time, Config.MaxAge) <= now)
        {
            Remove(m.Sequence, "max_age");
        }
    }

    private bool TryGetDuplicate(string msgId, DateTimeOffset now, out ulong seq)
    {
        ExpireDedupe(now);
        return _dedupe.TryGetValue(msgId, out seq);
    }

    private void RememberMsgId(string? msgId, ulong seq, DateTimeOffset now)
    {
        LastMsgId = msgId;
        if (string.IsNullOrEmpty(msgId))
        {
            return;
        }

        ExpireDedupe(now);
        var window = Config.DuplicateWindow;
        if (window <= TimeSpan.Zero)
        {
            return;
        }

        _dedupe[msgId] = seq;
        _dedupeOrder.Enqueue((msgId, EngineContext.Add(now, window)));
    }

    private void ExpireDedupe(DateTimeOffset now)
    {
        while (_dedupeOrder.Count > 0 && _dedupeOrder.Peek().Expires <= now)
        {
            _dedupe.Remove(_dedupeOrder.Dequeue().Id);
        }
    }
}
