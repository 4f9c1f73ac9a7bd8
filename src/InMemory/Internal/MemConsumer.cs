using NATS.Client.JetStream.Models;

namespace Goflux.InMemory.Internal;

/// <summary>One consumer's state. Every member runs under the engine lock.</summary>
internal sealed class MemConsumer
{
    public MemConsumer(MemStream stream, string name, ConsumerConfig config, DateTimeOffset created)
    {
        Stream = stream;
        Name = name;
        Config = config;
        Created = created;
        Filters = FiltersOf(config);
    }

    public MemStream Stream { get; }

    public string Name { get; }

    public ConsumerConfig Config { get; private set; }

    public string[] Filters { get; private set; }

    public DateTimeOffset Created { get; }

    public bool Deleted { get; set; }

    /// <summary>Next stream sequence to consider for a new delivery.</summary>
    public ulong NextSeq { get; set; }

    /// <summary>Last consumer sequence handed out.</summary>
    public ulong DeliveredConsumerSeq { get; set; }

    public ulong AckFloorConsumer { get; set; }

    public ulong AckFloorStream { get; set; }

    /// <summary>Matching stored messages at or after <see cref="NextSeq"/>.</summary>
    public ulong NumPending { get; set; }

    public DateTimeOffset? LastActive { get; set; }

    public Dictionary<ulong, PendingEntry> Pending { get; } = [];

    /// <summary>Stream sequences currently counted as redelivered (num_redelivered).</summary>
    public HashSet<ulong> Redelivered { get; } = [];

    /// <summary>Messages queued for redelivery, in order.</summary>
    public LinkedList<ulong> RedeliveryQueue { get; } = new();

    public PriorityQueue<(ulong Seq, long Version), (DateTimeOffset Due, long Order)> Deadlines { get; } = new();

    public long DeadlineOrder { get; set; }

    public ITimer? Timer { get; set; }

    public DateTimeOffset TimerDue { get; set; } = DateTimeOffset.MaxValue;

    public LinkedList<PullRequest> Waiting { get; } = new();

    /// <summary>For deliver last-per-subject: the sequences still to deliver from the initial snapshot.</summary>
    public SortedSet<ulong>? LastPerSubjectSkipList { get; set; }

    /// <summary>For deliver last-per-subject: the stream's last sequence when the consumer was created.</summary>
    public ulong LastPerSubjectEnd { get; set; }

    public bool AckNone => Config.AckPolicy == ConsumerConfigAckPolicy.None;

    public bool AckAll => Config.AckPolicy == ConsumerConfigAckPolicy.All;

    public void UpdateConfig(ConsumerConfig config)
    {
        Config = config;
        Filters = FiltersOf(config);
    }

    public bool Matches(string subject)
    {
        if (Filters.Length == 0)
        {
            return true;
        }

        foreach (var f in Filters)
        {
            if (Subjects.Matches(f, subject))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Ack wait for the n-th delivery (n starting at 1), following BackOff (S-94).</summary>
    public TimeSpan WaitFor(ulong deliveries)
    {
        var backoff = Config.Backoff;
        if (backoff is { Count: > 0 })
        {
            var list = backoff as IList<TimeSpan> ?? backoff.ToList();
            var idx = (int)Math.Min(deliveries == 0 ? 0 : deliveries - 1, (ulong)(list.Count - 1));
            return list[idx];
        }

        return Config.AckWait;
    }

    private static string[] FiltersOf(ConsumerConfig config)
    {
        if (config.FilterSubjects is { Count: > 0 } many)
        {
            return [.. many];
        }

        return string.IsNullOrEmpty(config.FilterSubject) ? [] : [config.FilterSubject];
    }

    internal sealed class PendingEntry
    {
        public PendingEntry(ulong seq, ulong consumerSeq)
        {
            Seq = seq;
            ConsumerSeq = consumerSeq;
            FirstConsumerSeq = consumerSeq;
        }

        public ulong Seq { get; }

        public ulong ConsumerSeq { get; set; }

        /// <summary>
        /// The consumer sequence of the first delivery. The server's pending record keeps it across redeliveries
        /// (<c>trackPending</c> only refreshes the timestamp), and the ack floor arithmetic uses it (S-101).
        /// </summary>
        public ulong FirstConsumerSeq { get; }

        public ulong Deliveries { get; set; }

        public DateTimeOffset Due { get; set; }

        public long Version { get; set; }

        /// <summary>Queued for redelivery (in <see cref="RedeliveryQueue"/>).</summary>
        public bool Queued { get; set; }
    }
}
