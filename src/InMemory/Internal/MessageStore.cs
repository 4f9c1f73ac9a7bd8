using Goflux;
using NATS.Client.JetStream.Models;

namespace Goflux.InMemory.Internal;

/// <summary>
/// One stream's stored messages with the server's memory-store rules: the stream state (first and last sequence,
/// messages, bytes), per-subject state, limits and their discard policies, purges (all, by subject, keep, up to a
/// sequence), and the lookups consumers use (next message for a filter, last message of a subject, pending counts).
/// Every member runs under the engine lock.
/// </summary>
/// <remarks>
/// Behaviour follows nats-server 2.10's memory store, quirks included, because clients observe them: a compaction whose
/// new first sequence has no message keeps the old first sequence; a purge sets the first sequence to the last plus one;
/// pending counts for several filters visit only the subjects the server's filter tree reaches (S-103). Each removal of
/// one message is reported to <see cref="Removed"/>; purges and compactions, which the server reports as one batch,
/// are not (the stream recounts its consumers instead).
/// </remarks>
internal sealed partial class MessageStore
{
    private readonly List<StoreSlot> _slots = [];
    private readonly Dictionary<string, SubjectState> _fss = new(StringComparer.Ordinal);
    private ulong _slotBase = 1; // sequence of _slots[0]
    private int _head; // no message below this slot index
    private StreamConfig _config;
    private long _maxp;

    public MessageStore(StreamConfig config, DateTimeOffset created)
    {
        _config = config;
        _maxp = config.MaxMsgsPerSubject;
        File = config.Storage == StreamConfigStorage.File;
        if (File && config.MaxAge > TimeSpan.Zero)
        {
            _ageCheck = EngineContext.Add(created, config.MaxAge); // the file store's age check starts with the store
        }
    }

    /// <summary>Gets a value indicating whether the stream uses file storage, whose purges, compactions, deletes and
    /// time lookups follow the server's file store (one block) rather than its memory store.</summary>
    public bool File { get; }

    /// <summary>Gets or sets what is told about each single removal (limits, age, delete, subject purge, retention).</summary>
    public Action<StoredMessage>? Removed { get; set; }

    public ulong FirstSeq { get; private set; }

    public ulong LastSeq { get; private set; }

    public long Messages { get; private set; }

    public long Bytes { get; private set; }

    public DateTimeOffset FirstTime { get; private set; }

    public DateTimeOffset LastTime { get; private set; }

    public int NumSubjects => _fss.Count;

    /// <summary>Gets the deleted sequences between first and last, as the server's fast state counts them.</summary>
    public long NumDeleted => LastSeq > FirstSeq ? Math.Max(0, (long)(LastSeq - FirstSeq + 1) - Messages) : 0;

    /// <summary>The message stored under <paramref name="seq"/>, or <see langword="null"/>.</summary>
    public StoredMessage? Get(ulong seq)
    {
        if (seq < _slotBase)
        {
            return null;
        }

        var idx = seq - _slotBase;
        if (idx >= (ulong)_slots.Count)
        {
            return null;
        }

        var slot = _slots[(int)idx];
        return slot.IsEmpty ? null : slot.At(seq);
    }

    /// <summary>Every stored message in sequence order.</summary>
    public IEnumerable<StoredMessage> All()
    {
        for (var i = _head; i < _slots.Count; i++)
        {
            if (!_slots[i].IsEmpty)
            {
                yield return _slots[i].At(_slotBase + (ulong)i);
            }
        }
    }

    /// <summary>The stored messages at or after <paramref name="seq"/>, in sequence order, each looked up by sequence
    /// after the one before (so the store may change between them).</summary>
    public Cursor From(ulong seq) => new(this, seq);

    /// <summary>The first stored message at or after <paramref name="seq"/>, or <see langword="null"/>.</summary>
    public StoredMessage? NextFrom(ulong seq)
    {
        var start = seq < _slotBase ? 0UL : seq - _slotBase;
        if (start < (ulong)_head)
        {
            start = (ulong)_head;
        }

        for (var i = (int)Math.Min(start, (ulong)_slots.Count); i < _slots.Count; i++)
        {
            if (!_slots[i].IsEmpty)
            {
                return _slots[i].At(_slotBase + (ulong)i);
            }
        }

        return null;
    }

