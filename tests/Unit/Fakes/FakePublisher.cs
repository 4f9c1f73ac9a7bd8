namespace Goflux.Tests.Fakes;

internal sealed record PublishCall<T>(string Subject, T Value, PublishOptions? Options, CancellationToken CancellationToken);

/// <summary>An <see cref="IPublisher{T}"/> that records calls and answers through <see cref="Behaviour"/>.</summary>
internal sealed class FakePublisher<T> : IPublisher<T>
{
    private readonly List<PublishCall<T>> _calls = [];
    private readonly Lock _gate = new();

    /// <summary>Given the attempt number (from 1), returns the result or throws.</summary>
    public Func<int, PublishResult>? Behaviour { get; set; }

    public bool Disposed { get; private set; }

    public IReadOnlyList<PublishCall<T>> Calls
    {
        get
        {
            lock (_gate)
            {
                return [.. _calls];
            }
        }
    }

    public ValueTask<PublishResult> PublishAsync(string subject, T value, PublishOptions? options = null, CancellationToken cancellationToken = default)
    {
        int attempt;
        lock (_gate)
        {
            _calls.Add(new PublishCall<T>(subject, value, options, cancellationToken));
            attempt = _calls.Count;
        }

        try
        {
            return new(Behaviour is null ? new PublishResult("TEST", (ulong)attempt, false) : Behaviour(attempt));
        }
        catch (Exception ex)
        {
            return ValueTask.FromException<PublishResult>(ex);
        }
    }

    public ValueTask DisposeAsync()
    {
        Disposed = true;
        return ValueTask.CompletedTask;
    }
}
