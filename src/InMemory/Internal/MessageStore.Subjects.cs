using NATS.Client.JetStream.Models;

namespace Goflux.InMemory.Internal;

/// <summary>
/// The store's per-subject state and what is read through it: each subject's count and first and last sequence, kept
/// lazily as the server does (a removal marks them stale, S-151) and recalculated by the paths that recalculate on the
/// server; the last message of a subject; the pending counts for one filter or several (S-103); and the per-subject
/// limit.
/// </summary>
internal sealed partial class MessageStore
{
    /// <summary>Whether the server finds the next message for one filter by walking the messages rather than through
    /// the per-subject state: the memory store when few messages lie ahead for the subjects it tracks, or a wildcard
    /// meets many subjects; the file store when the wildcard is the stream's only subject or, its block loaded, the
    /// subjects outnumber a quarter of the messages ahead.</summary>
    private bool LinearScanForNext(string filter, ulong start)
    {
        var wildcard = HasWildcard(filter);
        if (File)
        {
            return wildcard && ((_config.Subjects is { Count: 1 } only && only.First() == filter) || (ulong)_fss.Count * 4 > LastSeq - start);
        }

        return 2 * (LastSeq - start) < (ulong)_fss.Count || (wildcard && _fss.Count > 256);
    }

    private static bool HasWildcard(string subject) => subject.Contains('*', StringComparison.Ordinal) || subject.Contains('>', StringComparison.Ordinal);

    /// <summary>Recalculates the first and last sequence of every subject <paramref name="filter"/> matches, as the
    /// server's filtered lookups and counts do on their way.</summary>
    private void RecalculateMatching(string filter)
    {
        if (!HasWildcard(filter))
        {
            if (_fss.TryGetValue(filter, out var one))
            {
                Recalculate(filter, one);
            }

            return;
        }

        foreach (var (subject, ss) in _fss)
        {
            if (Subjects.Matches(filter, subject))
            {
                Recalculate(subject, ss);
            }
        }
    }

    /// <summary>The last message matching <paramref name="subject"/> (wildcards allowed), or <see langword="null"/>.</summary>
    public StoredMessage? LoadLast(string? subject)
    {
        if (string.IsNullOrEmpty(subject) || subject == ">")
        {
            return Get(LastSeq);
        }

        if (!HasWildcard(subject))
        {
            // The server reads the subject's last sequence as it stands, without recalculating it: after the subject's
            // newest message is removed while two or more remain, it names a removed message until something
            // recalculates the subject (a filtered count or lookup), and the answer is "no message found" (S-151).
            if (_fss.TryGetValue(subject, out var ss) && ss.Msgs > 0)
            {
                return Get(ss.Last);
            }

            return null;
        }

        var fs = FilteredState(1, subject, lastPerSubject: true);
        return fs.Msgs > 0 ? Get(fs.Last) : null;
    }

    /// <summary>The number of messages on one literal subject.</summary>
    public ulong CountOnSubject(string subject) => _fss.TryGetValue(subject, out var ss) ? ss.Msgs : 0;

    /// <summary>Per matching subject, its message count (the server's subjects totals).</summary>
    public IEnumerable<string> SubjectsMatching(string? filter)
    {
        var all = string.IsNullOrEmpty(filter) || filter == ">";
        foreach (var subject in _fss.Keys)
        {
            if (all || Subjects.Matches(filter!, subject))
            {
                yield return subject;
            }
        }
    }

    /// <summary>
    /// Messages at or after <paramref name="sseq"/> matching <paramref name="filter"/>: their count (for last per subject,
    /// subjects), first and last sequence. The server's algorithm, including its shortcuts, so counts agree where they
    /// are approximate.
    /// </summary>
    /// <remarks>Long because it is the server's one filtered-state computation: totals from the per-subject state,
    /// then a scan in whichever direction is shorter.</remarks>
    public (ulong Msgs, ulong First, ulong Last) FilteredState(ulong sseq, string? filter, bool lastPerSubject)
    {
        if (File)
        {
            return FileFilteredState(sseq, filter, lastPerSubject);
        }

        if (sseq < FirstSeq)
        {
            sseq = FirstSeq;
        }

        if (sseq > LastSeq)
        {
            return (0, 0, 0);
        }

        var all = string.IsNullOrEmpty(filter) || filter == ">";
        if (all && sseq <= FirstSeq)
        {
            return (lastPerSubject ? (ulong)_fss.Count : (ulong)Messages, FirstSeq, LastSeq);
        }

        bool IsMatch(string subject) => all || Subjects.Matches(filter!, subject);
        var matched = new List<(string Subject, SubjectState State)>();
        foreach (var (subject, state) in _fss)
        {
            if (IsMatch(subject))
            {
                matched.Add((subject, state));
            }
        }

        return Scan(sseq, matched, IsMatch, lastPerSubject, includeFirstScan: true);
    }

    /// <summary>Pending count for one filter from <paramref name="sseq"/> (the server's NumPending).</summary>
    public ulong NumPending(ulong sseq, string? filter, bool lastPerSubject) => FilteredState(sseq, filter, lastPerSubject).Msgs;

    /// <summary>
    /// Pending count for several filters from <paramref name="sseq"/> (the server's NumPendingMulti): the per-subject
    /// totals come from the subjects the server's filter tree reaches, which is not always every matching subject
    /// (S-103), while the scan that corrects partial subjects matches exactly.
    /// </summary>
    public ulong NumPendingMulti(ulong sseq, FilterSet filters, bool lastPerSubject)
    {
        if (File)
        {
            return FileNumPendingMulti(sseq, filters, lastPerSubject);
        }

        if (sseq < FirstSeq)
        {
            sseq = FirstSeq;
        }

        if (sseq > LastSeq)
        {
            return 0;
        }

        var matched = new List<(string Subject, SubjectState State)>();
        filters.Intersect(_fss.Keys, subject => matched.Add((subject, _fss[subject])));
        return Scan(sseq, matched, filters.Matches, lastPerSubject, includeFirstScan: false).Msgs;
    }

