using System.Threading.Channels;

namespace Goflux.Integration.Tests.JetStream;

/// <summary>
/// Runs <see cref="ISubscriber{T}.SubscribeAsync"/> in the background and hands each delivered message to the test.
/// </summary>
internal sealed class Subscription<T> : IAsyncDisposable
{
    private readonly Channel<Message<T>> _received = Channel.CreateUnbounded<Message<T>>();
    private readonly CancellationTokenSource _stop;

    private Subscription(ISubscriber<T> subscriber, string subject, Func<Message<T>, CancellationToken, ValueTask>? handler, CancellationToken cancellationToken)
    {
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task = subscriber.SubscribeAsync(
            subject,
            async (message, ct) =>
            {
                _received.Writer.TryWrite(message);
                if (handler is not null)
                {
                    await handler(message, ct);
                }
            },
            _stop.Token);
    }

    /// <summary>Gets the running <see cref="ISubscriber{T}.SubscribeAsync"/> task.</summary>
    public Task Task { get; }

    public static Subscription<T> Start(ISubscriber<T> subscriber, string subject, CancellationToken cancellationToken, Func<Message<T>, CancellationToken, ValueTask>? handler = null) =>
        new(subscriber, subject, handler, cancellationToken);

    /// <summary>Waits for the next delivery; fails the test when none arrives within <paramref name="timeout"/>.</summary>
    public async Task<Message<T>> NextAsync(TimeSpan timeout)
    {
        var message = await TryNextAsync(timeout);
        if (message is null)
        {
            var state = Task.IsFaulted ? $" (the subscription failed: {Task.Exception!.InnerException!.Message})" : string.Empty;
            throw new TimeoutException($"No message was delivered within {timeout}{state}.");
        }

        return message;
    }

    /// <summary>Waits for the next delivery; <see langword="null"/> when none arrives within <paramref name="timeout"/>.</summary>
    public async Task<Message<T>?> TryNextAsync(TimeSpan timeout)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        cts.CancelAfter(timeout);
        try
        {
            return await _received.Reader.ReadAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await Task;
        }
        catch (GofluxException)
        {
            // Tests that expect a failure observe the task themselves.
        }

        _stop.Dispose();
    }
}
