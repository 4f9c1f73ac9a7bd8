namespace Goflux.InMemory.Internal;

/// <summary>
/// The file store's variants (<see cref="File"/>): where nats-server 2.10's file store answers differently from its
/// memory store, for a stream held in one block (a stream smaller than the file store's block, at least 32 KB).
/// </summary>
/// <remarks>
/// The file store counts pending messages for one filter exactly, and its filtered state is exact; with several
/// filters it walks its per-subject tree as the memory store does (S-103), and so does its lookup of the next message
/// for several filters once the block holds fewer subjects than messages after the start: a message on a subject the
/// walk does not reach is then not found, and the consumer moves past it (S-121).
/// </remarks>
internal sealed partial class MessageStore
{
    private static readonly TimeSpan MinAgeCheckInterval = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan ShortAgeCheck = TimeSpan.FromSeconds(1);
    private DateTimeOffset? _ageCheck;

    /// <summary>
    /// The file store's age check after it ran (S-35): none once the store is empty; otherwise when the oldest message
    /// reaches max age, but never sooner than 250 ms: a message due sooner waits a whole second (so messages stored
    /// within a quarter second of one another expire a second apart), and never later than max age.
    /// </summary>
    private void RearmFileAgeCheck(StoredMessage? oldest, DateTimeOffset now)
    {
        if (Messages == 0)
        {
            _ageCheck = null;
            return;
        }

        var maxAge = _config.MaxAge;
        var fireIn = maxAge;
        if (oldest is { } o && EngineContext.Add(o.Time, maxAge) - now is var delta && delta > TimeSpan.Zero && delta < maxAge)
        {
            fireIn = delta < MinAgeCheckInterval ? ShortAgeCheck : delta;
        }

        _ageCheck = EngineContext.Add(now, fireIn);
    }

    /// <summary>
    /// The file store's purge of a subject, or of everything up to a sequence or all but the newest when none is
    /// given (a sequence of 1 purges everything): in order, stopping once all but <paramref name="keep"/> are gone,
    /// reported as one batch.
    /// </summary>
    private PurgeResult PurgeFile(string? subject, ulong sequence, ulong keep)
    {
        ulong max = 0;
        if (keep > 0)
        {
            var total = subject is null ? (ulong)Messages : FilteredState(1, subject, lastPerSubject: false).Msgs;
            if (keep >= total)
            {
                return new(0, true);
            }

            max = total - keep;
        }

        var last = sequence > 1 && sequence <= LastSeq ? sequence - 1 : LastSeq;
        ulong purged = 0;
        long bytes = 0;
        foreach (var m in All().ToList())
        {
            if (m.Sequence > last)
            {
                break;
            }

            if (subject is not null && !Subjects.Matches(subject, m.Subject))
            {
                continue;
            }

            _slots.Clear(m.Sequence);
            RemoveSeqPerSubject(m.Subject, m.Sequence);
            purged++;
            bytes += m.Size;
            if (max > 0 && purged >= max)
            {
                break;
            }
        }

        if (purged == 0)
        {
            return new(0, true); // nothing removed: even the first sequence of a new stream (0) stays
        }

        Messages -= (long)purged;
        Bytes -= Math.Min(bytes, Bytes);
        if (NextFrom(FirstSeq) is { } first)
        {
            FirstSeq = first.Sequence;
            FirstTime = first.Time;
        }
        else
        {
            FirstSeq = LastSeq + 1;
            FirstTime = default;
        }

        _slots.Compact();
        return new(purged, true);
    }

    /// <summary>Removes every message from <paramref name="seq"/> down as the file store does: nothing when the
    /// sequence is outside the stored range; the first sequence becomes the next stored one, or the last plus one.</summary>
    private ulong CompactFile(ulong seq)
    {
        if (seq < FirstSeq || Messages == 0 || seq == FirstSeq)
        {
            return 0;
        }

        var oldFirst = FirstSeq;
        ulong purged = 0;
        long bytes = 0;
        foreach (var m in All().TakeWhile(m => m.Sequence < seq).ToList())
        {
            _slots.Clear(m.Sequence);
            RemoveSeqPerSubject(m.Subject, m.Sequence);
            purged++;
            bytes += m.Size;
        }

        Messages -= (long)purged;
        Bytes -= Math.Min(bytes, Bytes);
        if (Messages == 0)
        {
            // Emptied (nothing stored at or after seq): a stream that never moved its first sequence past 1 moves it
            // past the last; one whose first sequence had moved keeps it, as nats-server 2.10.27's file store reports
            // (S-150). The next message stored becomes the first either way.
            if (oldFirst <= 1)
            {
                FirstSeq = LastSeq + 1;
            }

            FirstTime = default;
        }
        else if (NextFrom(seq) is { } first)
        {
            FirstSeq = first.Sequence;
            FirstTime = first.Time;
        }

        _slots.Compact();
        return purged;
    }

