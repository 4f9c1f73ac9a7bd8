namespace Goflux.InMemory.Internal;

/// <summary>The store's reads for consumers: the next message for a filter, the first at a time, a walk in order.</summary>
internal sealed partial class MessageStore
{
    /// <summary>The stored messages at or after <paramref name="seq"/>, in sequence order, each looked up by sequence
    /// after the one before (so the store may change between them).</summary>
    public Cursor From(ulong seq) => new(this, seq);

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
