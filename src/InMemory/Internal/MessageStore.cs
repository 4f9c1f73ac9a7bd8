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
    private readonly SlotTable _slots;
    private readonly Dictionary<string, SubjectState> _fss = new(StringComparer.Ordinal);
    private StreamConfig _config;
    private long _maxp;

    public MessageStore(StreamConfig config, DateTimeOffset created, PayloadArena payloads)
    {
        _slots = new SlotTable(payloads);
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
    public StoredMessage? Get(ulong seq) => _slots.Get(seq);

    /// <summary>Copies every payload into the arena again, during its rewrite.</summary>
    public void RewritePayloads() => _slots.RewritePayloads();

    /// <summary>Forgets every payload: the stream is deleted.</summary>
    public void ReleasePayloads() => _slots.Reset(_slots.Base);

    /// <summary>Every stored message in sequence order.</summary>
    public IEnumerable<StoredMessage> All() => _slots.All();

    /// <summary>The first stored message at or after <paramref name="seq"/>, or <see langword="null"/>.</summary>
    public StoredMessage? NextFrom(ulong seq) => _slots.NextFrom(seq);

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
    public StoredMessage Store(string subject, ReadOnlySpan<byte> data, MessageHeaders? headers, long size, DateTimeOffset now)
    {
        var seq = LastSeq + 1;
        if (Messages == 0)
        {
            FirstSeq = seq;
            FirstTime = now;
        }

        var m = _slots.Place(seq, subject, data, headers, now.UtcTicks, size);
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

        _slots.Clear(seq);
        UpdateFirstSeq(seq);
        RemoveSeqPerSubject(m.Subject, seq);
        _slots.Compact();
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
}

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