    /// <summary>Applies a changed configuration (S-13): discard-old limits trim at once, a per-subject limit only when it
    /// lowers a positive one or there was none (0), and max age expires what is due.</summary>
    public void Reconfigure(StreamConfig config, DateTimeOffset now)
    {
        _config = config;
        EnforceMsgLimit();
        EnforceBytesLimit();
        var old = _maxp;
        _maxp = config.MaxMsgsPerSubject < -1 ? -1 : config.MaxMsgsPerSubject;
        if (_maxp > 0 && (old == 0 || _maxp < old))
        {
            foreach (var (subject, state) in _fss.ToList())
            {
                if (state.Msgs > (ulong)_maxp)
                {
                    EnforcePerSubjectLimit(subject, state);
                }
            }
        }

        if (File)
        {
            _ageCheck = config.MaxAge > TimeSpan.Zero ? _ageCheck ?? EngineContext.Add(now, config.MaxAge) : null;
        }

        if (config.MaxAge > TimeSpan.Zero)
        {
            Expire(now);
        }
    }

    /// <summary>Why a message was not stored (discard new, S-36, S-37), or <see langword="null"/> when it fits.</summary>
    public string? CheckDiscardNew(string subject, long size)
    {
        if (_config.Discard != StreamConfigDiscard.New)
        {
            return null;
        }

        var atSubjectLimit = _fss.TryGetValue(subject, out var ss) && _maxp > 0 && ss.Msgs >= (ulong)_maxp;
        if (atSubjectLimit && _config.DiscardNewPerSubject)
        {
            return "maximum messages per subject exceeded";
        }

        if (_config.MaxMsgs > 0 && Messages >= _config.MaxMsgs && !atSubjectLimit)
        {
            return "maximum messages exceeded";
        }

        if (_config.MaxBytes > 0 && Bytes + size >= _config.MaxBytes)
        {
            if (!atSubjectLimit)
            {
                return "maximum bytes exceeded";
            }

            // At the subject limit the oldest message of the subject is replaced: it must free enough room.
            Recalculate(subject, ss!);
            if (Get(ss!.First) is not { } oldest || oldest.Size < size)
            {
                return "maximum bytes exceeded";
            }
        }

        return null;
    }

    /// <summary>Stores a message under the next sequence, then applies the per-subject, message and byte limits.</summary>
    public StoredMessage Store(string subject, byte[] data, MessageHeaders? headers, long size, DateTimeOffset now)
    {
        var seq = LastSeq + 1;
        if (Messages == 0)
        {
            FirstSeq = seq;
            FirstTime = now;
        }

        var slot = new StoreSlot(subject, data, headers, now.UtcTicks, size);
        Place(seq, slot);
        var m = slot.At(seq);
        Messages++;
        Bytes += size;
        LastSeq = seq;
        LastTime = now;
        if (_fss.TryGetValue(subject, out var ss))
        {
            ss.Msgs++;
            ss.Last = seq;
            ss.LastNeedsUpdate = false;
            if (_maxp > 0 && ss.Msgs > (ulong)_maxp)
            {
                EnforcePerSubjectLimit(subject, ss);
            }
        }
        else
        {
            _fss[subject] = new SubjectState { Msgs = 1, First = seq, Last = seq };
        }

        EnforceMsgLimit();
        EnforceBytesLimit();
        if (File && _ageCheck is null && _config.MaxAge > TimeSpan.Zero)
        {
            _ageCheck = EngineContext.Add(now, _config.MaxAge); // the file store's age check starts a max age away
        }

        return m;
    }

    /// <summary>Uses the next sequence without storing anything (interest retention without interest, S-38).</summary>
    public ulong Skip(DateTimeOffset now)
    {
        var seq = ++LastSeq;
        LastTime = now;
        if (Messages == 0)
        {
            FirstSeq = seq + 1;
            FirstTime = now;
        }

        return seq;
    }

