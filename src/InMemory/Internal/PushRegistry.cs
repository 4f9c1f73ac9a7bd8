namespace Goflux.InMemory.Internal;

/// <summary>
/// A subscription on a subject the engine delivers push consumers' messages to: a goflux subscriber on its consumer's
/// deliver subject, or an in-process NATS client's subscription. <see cref="Deliver"/> and <see cref="End"/> run as
/// effects, outside the engine lock.
/// </summary>
internal abstract class PushListener : IDeliverySink
{
    protected PushListener(string subject, string? queue, bool tracksHandling)
    {
        Subject = subject;
        Queue = string.IsNullOrEmpty(queue) ? null : queue;
        TracksHandling = tracksHandling;
        Wildcard = subject.Contains('*', StringComparison.Ordinal) || subject.Contains('>', StringComparison.Ordinal);
    }

    /// <summary>Gets the subject (a pattern for a client's wildcard subscription).</summary>
    public string Subject { get; }

    /// <summary>Gets the queue group, or <see langword="null"/>.</summary>
    public string? Queue { get; }

    /// <summary>Gets a value indicating whether deliveries count as in flight until the listener reports them handled.</summary>
    public bool TracksHandling { get; }

    /// <summary>Gets a value indicating whether <see cref="Subject"/> has wildcards.</summary>
    public bool Wildcard { get; }

    /// <inheritdoc />
    public abstract void Deliver(InMemoryDelivery delivery);

    /// <inheritdoc />
    public virtual void End(Exception? error)
    {
    }
}

/// <summary>
/// The listeners on deliver subjects and the push consumers by deliver subject. Interest is the server's: a listener
/// on exactly the deliver subject, in the consumer's deliver group (none: a listener without a queue group); a wildcard
/// subscription or one in another queue group receives deliveries while the consumer is active but does not make it
/// active (S-126). Deliveries are routed as a publish is: to every listener without a queue group, and to one member
/// of each queue group, in turn (S-127). Under the engine lock.
/// </summary>
internal sealed class PushRegistry
{
    private readonly Dictionary<string, List<PushListener>> _literal = new(StringComparer.Ordinal);
    private readonly List<PushListener> _wildcard = [];
    private readonly Dictionary<string, List<ConsumerState>> _consumers = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Subject, string Queue), int> _turns = [];

    /// <summary>Gets a value indicating whether no listener is registered.</summary>
    public bool Empty => _literal.Count == 0 && _wildcard.Count == 0;

    public void Add(PushListener l)
    {
        if (l.Wildcard)
        {
            _wildcard.Add(l);
        }
        else if (_literal.TryGetValue(l.Subject, out var list))
        {
            list.Add(l);
        }
        else
        {
            _literal[l.Subject] = [l];
        }
    }

    public bool Remove(PushListener l)
    {
        if (l.Wildcard)
        {
            return _wildcard.Remove(l);
        }

        if (!_literal.TryGetValue(l.Subject, out var list) || !list.Remove(l))
        {
            return false;
        }

        if (list.Count == 0)
        {
            _literal.Remove(l.Subject);
        }

        return true;
    }

    /// <summary>Whether a listener on exactly <paramref name="subject"/> in <paramref name="group"/> (or in none) exists.</summary>
    public bool HasInterest(string subject, string? group)
    {
        if (!_literal.TryGetValue(subject, out var list))
        {
            return false;
        }

        var queue = string.IsNullOrEmpty(group) ? null : group;
        foreach (var l in list)
        {
            if (l.Queue == queue)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether any listener, wildcards and queue groups included, matches <paramref name="subject"/>.</summary>
    public bool AnyMatching(string subject)
    {
        if (_literal.ContainsKey(subject))
        {
            return true;
        }

        foreach (var l in _wildcard)
        {
            if (Subjects.Matches(l.Subject, subject))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The listeners one delivery on <paramref name="subject"/> goes to: each without a queue group, and one
    /// member of each queue group, in turn.</summary>
    public void Route(string subject, List<PushListener> into)
    {
        into.Clear();
        List<PushListener>? queued = null;
        void Collect(PushListener l)
        {
            if (l.Queue is null)
            {
                into.Add(l);
            }
            else
            {
                (queued ??= []).Add(l);
            }
        }

        if (_literal.TryGetValue(subject, out var list))
        {
            foreach (var l in list)
            {
                Collect(l);
            }
        }

        foreach (var l in _wildcard)
        {
            if (Subjects.Matches(l.Subject, subject))
            {
                Collect(l);
            }
        }

        if (queued is null)
        {
            return;
        }

        foreach (var group in queued.GroupBy(l => l.Queue!, StringComparer.Ordinal))
        {
            var members = group.ToList();
            var key = (subject, group.Key);
            var turn = _turns.GetValueOrDefault(key);
            _turns[key] = turn + 1;
            into.Add(members[(int)((uint)turn % (uint)members.Count)]);
        }
    }

    /// <summary>Every listener (a copy).</summary>
    public List<PushListener> All() => [.. _literal.Values.SelectMany(l => l), .. _wildcard];

    /// <summary>Records that <paramref name="c"/> delivers to <paramref name="subject"/>.</summary>
    public void Track(ConsumerState c, string subject)
    {
        if (!_consumers.TryGetValue(subject, out var list))
        {
            _consumers[subject] = list = [];
        }

        list.Add(c);
    }

    /// <summary>Forgets that <paramref name="c"/> delivers to <paramref name="subject"/>.</summary>
    public void Untrack(ConsumerState c, string subject)
    {
        if (_consumers.TryGetValue(subject, out var list) && list.Remove(c) && list.Count == 0)
        {
            _consumers.Remove(subject);
        }
    }

    /// <summary>Every push consumer.</summary>
    public IEnumerable<ConsumerState> Consumers => _consumers.Values.SelectMany(l => l);

    /// <summary>The push consumers delivering to <paramref name="subject"/> (a copy).</summary>
    public List<ConsumerState> ConsumersOn(string subject)
        => _consumers.TryGetValue(subject, out var list) ? [.. list] : [];
}
