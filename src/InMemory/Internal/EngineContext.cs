namespace Goflux.InMemory.Internal;

/// <summary>
/// What every part of the engine shares: the lock, the clock, the streams, the event log and advisories, the
/// scheduler, the effects queue, idle tracking and injected faults.
/// </summary>
/// <remarks>
/// Lock rules: every member that reads or changes state runs under <see cref="Gate"/>, taken by <see cref="Enter"/>.
/// Nothing under the lock calls out (listeners, pull request sinks, timers): it queues effects instead, and the
/// operation's <see cref="EngineOperation"/>, when disposed, releases the lock, runs the queued effects and re-arms the
/// timer.
/// </remarks>
internal sealed class EngineContext
{
    public EngineContext(InMemoryJetStream owner, InMemoryJetStreamOptions options)
    {
        Owner = owner;
        Options = options;
        Clock = options.TimeProvider;
        RecordEvents = options.RecordEvents;
        Effects = new EffectQueue(this);
        Scheduler = new Scheduler(this);
        Idle = new IdleTracker(this);
    }

    private readonly Queue<Action> _deferred = new();
    private readonly List<StreamState> _streamMatch = [];
    private SubjectIndex<StreamState>? _streamIndex;

    public Lock Gate { get; } = new();

    public InMemoryJetStream Owner { get; }

    public InMemoryJetStreamOptions Options { get; }

    /// <summary>Gets the clock deadlines run on (the one given in the options, not the handler-facing wrapper).</summary>
    public TimeProvider Clock { get; }

    public bool RecordEvents { get; }

    public Dictionary<string, StreamState> Streams { get; } = new(StringComparer.Ordinal);

    public List<InMemoryEvent> Events { get; } = [];

    public List<JetStreamAdvisory> Advisories { get; } = [];

    public Scheduler Scheduler { get; }

    public EffectQueue Effects { get; }

    public IdleTracker Idle { get; }

    public Faults Faults { get; } = new();

    /// <summary>Gets the pages every stream's payloads live in.</summary>
    public PayloadArena Payloads { get; } = new();

    /// <summary>Gets the listeners on deliver subjects and the push consumers they serve.</summary>
    public PushRegistry Push { get; } = new();

    public bool Disposed { get; set; }

    /// <summary>
    /// Gets or sets a hook the engine calls at named points inside an operation, under the lock, after state changed and
    /// effects were queued (today: <c>"publish"</c>, once a publish is stored and handed to pull requests). Only the
    /// engine's own tests set it, to throw halfway through an operation and check the engine carries on.
    /// </summary>
    public Action<string>? Probe { get; set; }

    public DateTimeOffset Now => Clock.GetUtcNow();

    /// <summary>Adds <paramref name="d"/> to <paramref name="t"/>, saturating at <see cref="DateTimeOffset.MaxValue"/>
    /// (and <see cref="DateTimeOffset.MinValue"/>): a delay of <see cref="TimeSpan.MaxValue"/> means never.</summary>
    public static DateTimeOffset Add(DateTimeOffset t, TimeSpan d)
    {
        if (d > TimeSpan.Zero && DateTimeOffset.MaxValue - t <= d)
        {
            return DateTimeOffset.MaxValue;
        }

        if (d < TimeSpan.Zero && t - DateTimeOffset.MinValue <= -d)
        {
            return DateTimeOffset.MinValue;
        }

        return t + d;
    }

