using Microsoft.Extensions.Time.Testing;

namespace Goflux.InMemory;

public sealed partial class InMemoryJetStream
{
    private readonly Lock _idleGate = new();
    private int _inFlight;
    private TaskCompletionSource? _idleWaiter;

    /// <summary>Gets the number of deliveries handed to subscribers and not yet handled.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>
    /// Completes when no subscriber handler is running and nothing is deliverable now to any open subscription.
    /// </summary>
    /// <param name="cancellationToken">A token to stop waiting (a handler that waits on something else never lets the engine go idle).</param>
    /// <returns>A task that completes when the engine is idle.</returns>
    public async Task WaitForIdleAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            Task wait;
            lock (_idleGate)
            {
                if (Volatile.Read(ref _inFlight) == 0)
                {
                    return;
                }

                _idleWaiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                wait = _idleWaiter.Task;
            }

            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Advances the engine's <see cref="FakeTimeProvider"/> by <paramref name="by"/>, stopping at every engine deadline on
    /// the way (ack waits, nak delays, max age, fetch expiry) and letting every resulting delivery settle before going on.
    /// </summary>
    /// <param name="by">How far to advance.</param>
    /// <param name="cancellationToken">A token to stop waiting.</param>
    /// <returns>A task that completes when virtual time has reached the target and the engine is idle.</returns>
    /// <exception cref="InvalidOperationException">The engine does not run on a <see cref="FakeTimeProvider"/>.</exception>
    public async Task AdvanceAsync(TimeSpan by, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(by, TimeSpan.Zero);
        if (TimeProvider is not FakeTimeProvider fake)
        {
            throw new InvalidOperationException("AdvanceAsync needs an engine built on a FakeTimeProvider; with a real clock, time passes by itself.");
        }

        var target = fake.GetUtcNow() + by;
        await WaitForIdleAsync(cancellationToken).ConfigureAwait(false);
        while (true)
        {
            var now = fake.GetUtcNow();
            var next = NextDeadline();
            if (next is not { } due || due > target)
            {
                if (target > now)
                {
                    fake.Advance(target - now);
                }

                await WaitForIdleAsync(cancellationToken).ConfigureAwait(false);
                return;
            }

            if (due > now)
            {
                fake.Advance(due - now);
            }
            else
            {
                fake.Advance(TimeSpan.Zero);
            }

            await WaitForIdleAsync(cancellationToken).ConfigureAwait(false);
            if (fake.GetUtcNow() == now && NextDeadline() == next)
            {
                // The deadline did not move on (a timer that fired without effect): step past it.
                fake.Advance(TimeSpan.FromTicks(1));
            }
        }
    }

    /// <summary>Reports one delivery handled by a subscriber.</summary>
    internal void Handled()
    {
        TaskCompletionSource? waiter = null;
        lock (_idleGate)
        {
            if (Interlocked.Decrement(ref _inFlight) == 0)
            {
                waiter = _idleWaiter;
                _idleWaiter = null;
            }
        }

        waiter?.TrySetResult();
    }

    private DateTimeOffset? NextDeadline()
    {
        lock (_gate)
        {
            DateTimeOffset? next = null;
            foreach (var s in _streams.Values)
            {
                if (s.Config.MaxAge > TimeSpan.Zero && s.FirstStored() is { } first)
                {
                    next = Min(next, first.Time + s.Config.MaxAge);
                }

                foreach (var c in s.Consumers.Values)
                {
                    if (c.TimerDue != DateTimeOffset.MaxValue)
                    {
                        next = Min(next, c.TimerDue);
                    }

                    foreach (var r in c.Waiting)
                    {
                        if (r.ExpiresAt is { } e)
                        {
                            next = Min(next, e);
                        }
                    }
                }
            }

            return next;
        }
    }

    private static DateTimeOffset? Min(DateTimeOffset? a, DateTimeOffset b) => a is null || b < a ? b : a;
}
