namespace Goflux.InMemory;

public sealed partial class InMemoryJetStream
{
    /// <summary>How long <see cref="AdvanceAsync"/> waits for a due deadline to run before stepping past it.</summary>
    private static readonly TimeSpan StallLimit = TimeSpan.FromSeconds(10);

    private static readonly TimeSpan StallPoll = TimeSpan.FromMilliseconds(1);

    /// <summary>Gets the number of deliveries handed to subscribers and not yet handled.</summary>
    public int InFlight => _ctx.Idle.InFlight;

    /// <summary>
    /// Completes when every delivery handed to a subscriber has been handled, except by handlers that wait on a timer of
    /// <see cref="TimeProvider"/> (they wait for virtual time to move).
    /// </summary>
    /// <param name="cancellationToken">A token to stop waiting (a handler that waits on something else never lets the engine go idle).</param>
    /// <returns>A task that completes when the engine is idle.</returns>
    /// <exception cref="ObjectDisposedException">The engine was disposed (also while waiting).</exception>
    public Task WaitForIdleAsync(CancellationToken cancellationToken = default) => _ctx.Idle.WaitAsync(cancellationToken);

    /// <summary>
    /// Advances the engine's virtual clock (a <c>FakeTimeProvider</c>, or any <see cref="System.TimeProvider"/> with a
    /// public <c>Advance(TimeSpan)</c> method) by <paramref name="by"/>, stopping at every deadline on the way
    /// (ack waits, nak delays, max age, fetch expiry, and timers of <see cref="TimeProvider"/> that handlers wait on) and
    /// letting every resulting delivery settle before going on.
    /// </summary>
    /// <param name="by">How far to advance.</param>
    /// <param name="cancellationToken">A token to stop waiting.</param>
    /// <returns>A task that completes when virtual time has reached the target and the engine is idle.</returns>
    /// <exception cref="InvalidOperationException">The engine does not run on a virtual clock.</exception>
    /// <exception cref="ObjectDisposedException">The engine was disposed.</exception>
    public async Task AdvanceAsync(TimeSpan by, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(by, TimeSpan.Zero);
        if (Internal.VirtualClock.FindAdvance(Options.TimeProvider) is not { } advance)
        {
            throw new InvalidOperationException("AdvanceAsync needs an engine built on a FakeTimeProvider (or another TimeProvider with a public Advance(TimeSpan) method); with a real clock, time passes by itself.");
        }

        var clock = Options.TimeProvider;
        var target = Internal.EngineContext.Add(clock.GetUtcNow(), by);
        var stalled = 0L;
        while (true)
        {
            await WaitForIdleAsync(cancellationToken).ConfigureAwait(false);
            var stamp = _ctx.Idle.Stamp;
            var now = clock.GetUtcNow();
            var next = NextDeadline();
            if (_ctx.Idle.Stamp != stamp || !_ctx.Idle.IsIdle)
            {
                // A timer fired, or a delivery moved, on another thread while the deadline was read: read again.
                continue;
            }

            if (next is { } due && due <= now)
            {
                // Due and not run yet. A FakeTimeProvider fires timers on one thread at a time: an Advance made while
                // another thread is inside its timer loop (any thread reading the clock) returns before the timers it
                // made due have run, and that thread runs them a moment later; an engine timer re-armed by a thread the
                // clock overtook re-arms for zero. Moving on now would pass a deadline whose work has not been done, so
                // wait for it. Only a deadline still unrun after a long wait is stepped past.
                stalled = stalled == 0 ? System.Diagnostics.Stopwatch.GetTimestamp() : stalled;
                if (System.Diagnostics.Stopwatch.GetElapsedTime(stalled) < StallLimit)
                {
                    await Task.Delay(StallPoll, TimeProvider.System, cancellationToken).ConfigureAwait(false); // real time: the wait is for another thread
                    continue;
                }

                advance(TimeSpan.FromTicks(1));
                stalled = 0;
                continue;
            }

            stalled = 0;
            if (next is null || next > target)
            {
                if (target <= now)
                {
                    return;
                }

                advance(target - now);
                continue; // a timer due at the target may still be running on another thread: checked above
            }

            advance(next.Value - now);
        }
    }

    /// <summary>Reports one delivery handled by a subscriber (or dropped unhandled, <paramref name="scope"/> null).</summary>
    internal void Handled(Internal.HandlerScope? scope) => _ctx.Idle.Handled(scope);

    /// <summary>Marks the start of a subscription's handler loop on this async flow.</summary>
    internal Internal.HandlerScope EnterHandlers() => _ctx.Idle.Enter();

    /// <summary>Marks the end of a subscription's handler loop.</summary>
    internal void ExitHandlers(Internal.HandlerScope scope) => _ctx.Idle.Exit(scope);

    /// <summary>The earliest deadline: the engine's own, or a timer a handler waits on.</summary>
    internal DateTimeOffset? NextDeadline()
    {
        DateTimeOffset? engine;
        using (_ctx.Enter())
        {
            _ctx.ThrowIfDisposed();
            engine = _ctx.Scheduler.Earliest();
        }

        var handlers = _ctx.Idle.EarliestTimer();
        return engine is null ? handlers : handlers is null || engine <= handlers ? engine : handlers;
    }
}
