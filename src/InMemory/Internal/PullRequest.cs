namespace Goflux.InMemory.Internal;

/// <summary>How a pull request ended, as the server would tell its client (S-66 to S-76).</summary>
internal enum PullEnding
{
    /// <summary>Still open.</summary>
    Open,

    /// <summary>It received its whole batch (or its max bytes).</summary>
    Filled,

    /// <summary>408 Request Timeout: it expired.</summary>
    Expired,

    /// <summary>404 No Messages: a no-wait request found nothing pending.</summary>
    NoMessages,

    /// <summary>408 Request Timeout after a no-wait request received what there was.</summary>
    NoWaitDone,

    /// <summary>408 Requests Pending: a no-wait request found less pending than open requests already claim.</summary>
    RequestsPending,

    /// <summary>409 Message Size Exceeds MaxBytes.</summary>
    MaxBytesExceeded,

    /// <summary>The client withdrew it (it stopped listening).</summary>
    Withdrawn,

    /// <summary>409 Consumer Deleted: its consumer or stream was deleted, or the engine was disposed.</summary>
    ConsumerDeleted,

    /// <summary>409 Consumer is push based: the consumer has a deliver subject (S-133).</summary>
    PushBased,
}

/// <summary>
/// An open pull request: how many deliveries it still takes and where they go. The engine changes its state under the
/// lock; <see cref="Deliver"/> and <see cref="End"/> run after it, as effects, in order.
/// </summary>
internal abstract class PullRequest : Scheduled, IDeliverySink
{
    protected PullRequest(int batch, bool noWait, bool tracksHandling, long maxBytes = 0)
    {
        Remaining = batch;
        NoWait = noWait;
        TracksHandling = tracksHandling;
        MaxBytes = maxBytes;
    }

    /// <summary>Gets how many deliveries the request still takes. Under the engine lock.</summary>
    public int Remaining { get; private set; }

    /// <summary>Gets how many deliveries it received. Under the engine lock.</summary>
    public int Delivered { get; private set; }

    /// <summary>Gets or sets the bytes it may still receive, 0 for no limit. Under the engine lock.</summary>
    public long MaxBytes { get; set; }

    /// <summary>Gets a value indicating whether the request ends as soon as nothing more is deliverable.</summary>
    public bool NoWait { get; }

    /// <summary>Gets a value indicating whether deliveries count as in flight until the subscriber reports them handled.</summary>
    public bool TracksHandling { get; }

    /// <summary>Gets or sets when the request expires, or <see langword="null"/> for never. Under the engine lock.</summary>
    public DateTimeOffset? Expires { get; set; }

    /// <summary>Gets a value indicating whether the request has ended. Under the engine lock.</summary>
    public bool Done { get; private set; }

    /// <summary>Gets or sets how the request ended (read in <see cref="End"/>).</summary>
    public PullEnding Ending { get; set; }

    /// <summary>Gets or sets the consumer whose waiting list holds the request, or <see langword="null"/>.</summary>
    internal ConsumerState? Owner { get; set; }

    /// <summary>Gets or sets the request's node in its consumer's waiting list.</summary>
    internal LinkedListNode<PullRequest>? Node { get; set; }

    /// <summary>Takes one delivery. Under the engine lock.</summary>
    public void Take()
    {
        Remaining--;
        Delivered++;
    }

    /// <summary>Its max bytes are used up: this delivery is its last. Under the engine lock.</summary>
    public void LimitToOne() => Remaining = 1;

    /// <summary>Marks the request ended; returns <see langword="false"/> when it already was. Under the engine lock.</summary>
    public bool MarkDone()
    {
        if (Done)
        {
            return false;
        }

        Done = true;
        Scheduler.Unschedule(this);
        return true;
    }

    /// <summary>Receives one delivery. An effect: outside the engine lock; must not block.</summary>
    public abstract void Deliver(InMemoryDelivery delivery);

    /// <summary>Called once when the request ends: <see langword="null"/> when it was filled, expired or withdrawn
    /// (<see cref="Ending"/> says which), otherwise why it failed. An effect: outside the engine lock.</summary>
    public abstract void End(Exception? error);

    /// <summary>The request's expiry (S-72).</summary>
    internal override void OnDue(DateTimeOffset now)
    {
        if (Owner is { } owner)
        {
            owner.Withdraw(this, PullEnding.Expired);
        }
    }
}
