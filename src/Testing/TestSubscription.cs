namespace Goflux.Testing;

/// <summary>
/// A subscription a <see cref="TestBackend"/> runs in the background for a test; stopped when disposed or when the backend
/// is disposed.
/// </summary>
public sealed class TestSubscription : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop;
    private readonly IAsyncDisposable _subscriber;
    private readonly TimeSpan _stopTimeout;
    private int _disposed;

    internal TestSubscription(TestConsumer consumer, string subject, SubscriptionStatus status, Task loop, CancellationTokenSource stop, IAsyncDisposable subscriber, TimeSpan stopTimeout)
    {
        Consumer = consumer;
        Subject = subject;
        Status = status;
        Loop = loop;
        _stop = stop;
        _subscriber = subscriber;
        _stopTimeout = stopTimeout;
    }

    /// <summary>Gets the consumer.</summary>
    public TestConsumer Consumer { get; }

    /// <summary>Gets the subject the subscription was made for.</summary>
    public string Subject { get; }

    /// <summary>Gets the subscriber's status.</summary>
    public SubscriptionStatus Status { get; }

    /// <summary>Gets the task of the subscription loop: it ends when the subscription stops, with the error when it failed.</summary>
    public Task Loop { get; }

    /// <summary>Stops the subscription and waits for its loop to end.</summary>
    /// <returns>A task that completes when the loop has ended.</returns>
    /// <exception cref="TimeoutException">The loop did not end within the stop timeout.</exception>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await Loop.WaitAsync(_stopTimeout).ConfigureAwait(false);
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"The subscription to {Consumer} did not stop within {_stopTimeout.TotalSeconds:0.#} s: a handler may be waiting on something that never completes (pass it the cancellation token).", ex);
        }
        catch (Exception) when (Loop.IsFaulted)
        {
            // Reported by the waits that saw it; stopping is what was asked for.
        }
        finally
        {
            await _subscriber.DisposeAsync().ConfigureAwait(false);
            _stop.Dispose();
        }
    }
}