    /// <summary>Removes one message; <see langword="false"/> when there is none under <paramref name="seq"/>.</summary>
    public bool Remove(ulong seq)
    {
        if (Get(seq) is not { } m)
        {
            return false;
        }

        if (Messages > 0)
        {
            Messages--;
            Bytes -= Math.Min(m.Size, Bytes);
        }

        _slots[(int)(seq - _slotBase)] = default;
        UpdateFirstSeq(seq);
        RemoveSeqPerSubject(m.Subject, seq);
        Compact();
        Removed?.Invoke(m);
        return true;
    }

    /// <summary>
    /// Deletes one message for the API (S-14): <see cref="DeleteOutcome.Deleted"/>, or why not. The memory store only
    /// knows whether it had the message; the file store first checks the sequence against its range.
    /// </summary>
    public DeleteOutcome Delete(ulong seq)
    {
        if (File && (seq == 0 || seq < FirstSeq || seq > LastSeq || Messages == 0))
        {
            return seq == 0 || seq <= LastSeq ? DeleteOutcome.NotFound : DeleteOutcome.EndOfStore;
        }

        return Remove(seq) ? DeleteOutcome.Deleted : DeleteOutcome.NotDeleted;
    }

    /// <summary>Removes every message: the first sequence becomes the last plus one (S-14).</summary>
    /// <returns>How many were removed.</returns>
    public ulong Purge() => PurgeFrom(LastSeq + 1);

    /// <summary>
    /// A purge request (S-14): by subject (wildcards allowed), keeping the newest <paramref name="keep"/>, or up to but
    /// not including <paramref name="sequence"/>. <see cref="PurgeResult.Batch"/> says the store reported the removals
    /// as one batch (every consumer recounts) rather than one by one (each removal told to <see cref="Removed"/>).
    /// </summary>
    public PurgeResult PurgeEx(string? subject, ulong sequence, ulong keep)
    {
        var all = string.IsNullOrEmpty(subject) || subject == ">";
        if (all && keep == 0 && sequence == 0)
        {
            return new(Purge(), true);
        }

        if (all && sequence > 1)
        {
            return new(CompactTo(sequence), true);
        }

        return File ? PurgeFile(all ? null : subject, sequence, keep) : PurgeMemory(all ? null : subject, sequence, keep);
    }

    /// <summary>The memory store's purge of a subject (or of all but the newest): one removal at a time.</summary>
    private PurgeResult PurgeMemory(string? subject, ulong sequence, ulong keep)
    {
        if (subject is null)
        {
            return new(keep > 0 && keep < (ulong)Messages ? CompactTo(LastSeq - keep + 1) : 0, true);
        }

        var ss = FilteredState(1, subject, lastPerSubject: false);
        if (ss.Msgs == 0)
        {
            return new(0, false);
        }

        var toRemove = ss.Msgs;
        if (keep > 0)
        {
            if (keep >= toRemove)
            {
                return new(0, false);
            }

            toRemove -= keep;
        }

        var last = sequence > 1 ? sequence - 1 : ss.Last;
        ulong purged = 0;
        for (var seq = ss.First; seq <= last && seq >= ss.First; seq++)
        {
            if (Get(seq) is { } m && Subjects.Matches(subject, m.Subject) && Remove(seq))
            {
                purged++;
                if (purged >= toRemove)
                {
                    break;
                }
            }

            if (seq == ulong.MaxValue)
            {
                break;
            }
        }

        return new(purged, false);
    }

    /// <summary>Removes every message below <paramref name="seq"/> (the server's compaction, quirks included).</summary>
    /// <returns>How many were removed.</returns>
    public ulong CompactTo(ulong seq)
    {
        if (seq == 0)
        {
            return Purge();
        }

        if (seq > LastSeq)
        {
            // Past the end: like a purge that makes the next message take seq.
            var removed = (ulong)Messages;
            ClearAll(seq);
            LastSeq = seq - 1;
            return removed;
        }

        if (File)
        {
            return CompactFile(seq);
        }

        var oldFirst = FirstSeq;

        // The new first sequence is the first stored at or after seq; when there is none it stays as it was.
        for (var s = seq; s <= LastSeq; s++)
        {
            if (Get(s) is { } first)
            {
                FirstSeq = s;
                FirstTime = first.Time;
                break;
            }

            if (s == ulong.MaxValue)
            {
                break;
            }
        }

        ulong purged = 0;
        long bytes = 0;
        for (var s = seq - 1; s >= oldFirst && s >= _slotBase; s--)
        {
            if (Get(s) is { } m)
            {
                bytes += m.Size;
                purged++;
                RemoveSeqPerSubject(m.Subject, s);
                _slots[(int)(s - _slotBase)] = default;
            }

            if (s == 0)
            {
                break;
            }
        }

        purged = Math.Min(purged, (ulong)Messages);
        Messages -= (long)purged;
        Bytes -= Math.Min(bytes, Bytes);
        Compact();
        return purged;
    }

