namespace Goflux.InMemory.Internal;

/// <summary>Which consumers hear of a stored or removed message: an index of their signal subjects.</summary>
internal sealed partial class StreamState
{
    private static readonly Comparison<ConsumerState> ByOrdinal = static (a, b) => a.Ordinal.CompareTo(b.Ordinal);

    /// <summary>The consumers that hear of every message (no filter), in creation order.</summary>
    private readonly List<ConsumerState> _signalAll = [];
    private readonly Stack<List<ConsumerState>> _signalLists = new();

    /// <summary>The filtered consumers by signal subject; <see langword="null"/> until the next lookup rebuilds it.</summary>
    private SubjectIndex<ConsumerState>? _signalIndex;
    private long _consumerOrdinals;

    /// <summary>A consumer was added or removed, or its signal subjects changed: the next lookup rebuilds the index.</summary>
    public void SignalsChanged() => _signalIndex = null;

    /// <summary>
    /// The consumers whose signal subjects match <paramref name="subject"/> (the server's <c>signalConsumers</c>), in
    /// creation order, each once; a list to hand back with <see cref="Release"/>. The list is the caller's, so a consumer
    /// the callee removes on the way does not disturb the walk.
    /// </summary>
    private List<ConsumerState> Signaled(string subject)
    {
        var index = _signalIndex ?? RebuildSignals();
        var list = _signalLists.TryPop(out var l) ? l : [];
        list.AddRange(_signalAll);
        var unfiltered = list.Count;
        index.Match(subject, list);
        if (list.Count > 1 && list.Count > unfiltered)
        {
            list.Sort(ByOrdinal);
            var kept = 1;
            for (var i = 1; i < list.Count; i++)
            {
                if (!ReferenceEquals(list[i], list[kept - 1]))
                {
                    list[kept++] = list[i];
                }
            }

            list.RemoveRange(kept, list.Count - kept);
        }

        return list;
    }

    private void Release(List<ConsumerState> list)
    {
        list.Clear();
        _signalLists.Push(list);
    }

    /// <summary>Whether any consumer's signal subjects match <paramref name="subject"/> (interest retention, S-38).</summary>
    private bool HasInterest(string subject)
    {
        if (_signalIndex is not null && _signalAll.Count > 0)
        {
            return true;
        }

        var list = Signaled(subject);
        var any = list.Count > 0;
        Release(list);
        return any;
    }

    private SubjectIndex<ConsumerState> RebuildSignals()
    {
        var index = new SubjectIndex<ConsumerState>();
        _signalAll.Clear();
        foreach (var c in _consumers.Values.OrderBy(c => c.Ordinal))
        {
            if (c.SignalSubjects is not { } subjects)
            {
                _signalAll.Add(c);
                continue;
            }

            foreach (var f in subjects)
            {
                index.Add(f, c);
            }
        }

        return _signalIndex = index;
    }
}
