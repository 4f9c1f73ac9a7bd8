namespace Goflux.Tests.Support;

/// <summary>
/// A running NATS server found or started for tests. Disposing it stops what was started
/// (a process or a container); a server named by <c>NATS_URL</c> is left running.
/// </summary>
public sealed class NatsServerHandle : IAsyncDisposable
{
    private readonly Func<ValueTask>? _stop;
    private int _disposed;

    internal NatsServerHandle(string url, NatsServerSource source, string description, Func<ValueTask>? stop)
    {
        Url = url;
        Source = source;
        Description = description;
        _stop = stop;
    }

    /// <summary>Client URL, e.g. <c>nats://127.0.0.1:4222</c>.</summary>
    public string Url { get; }

    /// <summary>How the server was found.</summary>
    public NatsServerSource Source { get; }

    /// <summary>Human-readable origin: the binary path, the image name or the environment variable.</summary>
    public string Description { get; }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1 || _stop is null)
        {
            return;
        }

        await _stop().ConfigureAwait(false);
    }

    /// <inheritdoc />
    public override string ToString() => $"{Url} ({Source}: {Description})";
}
