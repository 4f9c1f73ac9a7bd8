namespace Goflux.InMemory.Internal;

/// <summary>
/// Counts deliveries handed to subscribers and not yet handled, and which of their handlers wait on virtual time (a
/// timer of the engine's <see cref="InMemoryJetStream.TimeProvider"/>). The engine is idle when every handler still
/// running waits on such a timer: then only moving the clock can make progress.
/// </summary>
/// <remarks>Its own small lock; it never takes the engine lock, so the engine may call it under its own.</remarks>
internal sealed class IdleTracker
{
    private static readonly AsyncLocal<HandlerScope?> CurrentScope = new();

    private readonly Lock _gate = new();
    private readonly HashSet<TrackedTimer> _armed = [];
    private readonly EngineContext _ctx;
    private int _inFlight;
    private int _waiting;
    private long _stamp;
    private TaskCompletionSource? _idle;
    private bool _disposed;

    public IdleTracker(EngineContext ctx) => _ctx = ctx;

    /// <summary>Gets the scope of the handler running on this async flow, if any.</summary>
    public static HandlerScope? Current => CurrentScope.Value;

    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>Gets a number that changes whenever a delivery is handed over or handled, or a handler's timer is armed,
    /// fires or is disarmed: two equal readings mean nothing of that happened in between.</summary>
    public long Stamp => Interlocked.Read(ref _stamp);

    /// <summary>Gets a value indicating whether every running handler waits on virtual time (or none runs).</summary>
    public bool IsIdle
    {
        get
        {
            lock (_gate)
            {
                return _inFlight <= _waiting;
            }
        }
    }

    /// <summary>A delivery was handed to a subscriber. May run under the engine lock.</summary>
    public void Add()
    {
        Interlocked.Increment(ref _inFlight);
        Interlocked.Increment(ref _stamp);
    }

    /// <summary>Marks the start of a subscription's handler loop on this async flow: timers its handlers create on the
    /// engine clock are tracked, per delivery.</summary>
    public HandlerScope Enter()
    {
        var scope = new HandlerScope(this);
        CurrentScope.Value = scope;
        return scope;
    }

    /// <summary>Marks the end of a handler loop.</summary>
    public void Exit(HandlerScope scope)
    {
        lock (_gate)
        {
            scope.Closed = true;
            if (scope.Armed > 0)
            {
                scope.Armed = 0;
                _waiting--;
            }
        }

        if (CurrentScope.Value == scope)
        {
            CurrentScope.Value = null;
        }
    }

    /// <summary>A delivery was handled (by the handler loop of <paramref name="scope"/>), or dropped unhandled
    /// (<paramref name="scope"/> null). Timers the handler left armed stop counting.</summary>
    public void Handled(HandlerScope? scope)
    {
        TaskCompletionSource? signal;
        lock (_gate)
        {
            if (scope is not null)
            {
                scope.Generation++;
                if (scope.Armed > 0)
                {
                    scope.Armed = 0;
                    _waiting--;
                }
            }

            Interlocked.Decrement(ref _inFlight); // Add increments without this lock
            Interlocked.Increment(ref _stamp);
            signal = TakeSignalIfIdle();
        }

        signal?.TrySetResult();
    }

    /// <summary>Waits until every running handler waits on virtual time (or none runs).</summary>
    public async Task WaitAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Task wait;
            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(_disposed, _ctx.Owner);
                if (_inFlight <= _waiting)
                {
                    return;
                }

                _idle ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                wait = _idle.Task;
            }

            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The earliest deadline of a timer a handler waits on, or <see langword="null"/>.</summary>
    public DateTimeOffset? EarliestTimer()
    {
        lock (_gate)
        {
            DateTimeOffset? next = null;
            foreach (var t in _armed)
            {
                if (next is null || t.Due < next)
                {
                    next = t.Due;
                }
            }

            return next;
        }
    }

    /// <summary>Fails every waiter, and every later wait, with <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        TaskCompletionSource? waiter;
        lock (_gate)
        {
            _disposed = true;
            waiter = _idle;
            _idle = null;
        }

        waiter?.TrySetException(new ObjectDisposedException(nameof(InMemoryJetStream), "The engine was disposed while waiting for it to go idle."));
    }

    /// <summary>Counts <paramref name="timer"/> as armed for <paramref name="due"/>; with <paramref name="ifFiredCount"/>,
    /// only if it has not fired since it was that.</summary>
    internal void Arm(TrackedTimer timer, DateTimeOffset due, int? ifFiredCount = null)
    {
        TaskCompletionSource? signal = null;
        lock (_gate)
        {
            if (ifFiredCount is { } count && timer.FiredCount != count)
            {
                return;
            }

            timer.Due = due;
            _armed.Add(timer);
            Interlocked.Increment(ref _stamp);
            var scope = timer.Scope;
            if (!timer.Counted && !scope.Closed && timer.Generation == scope.Generation)
            {
                timer.Counted = true;
                if (scope.Armed++ == 0)
                {
                    _waiting++;
                    signal = TakeSignalIfIdle();
                }
            }
        }

        signal?.TrySetResult();
    }

    internal void Disarm(TrackedTimer timer)
    {
        lock (_gate)
        {
            _armed.Remove(timer);
            Interlocked.Increment(ref _stamp);
            var scope = timer.Scope;
            if (timer.Counted)
            {
                timer.Counted = false;
                if (!scope.Closed && timer.Generation == scope.Generation && --scope.Armed == 0)
                {
                    _waiting--;
                }
            }
        }
    }

    private TaskCompletionSource? TakeSignalIfIdle()
    {
        if (_inFlight > _waiting || _idle is null)
        {
            return null;
        }

        var signal = _idle;
        _idle = null;
        return signal;
    }
}