    private (ulong Msgs, ulong First, ulong Last) Scan(
        ulong sseq,
        List<(string Subject, SubjectState State)> matched,
        Func<string, bool> isMatch,
        bool lastPerSubject,
        bool includeFirstScan)
    {
        ulong msgs = 0, first = 0, last = 0, skipped = 0;
        var partial = false;
        foreach (var (subject, fss) in matched)
        {
            Recalculate(subject, fss);
            if (sseq <= fss.First || sseq <= fss.Last)
            {
                partial |= sseq > fss.First;
                var (n, f, l) = lastPerSubject ? (1UL, fss.Last, fss.Last) : (fss.Msgs, fss.First, fss.Last);
                msgs += n;
                first = first == 0 || f < first ? f : first;
                last = Math.Max(last, l);
            }
            else
            {
                skipped += fss.Msgs;
            }
        }

        if (!partial)
        {
            return (msgs, first, last);
        }

        var lo = first;
        var needScanFirst = false;
        if (lo < sseq)
        {
            lo = sseq;
            needScanFirst = true;
        }

        var seen = lastPerSubject ? new HashSet<string>(StringComparer.Ordinal) : null;
        var toScan = last - lo;
        var toExclude = lo - FirstSeq + LastSeq - last;
        if (toScan < toExclude)
        {
            msgs = 0;
            first = 0;
            for (var s = lo; s <= last; s++)
            {
                if (Get(s) is { } m && (seen is null || !seen.Contains(m.Subject)) && isMatch(m.Subject))
                {
                    msgs++;
                    first = first == 0 ? s : first;
                    seen?.Add(m.Subject);
                }
            }

            return (msgs, first, last);
        }

        // Adjust the totals by what lies before the start (and, as the server does, after the last match but
        // before the stream's last sequence).
        first = lo;
        msgs += skipped;
        ulong adjust = 0;
        for (var s = FirstSeq; s < lo; s++)
        {
            if (Get(s) is { } m && (seen is null || !seen.Contains(m.Subject)) && isMatch(m.Subject))
            {
                SubjectState? tss = lastPerSubject ? _fss.GetValueOrDefault(m.Subject) : null;
                if (tss is null || tss.Last < lo)
                {
                    adjust++;
                }

                seen?.Add(m.Subject);
            }
        }

        for (var s = last + 1; s < LastSeq; s++)
        {
            if (Get(s) is { } m && (seen is null || !seen.Contains(m.Subject)) && isMatch(m.Subject))
            {
                adjust++;
                seen?.Add(m.Subject);
            }
        }

        msgs -= Math.Min(adjust, msgs);
        if (needScanFirst && includeFirstScan)
        {
            for (var s = lo; s < last; s++)
            {
                if (Get(s) is { } m && isMatch(m.Subject))
                {
                    first = s;
                    break;
                }
            }
        }

        return (msgs, first, last);
    }

    private void EnforcePerSubjectLimit(string subject, SubjectState ss)
    {
        if (_maxp <= 0)
        {
            return;
        }

        while (ss.Msgs > (ulong)_maxp)
        {
            Recalculate(subject, ss);
            if (!Remove(ss.First))
            {
                break;
            }
        }
    }

    private void RemoveSeqPerSubject(string subject, ulong seq)
    {
        if (!_fss.TryGetValue(subject, out var ss))
        {
            return;
        }

        if (ss.Msgs == 1)
        {
            _fss.Remove(subject);
            return;
        }

        ss.Msgs--;
        if (ss.Msgs == 1)
        {
            if (!ss.LastNeedsUpdate && seq != ss.Last)
            {
                ss.First = ss.Last;
                ss.FirstNeedsUpdate = false;
                return;
            }

            if (!ss.FirstNeedsUpdate && seq != ss.First)
            {
                ss.Last = ss.First;
                ss.LastNeedsUpdate = false;
                return;
            }
        }

        ss.FirstNeedsUpdate |= seq == ss.First;
        ss.LastNeedsUpdate |= seq == ss.Last;
    }

    private void Recalculate(string subject, SubjectState ss)
    {
        if (ss.FirstNeedsUpdate)
        {
            for (var s = Math.Max(ss.First + 1, FirstSeq); s <= ss.Last; s++)
            {
                if (Get(s) is { } m && m.Subject == subject)
                {
                    ss.First = s;
                    ss.FirstNeedsUpdate = false;
                    if (ss.Msgs == 1)
                    {
                        ss.Last = s;
                        ss.LastNeedsUpdate = false;
                        return;
                    }

                    break;
                }
            }
        }

        if (ss.LastNeedsUpdate)
        {
            for (var s = Math.Min(ss.Last - 1, LastSeq); s >= ss.First && s > 0; s--)
            {
                if (Get(s) is { } m && m.Subject == subject)
                {
                    ss.Last = s;
                    ss.LastNeedsUpdate = false;
                    if (ss.Msgs == 1)
                    {
                        ss.First = s;
                        ss.FirstNeedsUpdate = false;
                    }

                    return;
                }
            }
        }
    }

    /// <summary>What the store knows of one subject: count, first and last sequence (updated lazily, as the server does).</summary>
    private sealed class SubjectState
    {
        public ulong Msgs { get; set; }

        public ulong First { get; set; }

        public ulong Last { get; set; }

        public bool FirstNeedsUpdate { get; set; }

        public bool LastNeedsUpdate { get; set; }
    }
}
