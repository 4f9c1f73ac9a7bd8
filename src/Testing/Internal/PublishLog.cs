using System.Text;

namespace Goflux.Testing.Internal;

/// <summary>Every message stored through a <see cref="TestBackend"/>'s publishers, in the order the stream acknowledged them. Thread-safe.</summary>
internal sealed class PublishLog
{
    private readonly List<object> _published = [];

    public int Count
    {
        get
        {
            lock (_published)
            {
                return _published.Count;
            }
        }
    }

    public void Add(object published)
    {
        lock (_published)
        {
            _published.Add(published);
        }
    }

    public IReadOnlyList<PublishedMessage<T>> Of<T>()
    {
        lock (_published)
        {
            return [.. _published.OfType<PublishedMessage<T>>()];
        }
    }

    public override string ToString()
    {
        object[] all;
        lock (_published)
        {
            all = [.. _published];
        }

        if (all.Length == 0)
        {
            return "published: nothing";
        }

        var text = new StringBuilder("published: ").Append(all.Length).Append(" messages");
        foreach (var p in all)
        {
            text.AppendLine().Append("  ").Append(p);
        }

        return text.ToString();
    }
}