/// <summary>One handler loop: how many timers on the engine clock the current delivery's handler has armed. The
/// generation moves on with every delivery, so a timer left behind by an earlier handler no longer counts.</summary>
internal sealed class HandlerScope(IdleTracker tracker)
{
    public IdleTracker Tracker { get; } = tracker;

    public int Armed { get; set; }

    public int Generation { get; set; }

    public bool Closed { get; set; }
}

/// <summary>The engine's clock as handed to handlers: timers a handler creates on it are tracked by the
/// <see cref="IdleTracker"/>, so a handler waiting on one counts as waiting for virtual time.</summary>
internal sealed class TrackingTimeProvider(TimeProvider inner, IdleTracker idle) : TimeProvider
{
    public TimeProvider Inner { get; } = inner;

    public override DateTimeOffset GetUtcNow() => Inner.GetUtcNow();

    public override long GetTimestamp() => Inner.GetTimestamp();

    public override long TimestampFrequency => Inner.TimestampFrequency;

    public override TimeZoneInfo LocalTimeZone => Inner.LocalTimeZone;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(callback);
        var scope = IdleTracker.Current;
        if (scope is null || scope.Tracker != idle || scope.Closed)
        {
            return Inner.CreateTimer(callback, state, dueTime, period);
        }

        var timer = new TrackedTimer(Inner, idle, scope, callback, state) { Generation = scope.Generation };
        timer.Change(dueTime, period);
        return timer;
    }
}

/// <summary>A timer created by a handler on the engine clock.</summary>
internal sealed class TrackedTimer : ITimer
{
    private readonly TimeProvider _clock;
    private readonly IdleTracker _idle;
    private readonly TimerCallback _callback;
    private readonly object? _state;
    private readonly ITimer _inner;
    private long _periodTicks = Timeout.InfiniteTimeSpan.Ticks;
    private int _fired;

    public TrackedTimer(TimeProvider clock, IdleTracker idle, HandlerScope scope, TimerCallback callback, object? state)
    {
        _clock = clock;
        _idle = idle;
        Scope = scope;
        _callback = callback;
        _state = state;

        // Created disarmed, then armed through Change, so tracking starts before a due timer can fire.
        _inner = clock.CreateTimer(static s => ((TrackedTimer)s!).Fire(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    public HandlerScope Scope { get; }

    /// <summary>Gets how many times the timer has fired.</summary>
    public int FiredCount => Volatile.Read(ref _fired);

    /// <summary>Gets the generation of <see cref="Scope"/> (the delivery) the timer belongs to.</summary>
    public int Generation { get; init; }

    /// <summary>Gets or sets a value indicating whether the timer counts as armed in its scope (under the tracker's lock).</summary>
    public bool Counted { get; set; }

    /// <summary>Gets or sets when the timer fires next (under the tracker's lock).</summary>
    public DateTimeOffset Due { get; set; }

    public bool Change(TimeSpan dueTime, TimeSpan period)
    {
        Interlocked.Exchange(ref _periodTicks, period.Ticks);
        if (dueTime == Timeout.InfiniteTimeSpan)
        {
            _idle.Disarm(this);
            return _inner.Change(dueTime, period);
        }

        // The inner timer is armed first and counted as waited on after: until then the handler does not count as
        // waiting for virtual time, so nobody moves the clock between the two. Counted first, the clock could move on
        // before the inner timer read it, and the timer would fall due that much later than the due it was counted at.
        // A timer that fired in between (due at once) is not counted again.
        var due = EngineContext.Add(_clock.GetUtcNow(), dueTime);
        var fired = FiredCount;
        var changed = _inner.Change(dueTime, period);
        _idle.Arm(this, due, ifFiredCount: fired);
        return changed;
    }

    public void Dispose()
    {
        _idle.Disarm(this);
        _inner.Dispose();
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return default;
    }

    private void Fire()
    {
        Interlocked.Increment(ref _fired);
        var period = TimeSpan.FromTicks(Interlocked.Read(ref _periodTicks));
        if (period == Timeout.InfiniteTimeSpan || period == TimeSpan.Zero)
        {
            _idle.Disarm(this);
        }
        else
        {
            _idle.Arm(this, EngineContext.Add(_clock.GetUtcNow(), period));
        }

        _callback(_state);
    }
}
