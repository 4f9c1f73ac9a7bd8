namespace Goflux.InMemory.Internal;

/// <summary>The store's purges: all, by subject, keeping the newest, up to a sequence (S-14, S-150).</summary>
internal sealed partial class MessageStore
{
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
            return PurgeFrom(seq); // past the end: a purge that makes the next message take seq
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
        for (var s = seq - 1; s >= oldFirst && s >= _slots.Base; s--)
        {
            if (Get(s) is { } m)
            {
                bytes += m.Size;
                purged++;
                RemoveSeqPerSubject(m.Subject, s);
                _slots.Clear(s);
            }

            if (s == 0)
            {
                break;
            }
        }

        purged = Math.Min(purged, (ulong)Messages);
        Messages -= (long)purged;
        Bytes -= Math.Min(bytes, Bytes);
        _slots.Compact();
        return purged;
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
        _slots.Reset(firstSeq);
        _fss.Clear();
        Messages = 0;
        Bytes = 0;
        FirstSeq = firstSeq;
        FirstTime = default;
    }
}

/// <summary>What a purge removed, and whether the store reported it as one batch.</summary>
internal readonly record struct PurgeResult(ulong Purged, bool Batch);
