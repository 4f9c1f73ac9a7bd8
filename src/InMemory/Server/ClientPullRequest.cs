using Goflux.InMemory.Internal;

namespace Goflux.InMemory.Server;

/// <summary>
/// A pull request a client sent to <c>$JS.API.CONSUMER.MSG.NEXT.&lt;stream&gt;.&lt;consumer&gt;</c>: the engine's own
/// pull request machinery serves it; its deliveries and its end are written to the request's reply subject.
/// </summary>
internal sealed class ClientPullRequest(
    PullService owner,
    string stream,
    string consumer,
    string reply,
    int batch,
    bool noWait,
    long maxBytes,
    TimeSpan heartbeat,
    bool ackNone,
    bool ackAll) : PullRequest(batch, noWait, tracksHandling: true, maxBytes)
{
    private long _lastWrite = TimeProvider.System.GetTimestamp();
    private int _withdrawn;

    public string Stream { get; } = stream;

    public string ConsumerName { get; } = consumer;

    public string Reply { get; } = reply;

    public TimeSpan Heartbeat { get; } = heartbeat;

    public bool AckNone { get; } = ackNone;

    public bool AckAll { get; } = ackAll;

    /// <summary>Gets a value indicating whether the client went away (the request ends without a status).</summary>
    public bool Withdrawn => Volatile.Read(ref _withdrawn) != 0;

    /// <summary>Gets the wall-clock timestamp of the last write to the reply subject (for idle heartbeats).</summary>
    public long LastWrite => Interlocked.Read(ref _lastWrite);

    /// <summary>Marks the request withdrawn; <see langword="false"/> when it already was.</summary>
    public bool MarkWithdrawn() => Interlocked.Exchange(ref _withdrawn, 1) == 0;

    /// <summary>Gets the connection the last delivery went to, or <see langword="null"/>.</summary>
    public ServerConnection? LastReceiver { get; private set; }

    /// <summary>Gets the outbox position after the last delivery (at <see cref="LastReceiver"/>), or -1.</summary>
    public long LastEnd { get; private set; } = -1;

    /// <summary>A delivery was written (effects run one at a time, in order).</summary>
    public void Wrote(ServerConnection? receiver, long end)
    {
        if (receiver is not null)
        {
            LastReceiver = receiver;
            LastEnd = end;
        }

        Touched();
    }

    /// <summary>Something (a heartbeat) was written to the reply subject.</summary>
    public void Touched() => Interlocked.Exchange(ref _lastWrite, TimeProvider.System.GetTimestamp());

    public override void Deliver(InMemoryDelivery delivery) => owner.Deliver(this, delivery);

    public override void End(Exception? error) => owner.End(this, error);
}
