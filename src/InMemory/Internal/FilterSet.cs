namespace Goflux.InMemory.Internal;

/// <summary>
/// A consumer's filter subjects: exact matching for deliveries, and the server's filter tree for counting several
/// filters at once.
/// </summary>
/// <remarks>
/// The server keeps several filters in a tree of tokens and walks it against the stream's subjects to total what is
/// pending (<c>IntersectStree</c>). The walk takes one branch per level: where a level has a full wildcard it matches
/// that and nothing else at the level; where it has a partial wildcard it follows only the wildcard; and a filter that
/// ends where a longer one continues is not matched itself. So with filters such as <c>*.x</c> and <c>a.y</c>,
/// messages on <c>a.y</c> are delivered but not counted in <c>num_pending</c> (S-103). <see cref="Intersect"/> walks
/// the same way, so the engine counts what the server counts.
/// </remarks>
internal sealed class FilterSet
{
    private readonly string[] _filters;
    private readonly Level _root = new();

    public FilterSet(IReadOnlyList<string> filters)
    {
        _filters = [.. filters];
        foreach (var f in _filters)
        {
            var level = _root;
            var tokens = f.Split('.');
            for (var i = 0; i < tokens.Length; i++)
            {
                var t = tokens[i];
                Node node;
                if (t == ">")
                {
                    node = level.Fwc ??= new Node();
                }
                else if (t == "*")
                {
                    node = level.Pwc ??= new Node();
                }
                else if (!level.Nodes.TryGetValue(t, out node!))
                {
                    node = new Node();
                    level.Nodes[t] = node;
                }

                if (i == tokens.Length - 1)
                {
                    node.Subscriptions++;
                }
                else
                {
                    level = node.Next ??= new Level();
                }
            }
        }
    }

    /// <summary>Gets the filters, in configuration order.</summary>
    public IReadOnlyList<string> Filters => _filters;

    /// <summary>Whether any filter matches the literal <paramref name="subject"/>.</summary>
    public bool Matches(string subject)
    {
        foreach (var f in _filters)
        {
            if (Subjects.Matches(f, subject))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Calls <paramref name="visit"/> for each of <paramref name="subjects"/> the server's filter tree reaches.</summary>
    public void Intersect(IEnumerable<string> subjects, Action<string> visit)
    {
        var all = subjects as ICollection<string> ?? [.. subjects];
        Walk(_root, string.Empty, all, visit);
    }

    private static void Walk(Level? level, string prefix, ICollection<string> subjects, Action<string> visit)
    {
        if (level is null || level.Count == 0)
        {
            if (prefix.Contains('*', StringComparison.Ordinal) || prefix.Contains('>', StringComparison.Ordinal))
            {
                MatchAll(prefix, subjects, visit);
            }
            else if (subjects.Contains(prefix))
            {
                visit(prefix);
            }

            return;
        }

        var next = prefix.Length > 0 ? prefix + "." : prefix;
        if (level.Fwc is not null)
        {
            MatchAll(next + ">", subjects, visit);
        }
        else if (level.Pwc is { } pwc)
        {
            var pattern = next + "*";
            if (pwc.Subscriptions > 0 && pwc.Next is { Count: > 0 })
            {
                MatchAll(pattern, subjects, visit);
            }

            Walk(pwc.Next, pattern, subjects, visit);
        }
        else
        {
            foreach (var (token, node) in level.Nodes)
            {
                Walk(node.Next, next + token, subjects, visit);
            }
        }
    }

    private static void MatchAll(string pattern, ICollection<string> subjects, Action<string> visit)
    {
        foreach (var s in subjects)
        {
            if (Subjects.Matches(pattern, s))
            {
                visit(s);
            }
        }
    }

    private sealed class Level
    {
        public Dictionary<string, Node> Nodes { get; } = new(StringComparer.Ordinal);

        public Node? Pwc { get; set; }

        public Node? Fwc { get; set; }

        public int Count => Nodes.Count + (Pwc is null ? 0 : 1) + (Fwc is null ? 0 : 1);
    }

    private sealed class Node
    {
        public Level? Next { get; set; }

        public int Subscriptions { get; set; }
    }
}