    public void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Disposed, Owner);

    public void Record(InMemoryEvent e)
    {
        if (RecordEvents)
        {
            Events.Add(e);
        }
    }

    public void RaiseAdvisory(JetStreamAdvisory advisory)
    {
        Advisories.Add(advisory);
        Effects.Add(new Effect(EffectKind.Advisory, null, null, advisory, null));
    }

    public void HandOff(IDeliverySink request, InMemoryDelivery delivery)
        => Effects.Add(new Effect(EffectKind.HandOff, request, delivery, null, null));

    /// <summary>Queues the end of a push listener (its consumer is gone, or the engine was disposed). Under the lock.</summary>
    public void EndListener(IDeliverySink listener, Exception? error)
        => Effects.Add(new Effect(EffectKind.EndRequest, listener, null, null, error));

    /// <summary>Ends a request (once) and queues its completion. Under the lock.</summary>
    public void EndRequest(PullRequest request, Exception? error)
    {
        if (request.MarkDone())
        {
            Effects.Add(new Effect(EffectKind.EndRequest, request, null, null, error));
        }
    }

    /// <summary>The stream that captures <paramref name="subject"/>, or <see langword="null"/>. Under the lock.</summary>
    /// <remarks>Through an index of the streams' subjects, rebuilt after a stream is added, removed or changes its
    /// subjects (<see cref="StreamsChanged"/>), so a publish costs the same with one stream or thousands.</remarks>
    public StreamState? StreamFor(string subject)
    {
        if (_streamIndex is null)
        {
            _streamIndex = new SubjectIndex<StreamState>();
            foreach (var s in Streams.Values)
            {
                foreach (var p in s.Config.Subjects ?? [])
                {
                    _streamIndex.Add(p, s);
                }
            }
        }

        _streamMatch.Clear();
        _streamIndex.Match(subject, _streamMatch);
        var found = _streamMatch.Count > 0 ? _streamMatch[0] : null;
        _streamMatch.Clear();
        return found;
    }

    /// <summary>A stream was added or removed, or its subjects changed: the next lookup rebuilds the index. Under the lock.</summary>
    public void StreamsChanged() => _streamIndex = null;

    public StreamState GetStream(string name)
    {
        ThrowIfDisposed();
        return Streams.TryGetValue(name, out var s) ? s : throw Errors.StreamNotFound();
    }

    public ConsumerState GetConsumer(string stream, string consumer)
        => GetStream(stream).Consumer(consumer) ?? throw Errors.ConsumerNotFound();

    /// <summary>
    /// Queues a state change to make once the current operation is done, still under the lock (what the server does in
    /// a goroutine of its own, such as settling a pending message a limit removed). Run by <see cref="EngineOperation"/>
    /// before it leaves, in the order queued.
    /// </summary>
    public void Defer(Action change) => _deferred.Enqueue(change);

    /// <summary>Runs the deferred state changes (and those they defer). Under the lock.</summary>
    internal void RunDeferred()
    {
        while (_deferred.TryDequeue(out var change))
        {
            change();
        }
    }

    /// <summary>Copies every stored payload into fresh pages when the pages hold far more than the stored payloads
    /// (see <see cref="PayloadArena"/>). Under the lock, at the end of an operation, when no store is in the middle of
    /// a change.</summary>
    internal void RewritePayloadsIfWasteful()
    {
        if (!Payloads.NeedsRewrite)
        {
            return;
        }

        Payloads.BeginRewrite();
        foreach (var s in Streams.Values)
        {
            s.Store.RewritePayloads();
        }

        Payloads.EndRewrite();
    }

    /// <summary>Starts an engine operation: takes the lock; disposing the result leaves (see <see cref="EngineOperation"/>).</summary>
    public EngineOperation Enter() => new(this);

    /// <summary>
    /// Runs <paramref name="batch"/> (taken under the lock) or, without one, whatever effects wait; then re-arms the timer
    /// when a deadline moved earlier. Outside the lock; only <see cref="EngineOperation.Dispose"/> calls it.
    /// </summary>
    internal void RunEffectsAndRearm(List<Effect>? batch)
    {
        if (batch is not null)
        {
            Effects.Run(batch);
        }
        else if (Effects.Any)
        {
            Effects.Drain();
        }

        if (Scheduler.NeedsRearm)
        {
            Scheduler.Rearm();
        }
    }
}

/// <summary>Injected faults, counted down under the engine lock.</summary>
internal sealed class Faults
{
    public Queue<Exception> PublishFailures { get; } = new();

    public int DropAcks { get; set; }

    public int LostPublishAcks { get; set; }

    public int DuplicateDeliveries { get; set; }

    public bool RejectPublishes { get; set; }

    public bool TakeDropAck()
    {
        if (DropAcks == 0)
        {
            return false;
        }

        DropAcks--;
        return true;
    }

    public bool TakeLostPublishAck()
    {
        if (LostPublishAcks == 0)
        {
            return false;
        }

        LostPublishAcks--;
        return true;
    }

    public bool TakeDuplicateDelivery()
    {
        if (DuplicateDeliveries == 0)
        {
            return false;
        }

        DuplicateDeliveries--;
        return true;
    }
}
