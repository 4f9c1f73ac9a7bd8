using Goflux;

namespace Goflux.InMemory.Internal;

/// <summary>One stream's stored messages, by sequence and by subject. Every member runs under the engine lock.</summary>
internal sealed class MessageStore
{
    private readonly List<StoredMessage?> _slots = [];
    private readonly Dictionary<string, SubjectState> _subjects = new(StringComparer.Ordinal);
    private int _head;
    private ulong _slotBase = 1; // sequence of _slots[0]

    public ulong LastSeq { get; private set; }

    public DateTimeOffset LastTime { get; private set; }

    public long Messages { get; private set; }

    public long Bytes { get; private set; }

    public ulong FirstSeq
    {
        get
        {
            var first = FirstStored();
            return first?.Sequence ?? LastSeq + 1;
        }
    }

    public int NumSubjects => _subjects.Count;

    public StoredMessage? FirstStored()
    {
        for (var i = _head; i < _slots.Count; i++)
        {
            if (_slots[i] is { } m)
            {
                return m;
            }
        }

        return null;
    }

    public StoredMessage? Get(ulong seq)
    {
        if (seq < _slotBase)
        {
            return null;
        }

        var idx = seq - _slotBase;
        return idx < (ulong)_slots.Count ? _slots[(int)idx] : null;
    }

    /// <summary>The next stored message at or after <paramref name="seq"/>.</summary>
    public StoredMessage? NextFrom(ulong seq)
    {
        var start = seq < _slotBase ? 0 : seq - _slotBase;
        if (start < (ulong)_head)
        {
            start = (ulong)_head;
        }

        for (var i = (int)Math.Min(start, (ulong)_slots.Count); i < _slots.Count; i++)
        {
            if (_slots[i] is { } m)
            {
                return m;
            }
        }

        return null;
    }

    public IEnumerable<StoredMessage> All()
    {
        for (var i = _head; i < _slots.Count; i++)
        {
            if (_slots[i] is { } m)
            {
                yield return m;
            }
        }
    }

    public ulong LastSeqOnSubject(string subject)
    {
        if (!_subjects.TryGetValue(subject, out var s))
        {
            return 0;
        }

        while (s.Seqs.Count > 0)
        {
            var last = s.Seqs.PeekLast();
            if (Get(last) is not null)
            {
                return last;
            }

            s.Seqs.PopLast();
        }

        return 0;
    }

    public int CountOnSubject(string subject) => _subjects.TryGetValue(subject, out var s) ? s.Count : 0;

    public IEnumerable<(string Subject, ulong LastSeq)> LastPerSubject()
    {
        foreach (var (subject, _) in _subjects)
        {
            var last = LastSeqOnSubject(subject);
            if (last != 0)
            {
                yield return (subject, last);
            }
        }
    }

    public ulong OldestOnSubject(string subject)
    {
        if (!_subjects.TryGetValue(subject, out var s))
        {
            return 0;
        }

        while (s.Seqs.Count > 0)
        {
            var first = s.Seqs.PeekFirst();
            if (Get(first) is not null)
            {
                return first;
            }

            s.Seqs.PopFirst();
        }

        return 0;
    }

    public ulong NextSequence() => LastSeq + 1;

    /// <summary>Assigns a sequence without storing anything (interest retention with no interest).</summary>
    public void Skip(DateTimeOffset now)
    {
        LastSeq++;
        LastTime = now;
        EnsureSlot(LastSeq);
    }

    public StoredMessage Store(string subject, byte[] data, MessageHeaders? headers, long size, DateTimeOffset now, string? msgId)
    {
        var seq = ++LastSeq;
        var m = new StoredMessage(seq, subject, data, headers, now, msgId, size);
        EnsureSlot(seq);
        _slots[(int)(seq - _slotBase)] = m;
        Messages++;
        Bytes += size;
        LastTime = now;
        if (!_subjects.TryGetValue(subject, out var st))
        {
            st = new SubjectState();
            _subjects[subject] = st;
        }

        st.Count++;
        st.Seqs.PushLast(seq);
        return m;
    }

    public bool Remove(ulong seq, out StoredMessage? removed)
    {
        removed = Get(seq);
        if (removed is null)
        {
            return false;
        }

        _slots[(int)(seq - _slotBase)] = null;
        Messages--;
        Bytes -= removed.Size;
        if (_subjects.TryGetValue(removed.Subject, out var st))
        {
            st.Count--;
            while (st.Seqs.Count > 0 && Get(st.Seqs.PeekFirst()) is null)
            {
                st.Seqs.PopFirst();
            }

            if (st.Count == 0)
            {
                _subjects.Remove(removed.Subject);
            }
        }

        Compact();
        return true;
    }

    public void Purge()
    {
        _slots.Clear();
        _head = 0;
        _slotBase = LastSeq + 1;
        _subjects.Clear();
        Messages = 0;
        Bytes = 0;
    }

    private void EnsureSlot(ulong seq)
    {
        if (Messages == 0)
        {
            // Nothing stored: restart the window at this sequence.
            _slots.Clear();
            _head = 0;
            _slotBase = seq;
        }

        while ((ulong)_slots.Count <= seq - _slotBase)
        {
            _slots.Add(null);
        }
    }

    private void Compact()
    {
        while (_head < _slots.Count && _slots[_head] is null)
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

    private sealed class SubjectState
    {
        public int Count { get; set; }

        public Deque Seqs { get; } = new();
    }

    /// <summary>A small growable deque of sequences.</summary>
    internal sealed class Deque
    {
        private ulong[] _items = new ulong[4];
        private int _start;
        private int _count;

        public int Count => _count;

        public void PushLast(ulong v)
        {
            if (_count == _items.Length)
            {
                var next = new ulong[_items.Length * 2];
                for (var i = 0; i < _count; i++)
                {
                    next[i] = _items[(_start + i) % _items.Length];
                }

                _items = next;
                _start = 0;
            }

            _items[(_start + _count) % _items.Length] = v;
            _count++;
        }

        public ulong PeekFirst() => _items[_start];

        public ulong PeekLast() => _items[(_start + _count - 1) % _items.Length];

        public void PopFirst()
        {
            _start = (_start + 1) % _items.Length;
            _count--;
        }

        public void PopLast() => _count--;
    }
}
