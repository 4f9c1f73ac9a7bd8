namespace Goflux.Testing;

/// <summary>
/// A running NATS server found or started for tests. Disposing it stops what was started (a process or a container)
/// within a timeout; a server named by <c>NATS_URL</c> is left running.
/// </summary>
internal sealed class NatsServerHandle : IAsyncDisposable
{
    private readonly Func<CancellationToken, ValueTask>? _stop;
    private readonly TimeSpan _stopTimeout;
    private int _disposed;

    /// <summary>
    /// Initializes a new instance of the <see cref="NatsServerHandle"/> class for a server started some other way
    /// (a cluster node, a server of your own).
    /// </summary>
    /// <param name="url">The client URL, e.g. <c>nats://127.0.0.1:4222</c>.</param>
    /// <param name="source">How the server was found.</param>
    /// <param name="description">Where it comes from, for messages.</param>
    /// <param name="stop">Stops the server and cleans up after it, or <see langword="null"/> to leave it running.</param>
    /// <param name="stopTimeout">How long <paramref name="stop"/> may take before disposal fails with a <see cref="TimeoutException"/>.</param>
    /// <exception cref="ArgumentException"><paramref name="url"/> or <paramref name="description"/> is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="stopTimeout"/> is not positive.</exception>
    public NatsServerHandle(string url, NatsServerSource source, string description, Func<CancellationToken, ValueTask>? stop, TimeSpan stopTimeout)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(url);
        ArgumentException.ThrowIfNullOrWhiteSpace(description);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(stopTimeout, TimeSpan.Zero);
        Url = url;
        Source = source;
        Description = description;
        _stop = stop;
        _stopTimeout = stopTimeout;
    }

    /// <summary>Gets the client URL, e.g. <c>nats://127.0.0.1:4222</c>.</summary>
    public string Url { get; }

    /// <summary>Gets how the server was found.</summary>
    public NatsServerSource Source { get; }

    /// <summary>Gets where the server comes from: the binary path, the image name or the environment variable.</summary>
    public string Description { get; }

    /// <summary>Stops what was started, waiting at most the stop timeout.</summary>
    /// <returns>A task that completes when the server is stopped and cleaned up after.</returns>
    /// <exception cref="TimeoutException">Stopping took longer than the stop timeout; the message says what may be left behind.</exception>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1 || _stop is null)
        {
            return;
        }

        using var deadline = new CancellationTokenSource(_stopTimeout);
        Task stopping;
        try
        {
            stopping = _stop(deadline.Token).AsTask();
        }
        catch (Exception ex)
        {
            stopping = Task.FromException(ex);
        }

        try
        {
            await stopping.WaitAsync(_stopTimeout).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException || (ex is OperationCanceledException && deadline.IsCancellationRequested))
        {
            _ = stopping.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            throw new TimeoutException(
                $"Stopping the NATS server {this} did not finish within {_stopTimeout.TotalSeconds:0.#} s; it may still be running. " +
                (Source == NatsServerSource.Testcontainers
                    ? "Check that the Docker engine still answers (`docker ps`) and remove the container by hand."
                    : "Stop the process by its id and delete its store directory by hand."),
                ex);
        }
    }

    /// <inheritdoc />
    public override string ToString() => $"{Url} ({Source}: {Description})";
}
