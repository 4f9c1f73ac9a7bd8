namespace Goflux.InMemory;

public sealed partial class InMemoryJetStream
{
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
        await WaitForIdleAsync(cancellationToken).ConfigureAwait(false);
        while (true)
        {
            var now = clock.GetUtcNow();
            var next = NextDeadline();
            if (next is not { } due || due > target)
            {
                if (target > now)
                {
                    advance(target - now);
                }

                await WaitForIdleAsync(cancellationToken).ConfigureAwait(false);
                return;
            }

            advance(due > now ? due - now : TimeSpan.Zero);
            await WaitForIdleAsync(cancellationToken).ConfigureAwait(false);
            if (clock.GetUtcNow() == now && NextDeadline() == next)
            {
                // The deadline did not move on (a timer that fired without effect): step past it.
                advance(TimeSpan.FromTicks(1));
            }
        }
    }

    /// <summary>Reports one delivery handled by a subscriber (or dropped unhandled, <paramref name="scope"/> null).</summary>
    internal void Handled(Internal.HandlerScope? scope) => _ctx.Idle.Handled(scope);

    /// <summary>Marks the start of a subscription's handler loop on this async flow.</summary>
    internal Internal.HandlerScope EnterHandlers() => _ctx.Idle.Enter();

    /// <summary>Marks the end of a subscription's handler loop.</summary>
    internal void ExitHandlers(Internal.HandlerScope scope) => _ctx.Idle.Exit(scope);

    private DateTimeOffset? NextDeadline()
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