    /// <summary>The file store's filtered state: exact (the first and last sequences of the stream past the end).</summary>
    private (ulong Msgs, ulong First, ulong Last) FileFilteredState(ulong sseq, string? filter, bool lastPerSubject)
    {
        if (sseq < FirstSeq)
        {
            sseq = FirstSeq;
        }

        if (sseq > LastSeq)
        {
            return (0, FirstSeq, LastSeq);
        }

        var all = string.IsNullOrEmpty(filter) || filter == ">";
        if (all && sseq == FirstSeq && !lastPerSubject)
        {
            return ((ulong)Messages, FirstSeq, LastSeq);
        }

        if (!all && !lastPerSubject && Messages > 0)
        {
            // Counted through the per-subject state, which recalculates each matching subject (S-151).
            RecalculateMatching(filter!);
        }

        return ExactFrom(sseq, subject => all || Subjects.Matches(filter!, subject), lastPerSubject);
    }

    /// <summary>The file store's pending count for several filters (NumPendingMulti for a stream in one block).</summary>
    private ulong FileNumPendingMulti(ulong sseq, FilterSet filters, bool lastPerSubject)
    {
        if (Messages == 0 || sseq > LastSeq)
        {
            return 0;
        }

        if (sseq < FirstSeq)
        {
            sseq = FirstSeq;
        }

        if (lastPerSubject)
        {
            return ExactFrom(sseq, filters.Matches, lastPerSubject: true).Msgs;
        }

        // Only one subject stored and it matches: counted as if every subject were asked for.
        var isAll = _fss.Count == 1 && filters.Matches(_fss.Keys.First());
        if (isAll && (sseq <= FirstSeq || LastSeq - FirstSeq + 1 == (ulong)Messages))
        {
            return sseq <= FirstSeq ? (ulong)Messages : LastSeq - sseq + 1;
        }

        // Totals of the subjects the filter tree reaches; a subject starting before the start makes it scan exactly.
        ulong total = 0;
        var partial = false;
        filters.Intersect(_fss.Keys, subject =>
        {
            var ss = _fss[subject];
            Recalculate(subject, ss);
            if (sseq <= ss.First)
            {
                total += ss.Msgs;
            }
            else if (sseq <= ss.Last)
            {
                partial = true;
            }
        });

        return partial ? ExactFrom(sseq, filters.Matches, lastPerSubject: false).Msgs : total;
    }

    /// <summary>
    /// The file store's next message for several filters: a linear scan while the block holds at least as many
    /// subjects as messages from the start; otherwise the earliest first message among the subjects the filter
    /// tree reaches (S-121), or the first match from the start when one of them began before it.
    /// </summary>
    private (StoredMessage? Message, ulong Seq) FileLoadNextMulti(FilterSet filters, ulong start)
    {
        if (Messages == 0 || start > LastSeq)
        {
            return (null, LastSeq);
        }

        if (start < FirstSeq)
        {
            start = FirstSeq;
        }

        if ((ulong)_fss.Count >= LastSeq - start)
        {
            foreach (var m in From(start))
            {
                if (filters.Matches(m.Subject))
                {
                    return (m, m.Sequence);
                }
            }

            return (null, LastSeq);
        }

        StoredMessage? best = null;
        filters.Intersect(_fss.Keys, subject =>
        {
            var ss = _fss[subject];
            Recalculate(subject, ss);
            var first = Math.Max(start, ss.First);
            if (first > ss.Last || (best is { } b && first >= b.Sequence))
            {
                return;
            }

            if (first == ss.First)
            {
                best = Get(ss.First) ?? best;
                return;
            }

            foreach (var m in From(first))
            {
                if (m.Sequence > ss.Last)
                {
                    return;
                }

                if (filters.Matches(m.Subject))
                {
                    best = m;
                    return;
                }
            }
        });

        return best is { } found ? (found, found.Sequence) : (null, LastSeq);
    }

    /// <summary>
    /// Exactly what lies at or after <paramref name="sseq"/> on matching subjects: messages (or, for last per subject,
    /// subjects whose last message is there), and the first and last such sequence.
    /// </summary>
    private (ulong Msgs, ulong First, ulong Last) ExactFrom(ulong sseq, Func<string, bool> isMatch, bool lastPerSubject)
    {
        ulong msgs = 0, first = 0, last = 0;
        if (lastPerSubject)
        {
            foreach (var (subject, ss) in _fss)
            {
                Recalculate(subject, ss);
                if (ss.Last >= sseq && isMatch(subject))
                {
                    msgs++;
                    first = first == 0 || ss.Last < first ? ss.Last : first;
                    last = Math.Max(last, ss.Last);
                }
            }

            return (msgs, first, last);
        }

        foreach (var m in From(sseq))
        {
            if (isMatch(m.Subject))
            {
                msgs++;
                first = first == 0 ? m.Sequence : first;
                last = m.Sequence;
            }
        }

        return (msgs, first, last);
    }
}
