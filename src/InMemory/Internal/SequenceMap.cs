using System.Runtime.InteropServices;

namespace Goflux.InMemory.Internal;

/// <summary>
/// Values by stream sequence, with the lowest sequence and the next one after a given sequence found without
/// allocating: a hash map for lookups beside the sequences in ascending order, where a removed sequence stays until the
/// walk passes it or the list is compacted. Sequences mostly arrive in ascending order (a consumer delivers forward), so
/// an add is an append; a lower one is inserted in place.
/// </summary>
/// <typeparam name="T">The value type.</typeparam>
/// <remarks>Not thread-safe: used under the engine lock. Do not change the map while enumerating it.</remarks>
internal sealed class SequenceMap<T> : IEnumerable<KeyValuePair<ulong, T>>
{
    private readonly Dictionary<ulong, T> _values = [];

    /// <summary>Ascending from <see cref="_head"/>; holds every key of <see cref="_values"/> and some removed ones.</summary>
    private readonly List<ulong> _order = [];
    private int _head;

    public int Count => _values.Count;

    public bool TryGetValue(ulong seq, out T value) => _values.TryGetValue(seq, out value!);

    public bool ContainsKey(ulong seq) => _values.ContainsKey(seq);

    /// <summary>A reference to the value of <paramref name="seq"/> in the map, or a null reference; valid until the map
    /// changes.</summary>
    public ref T GetValueRefOrNullRef(ulong seq) => ref CollectionsMarshal.GetValueRefOrNullRef(_values, seq);

    /// <summary>Adds <paramref name="seq"/>, or replaces its value.</summary>
    public void Set(ulong seq, T value)
    {
        if (_values.TryAdd(seq, value))
        {
            var live = _order.Count - _head;
            if (live == 0 || seq > _order[^1])
            {
                _order.Add(seq);
            }
            else
            {
                var at = _order.BinarySearch(_head, live, seq, null);
                if (at < 0)
                {
                    _order.Insert(~at, seq); // else a removed sequence is back in its old place
                }
            }
        }
        else
        {
            _values[seq] = value;
        }
    }

    public bool Remove(ulong seq, out T value)
    {
        if (!_values.Remove(seq, out value!))
        {
            return false;
        }

        if (_values.Count == 0)
        {
            _order.Clear();
            _head = 0;
        }
        else if (_order.Count - _head > (2 * _values.Count) + 64)
        {
            Compact();
        }
        else
        {
            SkipRemoved();
        }

        return true;
    }

    public void Clear()
    {
        _values.Clear();
        _order.Clear();
        _head = 0;
    }

    /// <summary>Finds the lowest sequence above <paramref name="seq"/>.</summary>
    public bool TryGetNext(ulong seq, out ulong next, out T value)
    {
        var live = _order.Count - _head;
        var at = live == 0 ? _head : _order.BinarySearch(_head, live, seq, null);
        for (var i = at < 0 ? ~at : at + 1; i < _order.Count; i++)
        {
            if (_values.TryGetValue(_order[i], out value!))
            {
                next = _order[i];
                return true;
            }
        }

        next = 0;
        value = default!;
        return false;
    }

    /// <summary>Gets an enumerator over the entries in ascending sequence order.</summary>
    public Enumerator GetEnumerator() => new(this);

    IEnumerator<KeyValuePair<ulong, T>> IEnumerable<KeyValuePair<ulong, T>>.GetEnumerator()
    {
        var e = GetEnumerator();
        while (e.MoveNext())
        {
            yield return e.Current;
        }
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator()
        => ((IEnumerable<KeyValuePair<ulong, T>>)this).GetEnumerator();

    private void SkipRemoved()
    {
        while (_head < _order.Count && !_values.ContainsKey(_order[_head]))
        {
            _head++;
        }

        if (_head > 1024 && _head > _order.Count / 2)
        {
            _order.RemoveRange(0, _head);
            _head = 0;
        }
    }

    private void Compact()
    {
        var kept = 0;
        for (var i = _head; i < _order.Count; i++)
        {
            if (_values.ContainsKey(_order[i]))
            {
                _order[kept++] = _order[i];
            }
        }

        _order.RemoveRange(kept, _order.Count - kept);
        _head = 0;
    }

    /// <summary>Enumerates the entries in ascending sequence order, without allocating.</summary>
    public struct Enumerator
    {
        private readonly SequenceMap<T> _map;
        private int _i;

        internal Enumerator(SequenceMap<T> map)
        {
            _map = map;
            _i = map._head - 1;
            Current = default;
        }

        public KeyValuePair<ulong, T> Current { get; private set; }

        public bool MoveNext()
        {
            while (++_i < _map._order.Count)
            {
                var seq = _map._order[_i];
                if (_map._values.TryGetValue(seq, out var value))
                {
                    Current = new(seq, value);
                    return true;
                }
            }

            return false;
        }
    }
}
