namespace Goflux.InMemory.Internal;

/// <summary>What an effect does once the engine lock is released.</summary>
internal enum EffectKind
{
    /// <summary>Hand a delivery to its pull request or push listener.</summary>
    HandOff,

    /// <summary>End a pull request (filled, expired, withdrawn, or failed with <see cref="Effect.Error"/>).</summary>
    EndRequest,

    /// <summary>Tell the <c>AdvisoryRaised</c> listeners about an advisory.</summary>
    Advisory,
}

/// <summary>Where deliveries go: a pull request, or a listener on a push consumer's deliver subject. Both methods run as
/// effects, outside the engine lock, in order; neither may block.</summary>
internal interface IDeliverySink
{
    /// <summary>Receives one delivery.</summary>
    void Deliver(InMemoryDelivery delivery);

    /// <summary>Called once when the sink is done: <see langword="null"/> for a normal end, otherwise why it failed.</summary>
    void End(Exception? error);
}

/// <summary>One queued effect; a struct so queuing allocates nothing.</summary>
internal readonly struct Effect
{
    public Effect(EffectKind kind, IDeliverySink? request, InMemoryDelivery? delivery, JetStreamAdvisory? advisory, Exception? error)
    {
        Kind = kind;
        Request = request;
        Delivery = delivery;
        Advisory = advisory;
        Error = error;
    }

    public EffectKind Kind { get; }

    public IDeliverySink? Request { get; }

    public InMemoryDelivery? Delivery { get; }

    public JetStreamAdvisory? Advisory { get; }

    public Exception? Error { get; }
}

/// <summary>
/// Effects queued under the engine lock and run after it, in the order they were queued, by one thread at a time (the
/// first to leave the lock with effects waiting; others leave theirs to it).
/// </summary>
internal sealed class EffectQueue
{
    private readonly EngineContext _ctx;
    private List<Effect> _queue = [];
    private List<Effect> _running = [];
    private int _draining;
    private int _waiting;

    public EffectQueue(EngineContext ctx) => _ctx = ctx;

    /// <summary>Gets a value indicating whether effects wait to be run (a hint read outside the lock).</summary>
    public bool Any => Volatile.Read(ref _waiting) != 0;

    /// <summary>Queues an effect. Under the engine lock.</summary>
    public void Add(in Effect effect)
    {
        _queue.Add(effect);
        Volatile.Write(ref _waiting, _queue.Count);
    }

    /// <summary>
    /// Takes the queued effects to run once the lock is released, unless none wait or another thread runs effects.
    /// Under the engine lock; the caller passes the batch to <see cref="Run(List{Effect})"/> after releasing it.
    /// </summary>
    public List<Effect>? Take()
    {
        if (_queue.Count == 0 || Interlocked.CompareExchange(ref _draining, 1, 0) != 0)
        {
            return null;
        }

        return Swap();
    }

    /// <summary>Runs queued effects until none is left, unless another thread is doing so. Outside the engine lock.</summary>
    public void Drain()
    {
        List<Effect>? batch;
        lock (_ctx.Gate)
        {
            batch = Take();
        }

        if (batch is not null)
        {
            Run(batch);
        }
    }

    /// <summary>Runs a batch taken with <see cref="Take"/>, then whatever was queued meanwhile. Outside the engine lock.</summary>
    public void Run(List<Effect> batch)
    {
        while (true)
        {
            foreach (var e in batch)
            {
                Run(e);
            }

            batch.Clear();

            // Release the drainer role with a full fence, then look again: a thread that queued an effect meanwhile
            // either sees the role free (and drains itself) or its effect is seen here.
            Interlocked.Exchange(ref _draining, 0);
            if (Volatile.Read(ref _waiting) == 0)
            {
                return;
            }

            lock (_ctx.Gate)
            {
                var next = Take();
                if (next is null)
                {
                    return;
                }

                batch = next;
            }
        }
    }

    private List<Effect> Swap()
    {
        var batch = _queue;
        _queue = _running;
        _running = batch;
        Volatile.Write(ref _waiting, 0);
        return batch;
    }

    private void Run(in Effect e)
    {
        switch (e.Kind)
        {
            case EffectKind.HandOff:
                e.Request!.Deliver(e.Delivery!);
                break;
            case EffectKind.EndRequest:
                e.Request!.End(e.Error);
                break;
            case EffectKind.Advisory:
                _ctx.Owner.NotifyAdvisory(e.Advisory!);
                break;
        }
    }
}
