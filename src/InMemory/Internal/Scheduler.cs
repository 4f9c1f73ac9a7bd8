namespace Goflux.InMemory.Internal;

/// <summary>Something with a deadline in the engine's <see cref="Scheduler"/>: a consumer's pending check, a stream's
/// max age, a pull request's expiry.</summary>
internal abstract class Scheduled
{
    /// <summary>Gets or sets the deadline this target is scheduled for; <see cref="DateTimeOffset.MaxValue"/> when none.
    /// Entries of the queue whose deadline differs are stale and skipped. Under the engine lock.</summary>
    internal DateTimeOffset ScheduledDue { get; set; } = DateTimeOffset.MaxValue;

    /// <summary>Runs the work that fell due, under the engine lock. It changes state and queues effects; it never calls
    /// out.</summary>
    /// <param name="now">The clock's time when the work runs.</param>
    internal abstract void OnDue(DateTimeOffset now);
}

/// <summary>
/// The engine's one ordered set of deadlines behind one timer on the <see cref="TimeProvider"/>.
/// </summary>
/// <remarks>
/// <para>The queue is changed only under the engine lock. The timer is created, changed and disposed only outside it:
/// FakeTimeProvider-style clocks fire an already-due timer synchronously inside <c>Change</c>, and a
/// clock may be moved from any thread. Due work runs in deadline order (then scheduling order).</para>
/// <para>Deadlines beyond the .NET timer maximum (about 49.7 days) are reached in steps of at most
/// <see cref="MaxStep"/>; a deadline of <see cref="DateTimeOffset.MaxValue"/> means never.</para>
/// </remarks>
internal sealed class Scheduler
{
    /// <summary>The longest single timer wait, well below the .NET timer maximum.</summary>
    internal static readonly TimeSpan MaxStep = TimeSpan.FromDays(30);

    private readonly PriorityQueue<Scheduled, (DateTimeOffset Due, long Order)> _queue = new();
    private readonly EngineContext _ctx;
    private readonly ITimer _timer;
    private long _order;
    private DateTimeOffset _armedFor = DateTimeOffset.MaxValue;
    private int _rearmRequested;
    private int _arming;
    private volatile bool _needsRearm;

    public Scheduler(EngineContext ctx)
    {
        _ctx = ctx;

        // Created disarmed: creating it can never fire it.
        _timer = ctx.Clock.CreateTimer(static s => ((Scheduler)s!).OnTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Gets a value indicating whether a deadline earlier than the armed one was added since the last re-arm.</summary>
    public bool NeedsRearm => _needsRearm;

    /// <summary>Schedules (or moves) <paramref name="target"/>'s deadline. Under the engine lock.</summary>
    public void Schedule(Scheduled target, DateTimeOffset due)
    {
        target.ScheduledDue = due;
        if (due == DateTimeOffset.MaxValue)
        {
            return;
        }

        _queue.Enqueue(target, (due, _order++));
        if (due < _armedFor)
        {
            _needsRearm = true;
        }
    }

    /// <summary>Drops <paramref name="target"/>'s deadline. Under the engine lock.</summary>
    public static void Unschedule(Scheduled target) => target.ScheduledDue = DateTimeOffset.MaxValue;

    /// <summary>The earliest live deadline, or <see langword="null"/>. Under the engine lock.</summary>
    public DateTimeOffset? Earliest()
    {
        while (_queue.TryPeek(out var target, out var p))
        {
            if (target.ScheduledDue == p.Due)
            {
                return p.Due;
            }

            _queue.Dequeue();
        }

        return null;
    }

    /// <summary>Runs every deadline at or before <paramref name="now"/>, in order. Under the engine lock.</summary>
    public void RunDue(DateTimeOffset now)
    {
        while (_queue.TryPeek(out var target, out var p) && p.Due <= now)
        {
            _queue.Dequeue();
            if (target.ScheduledDue != p.Due)
            {
                continue; // moved or dropped
            }

            target.ScheduledDue = DateTimeOffset.MaxValue;
            target.OnDue(now);
        }
    }

    /// <summary>Drops every deadline. Under the engine lock.</summary>
    public void Clear() => _queue.Clear();

    /// <summary>
    /// Arms the timer for the earliest deadline. Outside the engine lock. One thread arms at a time; a call that finds
    /// another arming leaves a request that the arming thread serves before it leaves, so no call blocks and a timer
    /// that fires synchronously inside <c>Change</c> (and asks to re-arm) never recurses.
    /// </summary>
    public void Rearm()
    {
        Volatile.Write(ref _rearmRequested, 1);
        while (Volatile.Read(ref _rearmRequested) == 1 && Interlocked.CompareExchange(ref _arming, 1, 0) == 0)
        {
            try
            {
                while (Interlocked.Exchange(ref _rearmRequested, 0) == 1)
                {
                    TimeSpan wait;
                    DateTimeOffset? due;

                    // Read outside the lock: a FakeTimeProvider may fire due timers from inside GetUtcNow.
                    var now = _ctx.Now;
                    lock (_ctx.Gate)
                    {
                        _needsRearm = false;
                        due = _ctx.Disposed ? null : Earliest();
                        _armedFor = due ?? DateTimeOffset.MaxValue;
                        wait = due is { } d ? Clamp(d - now) : Timeout.InfiniteTimeSpan;
                    }

                    _timer.Change(wait, Timeout.InfiniteTimeSpan);

                    // A clock moved by another thread between reading it and Change would leave the timer late by as
                    // much: when the deadline is due by now, arm again (for zero).
                    if (wait > TimeSpan.Zero && due is { } deadline && deadline <= _ctx.Now)
                    {
                        Volatile.Write(ref _rearmRequested, 1);
                    }
                }
            }
            finally
            {
                Volatile.Write(ref _arming, 0);
            }
        }
    }

    /// <summary>Stops the timer. Outside the engine lock.</summary>
    public void Dispose() => _timer.Dispose();

    private static TimeSpan Clamp(TimeSpan wait) => wait < TimeSpan.Zero ? TimeSpan.Zero : wait > MaxStep ? MaxStep : wait;

    private void OnTimer()
    {
        if (_ctx.Gate.IsHeldByCurrentThread)
        {
            // Fired from inside GetUtcNow by a FakeTimeProvider-style clock that another thread moved, while this thread
            // is in the middle of an operation under the lock. Running due work here would nest it inside half-made
            // changes; instead the timer counts as disarmed, and the operation's scope re-arms it for "now" as it
            // leaves, which runs the due work on this same thread right after the operation, before it returns.
            _armedFor = DateTimeOffset.MaxValue;
            _needsRearm = true;
            return;
        }

        var now = _ctx.Now;
        using var op = _ctx.Enter();
        _armedFor = DateTimeOffset.MaxValue;
        _needsRearm = true;
        if (_ctx.Disposed)
        {
            return;
        }

        RunDue(now);
    }
}
