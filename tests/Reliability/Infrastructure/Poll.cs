namespace Goflux.Reliability.Tests.Infrastructure;

/// <summary>Polls a condition on the wall clock until it holds or a deadline passes; never a fixed sleep.</summary>
public static class Poll
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(25);

    /// <summary>Waits until <paramref name="condition"/> is true; throws <see cref="TimeoutException"/> naming <paramref name="what"/> otherwise.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what, CancellationToken cancellationToken)
    {
        var clock = TimeProvider.System;
        var start = clock.GetTimestamp();
        Exception? last = null;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                if (await condition())
                {
                    return;
                }

                last = null;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                last = ex;
            }

            if (clock.GetElapsedTime(start) > timeout)
            {
                var why = last is null ? string.Empty : $" (last error: {last.GetType().Name}: {last.Message})";
                throw new TimeoutException($"{what} did not happen within {timeout.TotalSeconds:0.#} s{why}.");
            }

            await Task.Delay(Interval, clock, cancellationToken);
        }
    }

    /// <summary>Waits until <paramref name="condition"/> is true.</summary>
    public static Task UntilAsync(Func<bool> condition, TimeSpan timeout, string what, CancellationToken cancellationToken) =>
        UntilAsync(() => Task.FromResult(condition()), timeout, what, cancellationToken);

    /// <summary>
    /// Waits until <paramref name="condition"/> is true or <paramref name="timeout"/> has passed, without failing: the
    /// caller counts what happened and asserts on it (so a loss is reported as a loss, with its figures, not as a timeout).
    /// </summary>
    /// <returns>Whether the condition held.</returns>
    public static async Task<bool> WithinAsync(Func<bool> condition, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var clock = TimeProvider.System;
        var start = clock.GetTimestamp();
        while (!condition())
        {
            if (clock.GetElapsedTime(start) > timeout)
            {
                return false;
            }

            await Task.Delay(Interval, clock, cancellationToken);
        }

        return true;
    }

    /// <summary>Runs <paramref name="operation"/> with a deadline; throws <see cref="TimeoutException"/> naming it when it takes longer.</summary>
    public static async Task<T> WithinAsync<T>(Func<CancellationToken, Task<T>> operation, TimeSpan timeout, string what, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            return await operation(deadline.Token).WaitAsync(deadline.Token);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"{what} did not finish within {timeout.TotalSeconds:0.#} s.");
        }
    }

    /// <summary>Runs <paramref name="operation"/> with a deadline.</summary>
    public static Task WithinAsync(Func<CancellationToken, Task> operation, TimeSpan timeout, string what, CancellationToken cancellationToken) =>
        WithinAsync(
            async token =>
            {
                await operation(token);
                return true;
            },
            timeout,
            what,
            cancellationToken);
}
