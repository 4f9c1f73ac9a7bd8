using System.Runtime.InteropServices;
using Goflux;

namespace Goflux.InMemory.Internal;

/// <summary>
/// The store's messages by sequence: a window of value slots, the first at <see cref="Base"/>. Removing a message
/// empties its slot; empty slots at the front are skipped, and dropped once they are most of the window, so a stream
/// that keeps only its newest messages does not grow. The payloads live in the engine's <see cref="PayloadArena"/>.
/// Runs under the engine lock.
/// </summary>
internal sealed class SlotTable
{
    private readonly List<StoreSlot> _slots = [];
    private readonly PayloadArena _arena;
    private int _head; // no message below this slot index

    /// <summary>Initializes a new instance of the <see cref="SlotTable"/> class.</summary>
    /// <param name="arena">The engine's payload pages.</param>
    public SlotTable(PayloadArena arena) => _arena = arena;

    /// <summary>Gets the sequence of the window's first slot.</summary>
    public ulong Base { get; private set; } = 1;

    /// <summary>The message stored under <paramref name="seq"/>, or <see langword="null"/>.</summary>
    public StoredMessage? Get(ulong seq)
    {
        if (seq < Base)
        {
            return null;
        }

        var idx = seq - Base;
        if (idx >= (ulong)_slots.Count)
        {
            return null;
        }

        var slot = _slots[(int)idx];
        return slot.IsEmpty ? null : slot.At(seq);
    }

    /// <summary>The first stored message at or after <paramref name="seq"/>, or <see langword="null"/>.</summary>
    public StoredMessage? NextFrom(ulong seq)
    {
        var start = seq < Base ? 0UL : seq - Base;
        if (start < (ulong)_head)
        {
            start = (ulong)_head;
        }

        for (var i = (int)Math.Min(start, (ulong)_slots.Count); i < _slots.Count; i++)
        {
            if (!_slots[i].IsEmpty)
            {
                return _slots[i].At(Base + (ulong)i);
            }
        }

        return null;
    }

    /// <summary>Every stored message in sequence order.</summary>
    public IEnumerable<StoredMessage> All()
    {
        for (var i = _head; i < _slots.Count; i++)
        {
            if (!_slots[i].IsEmpty)
            {
                yield return _slots[i].At(Base + (ulong)i);
            }
        }
    }

    /// <summary>Stores a message under <paramref name="seq"/>, past the last sequence placed, its payload copied into the
    /// arena; an empty table restarts its window there.</summary>
    public StoredMessage Place(ulong seq, string subject, ReadOnlySpan<byte> data, MessageHeaders? headers, long utcTicks, long size)
    {
        if (_head >= _slots.Count)
        {
            Reset(seq);
        }

        while ((ulong)_slots.Count <= seq - Base)
        {
            _slots.Add(default);
        }

        var page = _arena.Add(data, out var offset);
        var slot = new StoreSlot(subject, page, offset, data.Length, headers, utcTicks, size);
        _slots[(int)(seq - Base)] = slot;
        return slot.At(seq);
    }

    /// <summary>Empties the slot of <paramref name="seq"/>, which must hold a message, and forgets its payload; call
    /// <see cref="Compact"/> once a batch of removals is done.</summary>
    public void Clear(ulong seq)
    {
        ref var slot = ref CollectionsMarshal.AsSpan(_slots)[(int)(seq - Base)];
        Forget(slot);
        slot = default;
    }

    /// <summary>Drops every slot, forgetting their payloads; the window starts again at <paramref name="seq"/>.</summary>
    public void Reset(ulong seq)
    {
        foreach (ref readonly var slot in CollectionsMarshal.AsSpan(_slots)[_head..])
        {
            Forget(slot);
        }

        _slots.Clear();
        _head = 0;
        Base = seq;
    }

    /// <summary>Skips the empty slots at the front, dropping them once they are over half the window.</summary>
    public void Compact()
    {
        while (_head < _slots.Count && _slots[_head].IsEmpty)
        {
            _head++;
        }

        if (_head > 1024 && _head > _slots.Count / 2)
        {
            _slots.RemoveRange(0, _head);
            Base += (ulong)_head;
            _head = 0;
        }
    }

    /// <summary>Tells the arena the payload of <paramref name="slot"/> is no longer stored.</summary>
    private void Forget(in StoreSlot slot)
    {
        if (slot.Page is { } page)
        {
            _arena.Remove(page, slot.Length);
        }
    }

    /// <summary>Copies every payload into the arena again, during its rewrite (see <see cref="PayloadArena"/>).</summary>
    public void RewritePayloads()
    {
        foreach (ref var slot in CollectionsMarshal.AsSpan(_slots)[_head..])
        {
            if (slot.Page is not null)
            {
                var page = _arena.Add(slot.Data.Span, out var offset);
                slot = slot.MovedTo(page, offset);
            }
        }
    }
}
