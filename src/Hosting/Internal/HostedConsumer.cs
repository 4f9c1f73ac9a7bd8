using Goflux.Codecs;
using Microsoft.Extensions.Logging;

namespace Goflux.Hosting.Internal;

/// <summary>One hosted consumer: its workers (one subscriber each), their statuses, start and graceful stop.</summary>
internal abstract class HostedConsumer : IAsyncDisposable
{
    public abstract string Stream { get; }

    public abstract string Consumer { get; }

    /// <summary>Gets the status of each worker's subscription.</summary>
    public abstract IReadOnlyList<SubscriptionStatus> Statuses { get; }

    public abstract Task StartAsync(CancellationToken cancellationToken);

    public abstract Task StopAsync(CancellationToken cancellationToken);

    public abstract ValueTask DisposeAsync();
}

internal sealed class HostedConsumer<T>(
    HandlerRegistration registration,
    MessageHandler<T> handler,
    IMessageDecoder<T> decoder,
    GofluxFactory factory,
    GofluxHandlerOptions options,
    string subject) : HostedConsumer
{
    private readonly CancellationTokenSource _stop = new();
    private readonly CancellationTokenSource _abandon = new();
    private readonly List<(ISubscriber<T> Subscriber, Task Run)> _workers = [];
    private readonly List<SubscriptionStatus> _statuses = [];
    private readonly ILogger _logger = factory.Logger<GofluxHostedService>();
    private int _inFlight;

    public override string Stream => registration.Stream;

    public override string Consumer => registration.Consumer;

    public override IReadOnlyList<SubscriptionStatus> Statuses
    {
        get
        {
            lock (_statuses)
            {
                return [.. _statuses];
            }
        }
    }

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        var workers = options.MaxConcurrency;
        var window = Math.Max(1, options.MaxMessages / workers);
        for (var i = 0; i < workers; i++)
        {
            var subscriber = await factory.Backend.CreateSubscriberAsync(Stream, Consumer, decoder, factory.SubscriberOptions<T>(window), cancellationToken).ConfigureAwait(false);
            lock (_statuses)
            {
                _statuses.Add(subscriber.Status);
            }

            _workers.Add((subscriber, Task.Run(() => RunAsync(subscriber), CancellationToken.None)));
        }

        foreach (var (subscriber, run) in _workers)
        {
            var listening = subscriber.Status.WaitForListeningAsync(cancellationToken);
            var first = await Task.WhenAny(listening, run).ConfigureAwait(false);
            if (first == run)
            {
                await run.ConfigureAwait(false);
                throw new InvalidOperationException("its subscription ended before it listened.");
            }

            await listening.ConfigureAwait(false);
        }

        Log.ConsumerListening(_logger, Consumer, Stream, workers, subject);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_workers.Count == 0)
        {
            return;
        }

        Log.ConsumerStopping(_logger, Consumer, Stream);
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(_workers.Select(w => w.Run)).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The host's shutdown timeout: whatever is still being handled is abandoned, unsettled.
            var left = Volatile.Read(ref _inFlight);
            await _abandon.CancelAsync().ConfigureAwait(false);
            Log.ShutdownTimedOut(_logger, Consumer, Stream, left);
        }
#pragma warning disable CA1031 // A worker that failed was logged when it failed; stopping goes on.
        catch (Exception)
#pragma warning restore CA1031
        {
        }

        foreach (var (subscriber, _) in _workers)
        {
            await subscriber.DisposeAsync().ConfigureAwait(false);
        }
    }

    public override async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await _stop.CancelAsync().ConfigureAwait(false);
        }

        if (!_abandon.IsCancellationRequested)
        {
            await _abandon.CancelAsync().ConfigureAwait(false);
        }

        foreach (var (subscriber, _) in _workers)
        {
            await subscriber.DisposeAsync().ConfigureAwait(false);
        }

        _stop.Dispose();
        _abandon.Dispose();
    }

    private async Task RunAsync(ISubscriber<T> subscriber)
    {
        try
        {
            await subscriber.SubscribeAsync(subject, HandleAsync, _stop.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (!_stop.IsCancellationRequested)
        {
            Log.ConsumerFaulted(_logger, Consumer, Stream, ex);
            throw;
        }
    }

    private async ValueTask HandleAsync(Message<T> message, CancellationToken cancellationToken)
    {
        if (_stop.IsCancellationRequested)
        {
            // Pulled but not started before the stop: leave it unsettled, the server redelivers it.
            return;
        }

        Interlocked.Increment(ref _inFlight);
        try
        {
            var guarded = new Message<T>(
                message.Subject,
                message.Payload,
                message.Headers,
                message.MessageId,
                message.Delivery,
                new ShutdownGuardedAcker<T>(message, _abandon.Token));
            await handler(guarded, _abandon.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_abandon.IsCancellationRequested)
        {
            // Cut short by the shutdown timeout; already counted in the shutdown log line, left unsettled.
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }
}
