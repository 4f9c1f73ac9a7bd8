namespace Goflux.InMemory.Internal;

/// <summary>
/// Values keyed by subject pattern, looked up by literal subject in time that grows with the subject's token count, not
/// with the number of patterns: a tree of tokens with a branch for <c>*</c> and one for <c>&gt;</c> per level, the way
/// the server routes a publish to its streams and a stored message to the consumers whose filters match it.
/// </summary>
/// <typeparam name="T">The value type.</typeparam>
/// <remarks>Not thread-safe: used under the engine lock. A lookup allocates nothing.</remarks>
internal sealed class SubjectIndex<T>
    where T : class
{
    private readonly Node _root = new();

    /// <summary>Gets how many (pattern, value) pairs the index holds.</summary>
    public int Count { get; private set; }

    /// <summary>Adds <paramref name="value"/> under <paramref name="pattern"/> (a valid subject, wildcards allowed).</summary>
    public void Add(string pattern, T value)
    {
        var node = _root;
        foreach (var range in pattern.AsSpan().Split('.'))
        {
            var token = pattern[range];
            node = token switch
            {
                "*" => node.Pwc ??= new Node(),
                ">" => node.Fwc ??= new Node(),
                _ => node.Child(token),
            };
        }

        (node.Values ??= []).Add(value);
        Count++;
    }

    /// <summary>
    /// Appends to <paramref name="into"/> the value of every pattern that matches the literal <paramref name="subject"/>
    /// (a value added under two matching patterns appears twice).
    /// </summary>
    public void Match(string subject, List<T> into)
    {
        if (Count > 0)
        {
            Match(_root, subject.AsSpan(), into);
        }
    }

    private static void Match(Node node, ReadOnlySpan<char> rest, List<T> into)
    {
        // rest is never empty here: the subject is literal and has at least one token left.
        var dot = rest.IndexOf('.');
        var token = dot < 0 ? rest : rest[..dot];
        var tail = dot < 0 ? [] : rest[(dot + 1)..];
        if (node.Fwc?.Values is { } all)
        {
            into.AddRange(all);
        }

        if (node.Pwc is { } pwc)
        {
            Next(pwc, dot < 0, tail, into);
        }

        if (node.Literals is { } literals && literals.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(token, out var child))
        {
            Next(child, dot < 0, tail, into);
        }
    }

    private static void Next(Node node, bool last, ReadOnlySpan<char> tail, List<T> into)
    {
        if (last)
        {
            if (node.Values is { } values)
            {
                into.AddRange(values);
            }
        }
        else
        {
            Match(node, tail, into);
        }
    }

    private sealed class Node
    {
        public Dictionary<string, Node>? Literals { get; set; }

        public Node? Pwc { get; set; }

        public Node? Fwc { get; set; }

        public List<T>? Values { get; set; }

        public Node Child(string token)
        {
            var literals = Literals ??= new Dictionary<string, Node>(StringComparer.Ordinal);
            if (!literals.TryGetValue(token, out var child))
            {
                child = new Node();
                literals[token] = child;
            }

            return child;
        }
    }
}
