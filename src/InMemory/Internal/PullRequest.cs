namespace Goflux.InMemory.Internal;

/// <summary>An open pull request: where deliveries go and how many it still takes.</summary>
internal sealed class PullRequest
{
    public PullRequest(Action<InMemoryDelivery> sink, int batch, bool noWait)
    {
        Sink = sink;
        Remaining = batch;
        NoWait = noWait;
    }

    public Action<InMemoryDelivery> Sink { get; }

    public int Remaining { get; set; }

    public bool NoWait { get; }

    /// <summary>Called once when the request ends: null when it was filled or expired, otherwise why it failed.</summary>
    public Action<Exception?>? Completed { get; set; }

    public ITimer? ExpiryTimer { get; set; }

    public DateTimeOffset? ExpiresAt { get; set; }

    public LinkedListNode<PullRequest>? Node { get; set; }

    public bool Done { get; set; }

    /// <summary>Deliveries to this request count as in flight until the subscriber reports them handled.</summary>
    public bool TracksHandling { get; init; }
}