    /// <summary>Removes the oldest messages beyond max age (S-35); on file storage, re-arms the age check as the file
    /// store does.</summary>
    public void Expire(DateTimeOffset now)
    {
        var maxAge = _config.MaxAge;
        if (maxAge <= TimeSpan.Zero)
        {
            return;
        }

        StoredMessage? oldest;
        while ((oldest = Get(FirstSeq)) is { } m && EngineContext.Add(m.Time, maxAge) <= now)
        {
            Remove(m.Sequence);
        }

        if (File)
        {
            RearmFileAgeCheck(oldest, now);
        }
    }

    /// <summary>When max age is next checked, or <see langword="null"/>: the memory store checks as the oldest message
    /// reaches it; the file store on its own timer (S-35).</summary>
    public DateTimeOffset? NextExpiry()
    {
        if (_config.MaxAge <= TimeSpan.Zero)
        {
            return null;
        }

        if (File)
        {
            return _ageCheck;
        }

        if (Messages == 0)
        {
            return null;
        }

        return Get(FirstSeq) is { } m ? EngineContext.Add(m.Time, _config.MaxAge) : EngineContext.Add(LastTime, _config.MaxAge);
    }

    /// <summary>The first message at or after <paramref name="start"/> matching <paramref name="filter"/> (null or
    /// <c>&gt;</c> for all); the sequence it was found at, or the last sequence when none was (the server's EOF).</summary>
    public (StoredMessage? Message, ulong Seq) LoadNext(string? filter, ulong start)
    {
        if (start < FirstSeq)
        {
            start = FirstSeq;
        }

        if (start > LastSeq || Messages == 0)
        {
            return (null, LastSeq);
        }

        var all = string.IsNullOrEmpty(filter) || filter == ">";
        if (!all && !LinearScanForNext(filter!, start))
        {
            // The server looks the filter's subjects up first, recalculating each one's first and last (S-151).
            RecalculateMatching(filter!);
        }

        foreach (var m in From(start))
        {
            if (all || Subjects.Matches(filter!, m.Subject))
            {
                return (m, m.Sequence);
            }
        }

        return (null, LastSeq);
    }

    /// <summary>As <see cref="LoadNext"/> for several filters.</summary>
    public (StoredMessage? Message, ulong Seq) LoadNextMulti(FilterSet filters, ulong start)
    {
        if (File)
        {
            return FileLoadNextMulti(filters, start);
        }

        if (start < FirstSeq)
        {
            start = FirstSeq;
        }

        if (start > LastSeq || Messages == 0)
        {
            return (null, LastSeq);
        }

        foreach (var m in From(start))
        {
            if (filters.Matches(m.Subject))
            {
                return (m, m.Sequence);
            }
        }

        return (null, LastSeq);
    }

