namespace Goflux.InMemory.Server;

/// <summary>One client subscription (<c>SUB subject [queue] sid</c>).</summary>
internal sealed class Subscription(ServerConnection connection, string subject, string? queue, string sid)
{
    private long _delivered;

    public ServerConnection Connection { get; } = connection;

    public string Subject { get; } = subject;

    public string? Queue { get; } = queue;

    public string Sid { get; } = sid;

    public bool Wildcard { get; } = subject.Contains('*', StringComparison.Ordinal) || subject.Contains('>', StringComparison.Ordinal);

    /// <summary>Gets or sets the engine's listener for this subscription (push deliveries).</summary>
    public ClientPushListener? Listener { get; set; }

    /// <summary>Gets or sets the message count after which the subscription ends (<c>UNSUB sid max</c>); 0 for none.</summary>
    public long Max { get; set; }

    /// <summary>Gets how many messages were delivered to the subscription.</summary>
    public long Delivered => Interlocked.Read(ref _delivered);

    /// <summary>Counts one delivery; <see langword="true"/> when it was the last one allowed.</summary>
    public bool CountDelivery()
    {
        var n = Interlocked.Increment(ref _delivered);
        return Max > 0 && n >= Max;
    }
}

/// <summary>
/// The server's subscription index: literal subjects by name, wildcard subscriptions in a list, queue groups served
/// one member per message (in turn).
/// </summary>
internal sealed class SubjectRouter
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, List<Subscription>> _literal = new(StringComparer.Ordinal);
    private readonly List<Subscription> _wildcard = [];
    private readonly Dictionary<string, int> _turns = new(StringComparer.Ordinal);

    public void Add(Subscription sub)
    {
        lock (_gate)
        {
            if (sub.Wildcard)
            {
                _wildcard.Add(sub);
            }
            else if (_literal.TryGetValue(sub.Subject, out var list))
            {
                list.Add(sub);
            }
            else
            {
                _literal[sub.Subject] = [sub];
            }
        }
    }

    public void Remove(Subscription sub)
    {
        lock (_gate)
        {
            if (sub.Wildcard)
            {
                _wildcard.Remove(sub);
            }
            else if (_literal.TryGetValue(sub.Subject, out var list))
            {
                list.Remove(sub);
                if (list.Count == 0)
                {
                    _literal.Remove(sub.Subject);
                }
            }
        }
    }

    /// <summary>How many subscriptions (each queue group member counted) match <paramref name="subject"/>.</summary>
    public int Count(string subject)
    {
        lock (_gate)
        {
            var n = _literal.TryGetValue(subject, out var list) ? list.Count : 0;
            foreach (var s in _wildcard)
            {
                if (Subjects.Matches(s.Subject, subject))
                {
                    n++;
                }
            }

            return n;
        }
    }

    /// <summary>Whether any subscription matches <paramref name="subject"/>.</summary>
    public bool HasInterest(string subject)
    {
        lock (_gate)
        {
            if (_literal.ContainsKey(subject))
            {
                return true;
            }

            foreach (var s in _wildcard)
            {
                if (Subjects.Matches(s.Subject, subject))
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>
    /// The subscriptions a message on <paramref name="subject"/> goes to: every plain subscription, and one member of each
    /// queue group. <paramref name="skip"/> (a connection that asked for no echo) is left out.
    /// </summary>
    /// <returns>The receivers, or <see langword="null"/> when none.</returns>
    public List<Subscription>? Match(string subject, ServerConnection? skip)
    {
        lock (_gate)
        {
            List<Subscription>? result = null;
            Dictionary<string, List<Subscription>>? groups = null;
            if (_literal.TryGetValue(subject, out var list))
            {
                foreach (var s in list)
                {
                    Collect(s, skip, ref result, ref groups);
                }
            }

            foreach (var s in _wildcard)
            {
                if (Subjects.Matches(s.Subject, subject))
                {
                    Collect(s, skip, ref result, ref groups);
                }
            }

            if (groups is not null)
            {
                foreach (var (queue, members) in groups)
                {
                    var turn = _turns.GetValueOrDefault(queue);
                    _turns[queue] = turn + 1;
                    (result ??= []).Add(members[(int)((uint)turn % (uint)members.Count)]);
                }
            }

            return result;
        }
    }

    private static void Collect(Subscription s, ServerConnection? skip, ref List<Subscription>? result, ref Dictionary<string, List<Subscription>>? groups)
    {
        if (s.Connection == skip)
        {
            return;
        }

        if (s.Queue is null)
        {
            (result ??= []).Add(s);
            return;
        }

        groups ??= new(StringComparer.Ordinal);
        if (!groups.TryGetValue(s.Queue, out var members))
        {
            groups[s.Queue] = members = [];
        }

        members.Add(s);
    }
}
