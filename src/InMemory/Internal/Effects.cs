namespace Goflux.InMemory.Internal;

/// <summary>What an effect does once the engine lock is released.</summary>
internal enum EffectKind
{
    /// <summary>Hand a delivery to its pull request.</summary>
    HandOff,

    /// <summary>End a pull request (filled, expired, withdrawn, or failed with <see cref="Effect.Error"/>).</summary>
    EndRequest,

    /// <summary>Tell the <c>AdvisoryRaised</c> listeners about an advisory.</summary>
    Advisory,
}

/// <summary>One queued effect; a struct so queuing allocates nothing.</summary>
internal readonly struct Effect
{
    public Effect(EffectKind kind, PullRequest? request, InMemoryDelivery? delivery, JetStreamAdvisory? advisory, Exception? error)
    {
        Kind = kind;
        Request = request;
        Delivery = delivery;
        Advisory = advisory;
        Error = error;
    }

    public EffectKind Kind { get; }

    public PullRequest? Request { get; }

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
    private bool _draining;
    private int _waiting;

    public EffectQueue(EngineContext ctx) => _ctx = ctx;

    /// <summary>Gets a value indicating whether effects wait to be run (a hint read outside the lock).</summary>
    public bool Any => Volatile.Read(ref _waiting) != 0;

    /// <summary>Queues an effect. Under the engine lock.</summary>
    public void Add(in Effect effect)
    {
        _queue.Add(effect);
        _waiting = _queue.Count;
    }

    /// <summary>Runs queued effects until none is left, unless another thread is doing so. Outside the engine lock.</summary>
    public void Drain()
    {
        List<Effect> batch;
        lock (_ctx.Gate)
        {
            if (_draining || _queue.Count == 0)
            {
                return;
            }

            _draining = true;
            batch = Swap();
        }

        while (true)
        {
            foreach (var e in batch)
            {
                Run(e);
            }

            lock (_ctx.Gate)
            {
                batch.Clear();
                if (_queue.Count == 0)
                {
                    _draining = false;
                    return;
                }

                batch = Swap();
            }
        }
    }

    private List<Effect> Swap()
    {
        var batch = _queue;
        _queue = _running;
        _running = batch;
        _waiting = 0;
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
