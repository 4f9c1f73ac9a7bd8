namespace Goflux.Testing.Internal;

/// <summary>
/// What a <see cref="TestBackend"/> created and must release: its streams (deleted at the end) and its subscriptions
/// (stopped at the end, and watched so a failed subscription fails the next wait). Thread-safe.
/// </summary>
internal sealed class OwnedResources
{
    private readonly List<string> _streams = [];
    private readonly List<TestSubscription> _subscriptions = [];

    public void AddStream(string name)
    {
        lock (_streams)
        {
            if (!_streams.Contains(name))
            {
                _streams.Add(name);
            }
        }
    }

    public void AddSubscription(TestSubscription subscription)
    {
        lock (_subscriptions)
        {
            _subscriptions.Add(subscription);
        }
    }

    /// <summary>Rethrows the error of the first subscription whose loop failed, if any.</summary>
    public async Task ThrowIfSubscriptionFailedAsync()
    {
        foreach (var s in Subscriptions())
        {
            if (s.Loop.IsFaulted)
            {
                await s.Loop.ConfigureAwait(false);
            }
        }
    }

    /// <summary>Stops every subscription, then deletes every stream (each within <paramref name="patience"/>); returns what
    /// failed or timed out, so the caller can report it all at once.</summary>
    public async Task<List<Exception>> ReleaseAsync(IGofluxBackend backend, TimeSpan patience)
    {
        List<Exception> errors = [];
        foreach (var s in Subscriptions())
        {
            try
            {
                await s.DisposeAsync().ConfigureAwait(false);
            }
            catch (TimeoutException ex)
            {
                errors.Add(ex);
            }
        }

        string[] streams;
        lock (_streams)
        {
            streams = [.. _streams];
        }

        foreach (var stream in streams)
        {
            try
            {
                using var deadline = new CancellationTokenSource(patience);
                await backend.DeleteStreamAsync(stream, deadline.Token).ConfigureAwait(false);
            }
            catch (GofluxException)
            {
                // Already deleted by the test.
            }
            catch (OperationCanceledException ex)
            {
                errors.Add(new TimeoutException($"Deleting stream {stream} did not finish within {patience.TotalSeconds:0.#} s.", ex));
            }
        }

        return errors;
    }

    private TestSubscription[] Subscriptions()
    {
        lock (_subscriptions)
        {
            return [.. _subscriptions];
        }
    }
}
