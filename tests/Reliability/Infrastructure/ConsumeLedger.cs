namespace Goflux.Reliability.Tests.Infrastructure;

/// <summary>What a subscriber handled: how often each id arrived and when (wall clock), for loss, duplicates and gaps.</summary>
public sealed class ConsumeLedger
{
    private readonly int[] _counts;
    private readonly Lock _gate = new();
    private readonly List<long> _times = [];
    private readonly List<ulong> _sequences = [];
    private long _handled;
    private long _firstDeliveryRepeats;

    public ConsumeLedger(int maxId)
    {
        _counts = new int[maxId + 1];
    }

    public long Handled => Interlocked.Read(ref _handled);

    /// <summary>Deliveries of an id already handled that still said NumDelivered 1 (the consumer's state rolled back).</summary>
    public long FirstDeliveryRepeats => Interlocked.Read(ref _firstDeliveryRepeats);

    public int Distinct => _counts.Skip(1).Count(c => c > 0);

    public long Missing => _counts.Skip(1).LongCount(c => c == 0);

    public long Duplicates => Handled - Distinct;

    public bool Has(long id) => Volatile.Read(ref _counts[id]) > 0;

    public void Record(Message<long> message)
    {
        var id = message.Payload;
        var now = TimeProvider.System.GetTimestamp();
        var before = id >= 1 && id < _counts.Length ? Interlocked.Increment(ref _counts[id]) - 1 : -1;
        if (before > 0 && message.Delivery is { NumDelivered: 1 })
        {
            Interlocked.Increment(ref _firstDeliveryRepeats);
        }

        lock (_gate)
        {
            _times.Add(now);
            _sequences.Add(message.Delivery?.StreamSequence ?? 0);
        }

        Interlocked.Increment(ref _handled);
    }

    /// <summary>
    /// From <paramref name="since"/> (a timestamp) to the first message handled after it whose stream sequence is above
    /// <paramref name="aboveSequence"/>: the first delivery of a message the server had not delivered yet at some earlier
    /// point, as opposed to one the client already held or a redelivery of one.
    /// </summary>
    public TimeSpan? FirstAfter(long since, ulong aboveSequence)
    {
        lock (_gate)
        {
            var first = _times.Where((t, i) => t >= since && _sequences[i] > aboveSequence).DefaultIfEmpty(long.MinValue).Min();
            return first == long.MinValue ? null : TimeProvider.System.GetElapsedTime(since, first);
        }
    }

    /// <summary>How long ago the last message was handled (<see cref="TimeSpan.MaxValue"/> before the first).</summary>
    public TimeSpan SinceLast
    {
        get
        {
            lock (_gate)
            {
                return _times.Count == 0 ? TimeSpan.MaxValue : TimeProvider.System.GetElapsedTime(_times.Max());
            }
        }
    }

    /// <summary>From <paramref name="since"/> (a timestamp) to the first message handled after it.</summary>
    public TimeSpan? FirstAfter(long since)
    {
        lock (_gate)
        {
            var first = _times.Where(t => t >= since).DefaultIfEmpty(long.MinValue).Min();
            return first == long.MinValue ? null : TimeProvider.System.GetElapsedTime(since, first);
        }
    }

    /// <summary>The longest pause between handled messages from <paramref name="since"/> on (including the pause that spans it).</summary>
    public TimeSpan LongestGapAfter(long since) => LongestGapBetween(since, long.MaxValue);

    /// <summary>
    /// The longest pause between handled messages from <paramref name="since"/> to <paramref name="until"/> (timestamps),
    /// including the pauses that span either end (the one spanning <paramref name="until"/> ends with the first message
    /// handled after it).
    /// </summary>
    public TimeSpan LongestGapBetween(long since, long until)
    {
        lock (_gate)
        {
            var previous = _times.Where(t => t < since).DefaultIfEmpty(since).Max();
            var longest = TimeSpan.Zero;
            var window = _times.Where(t => t >= since && t <= until).ToList();
            var next = _times.Where(t => t > until).DefaultIfEmpty(long.MinValue).Min();
            if (next != long.MinValue)
            {
                window.Add(next);
            }

            foreach (var t in window.Order())
            {
                var gap = TimeProvider.System.GetElapsedTime(previous, t);
                longest = gap > longest ? gap : longest;
                previous = t;
            }

            return longest;
        }
    }

    /// <summary>The longest pause between two messages both handled at or after <paramref name="since"/> (a timestamp).</summary>
    public TimeSpan LongestGapWithin(long since)
    {
        lock (_gate)
        {
            var times = _times.Where(t => t >= since).Order().ToList();
            return times.Count < 2
                ? TimeSpan.Zero
                : times.Zip(times.Skip(1), (a, b) => TimeProvider.System.GetElapsedTime(a, b)).Max();
        }
    }
}