    /// <summary>The first sequence whose message is at or after <paramref name="time"/> (the server's search, which
    /// assumes no gaps: an interior delete can make it land later than the true first).</summary>
    public ulong SeqFromTime(DateTimeOffset time)
    {
        if (Messages == 0)
        {
            return LastSeq + 1;
        }

        if (File)
        {
            // The file store searches its block: the first stored message at or after the time; none when even the
            // last one stored is older, and 0 when the last stored is newer but gone.
            if (LastTime < time)
            {
                return LastSeq + 1;
            }

            foreach (var m in From(FirstSeq))
            {
                if (m.Time >= time)
                {
                    return m.Sequence;
                }
            }

            return 0;
        }

        if (Get(FirstSeq) is { } first && time <= first.Time)
        {
            return FirstSeq;
        }

        StoredMessage? found = null;
        for (var s = LastSeq; s > FirstSeq; s--)
        {
            if ((found = Get(s)) is not null)
            {
                break;
            }
        }

        if (found is not { } last)
        {
            return FirstSeq;
        }

        if (time == last.Time)
        {
            return LastSeq;
        }

        if (time > last.Time)
        {
            return LastSeq + 1;
        }

        // sort.Search over [0, Messages) with "the message at FirstSeq + i exists and is not older than time".
        long lo = 0, hi = Messages;
        while (lo < hi)
        {
            var h = (long)((ulong)(lo + hi) >> 1);
            if (Get(FirstSeq + (ulong)h) is { } m && m.Time >= time)
            {
                hi = h;
            }
            else
            {
                lo = h + 1;
            }
        }

        return (ulong)lo + FirstSeq;
    }

    private void EnforceMsgLimit()
    {
        if (_config.Discard != StreamConfigDiscard.Old || _config.MaxMsgs <= 0)
        {
            return;
        }

        while (Messages > _config.MaxMsgs && Remove(FirstSeq))
        {
        }
    }

    private void EnforceBytesLimit()
    {
        if (_config.Discard != StreamConfigDiscard.Old || _config.MaxBytes <= 0)
        {
            return;
        }

        while (Bytes > _config.MaxBytes && Messages > 0 && Remove(FirstSeq))
        {
        }
    }

    private ulong PurgeFrom(ulong firstSeq)
    {
        var purged = (ulong)Messages;
        ClearAll(firstSeq);
        LastSeq = firstSeq - 1;
        return purged;
    }

    private void ClearAll(ulong firstSeq)
    {
        _slots.Clear();
        _head = 0;
        _slotBase = firstSeq;
        _fss.Clear();
        Messages = 0;
        Bytes = 0;
        FirstSeq = firstSeq;
        FirstTime = default;
    }

    private void Place(ulong seq, StoreSlot slot)
    {
        if (_slots.Count == 0 || _head >= _slots.Count)
        {
            // Nothing stored: restart the window at this sequence.
            _slots.Clear();
            _head = 0;
            _slotBase = seq;
        }

        while ((ulong)_slots.Count <= seq - _slotBase)
        {
            _slots.Add(default);
        }

        _slots[(int)(seq - _slotBase)] = slot;
    }

    private void UpdateFirstSeq(ulong seq)
    {
        if (seq != FirstSeq)
        {
            return; // an interior delete
        }

        if (NextFrom(seq + 1) is { } next)
        {
            FirstSeq = next.Sequence;
            FirstTime = next.Time;
        }
        else
        {
            FirstSeq = LastSeq + 1;
            FirstTime = default;
        }
    }

    private void Compact()
    {
        while (_head < _slots.Count && _slots[_head].IsEmpty)
        {
            _head++;
        }

        if (_head > 1024 && _head > _slots.Count / 2)
        {
            _slots.RemoveRange(0, _head);
            _slotBase += (ulong)_head;
            _head = 0;
        }
    }

    /// <summary>Walks the store from a sequence on without allocating (see <see cref="From"/>).</summary>
    public struct Cursor(MessageStore store, ulong next)
    {
        private ulong _next = next;

        public StoredMessage Current { get; private set; }

        public readonly Cursor GetEnumerator() => this;

        public bool MoveNext()
        {
            if (store.NextFrom(_next) is not { } m)
            {
                return false;
            }

            Current = m;
            _next = m.Sequence + 1;
            return true;
        }
    }
}

/// <summary>What a purge removed, and whether the store reported it as one batch.</summary>
internal readonly record struct PurgeResult(ulong Purged, bool Batch);

/// <summary>The outcome of a message delete (S-14).</summary>
internal enum DeleteOutcome
{
    /// <summary>The message was deleted.</summary>
    Deleted,

    /// <summary>There was no such message: 10043 "sequence {seq} not found".</summary>
    NotDeleted,

    /// <summary>File storage, a sequence outside the stored range: 10057 "no message found".</summary>
    NotFound,

    /// <summary>File storage, a sequence past the last: 10057 "stream store EOF".</summary>
    EndOfStore,
}
