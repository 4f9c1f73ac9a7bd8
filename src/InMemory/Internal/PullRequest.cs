namespace Goflux.InMemory.Internal;

/// <summary>
/// An open pull request: how many deliveries it still takes and where they go. The engine changes its state under the
/// lock; <see cref="Deliver"/> and <see cref="End"/> run after it, as effects, in order.
/// </summary>
internal abstract class PullRequest : Scheduled
{
    protected PullRequest(int batch, bool noWait, bool tracksHandling)
    {
        Remaining = batch;
        NoWait = noWait;
        TracksHandling = tracksHandling;
    }

    /// <summary>Gets how many deliveries the request still takes. Under the engine lock.</summary>
    public int Remaining { get; private set; }

    /// <summary>Gets a value indicating whether the request ends as soon as nothing more is deliverable.</summary>
    public bool NoWait { get; }

    /// <summary>Gets a value indicating whether deliveries count as in flight until the subscriber reports them handled.</summary>
    public bool TracksHandling { get; }

    /// <summary>Gets a value indicating whether the request has ended. Under the engine lock.</summary>
    public bool Done { get; private set; }

    /// <summary>Gets or sets the consumer whose waiting list holds the request, or <see langword="null"/>.</summary>
    internal ConsumerState? Owner { get; set; }

    /// <summary>Gets or sets the request's node in its consumer's waiting list.</summary>
    internal LinkedListNode<PullRequest>? Node { get; set; }

    /// <summary>Takes one delivery. Under the engine lock.</summary>
    public void Take() => Remaining--;

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

    /// <summary>Called once when the request ends: <see langword="null"/> when it was filled, expired or withdrawn,
    /// otherwise why it failed. An effect: outside the engine lock.</summary>
    public abstract void End(Exception? error);

    /// <summary>The request's expiry.</summary>
    internal override void OnDue(DateTimeOffset now) => Owner?.Withdraw(this);
}
