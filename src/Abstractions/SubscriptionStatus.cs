using Goflux.Internal;
using Goflux.Transport;
using Microsoft.Extensions.Logging;

namespace Goflux;

/// <summary>
/// The live state of a subscriber's subscription: whether it listens, is interrupted, or has ended and why. A health
/// check reads it; a host waits on <see cref="WaitForListeningAsync"/> before it reports itself started.
/// </summary>
/// <remarks>
/// It is read-only to whoever holds it: only the transport that created it, through its
/// <see cref="SubscriptionStatusSource"/>, reports changes (as only a <see cref="TaskCompletionSource"/> completes its
/// task). It is thread-safe. <see cref="StateChanged"/> handlers run synchronously on the thread that reported the change,
/// outside any transport lock; an exception thrown by a handler cannot break the subscription: it is logged (at Warning,
/// on the subscriber's logger) and the other handlers still run.
/// </remarks>
public sealed class SubscriptionStatus
{
    private readonly Lock _gate = new();
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private TaskCompletionSource _listening = NewSignal();
    private SubscriptionState _state;
    private Exception? _error;
    private DateTimeOffset _since;

    internal SubscriptionStatus(TimeProvider timeProvider, ILogger logger)
    {
        _timeProvider = timeProvider;
        _logger = logger;
        _since = _timeProvider.GetUtcNow();
    }

    /// <summary>Raised after every change of <see cref="State"/>.</summary>
    public event EventHandler<SubscriptionState>? StateChanged;

    /// <summary>Gets the current state.</summary>
    public SubscriptionState State
    {
        get
        {
            lock (_gate)
            {
                return _state;
            }
        }
    }

    /// <summary>Gets the error that faulted or interrupted the subscription, or <see langword="null"/>.</summary>
    public Exception? Error
    {
        get
        {
            lock (_gate)
            {
                return _error;
            }
        }
    }

    /// <summary>Gets when <see cref="State"/> last changed.</summary>
    public DateTimeOffset Since
    {
        get
        {
            lock (_gate)
            {
                return _since;
            }
        }
    }

    /// <summary>
    /// Waits until the subscription listens (<see cref="SubscriptionState.Listening"/>).
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task that completes when the subscription listens.</returns>
    /// <exception cref="GofluxException">The subscription faulted before it listened.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled, or the subscription
    /// stopped before it listened.</exception>
    public Task WaitForListeningAsync(CancellationToken cancellationToken = default)
    {
        Task signal;
        lock (_gate)
        {
            signal = _listening.Task;
        }

        return signal.WaitAsync(cancellationToken);
    }

    /// <summary>Records a change of state; see <see cref="SubscriptionStatusSource.Report"/>.</summary>
    internal void Report(SubscriptionState state, Exception? error)
    {
        TaskCompletionSource? complete = null;
        lock (_gate)
        {
            if (_state == state && ReferenceEquals(_error, error))
            {
                return;
            }

            _state = state;
            _error = error;
            _since = _timeProvider.GetUtcNow();
            switch (state)
            {
                case SubscriptionState.Listening:
                    complete = _listening;
                    break;
                case SubscriptionState.Starting:
                    if (_listening.Task.IsCompleted)
                    {
                        _listening = NewSignal();
                    }

                    break;
                case SubscriptionState.Stopped:
                case SubscriptionState.Faulted:
                    // A waiter must not hang on a subscription that has ended: the signal ends with it (a completed
                    // signal is replaced, so a later wait sees the end too).
                    if (_listening.Task.IsCompleted)
                    {
                        _listening = NewSignal();
                    }

                    complete = _listening;
                    break;
                default:
                    break;
            }
        }

        if (complete is not null)
        {
            switch (state)
            {
                case SubscriptionState.Listening:
                    complete.TrySetResult();
                    break;
                case SubscriptionState.Faulted:
                    complete.TrySetException(error ?? new InvalidOperationException("The subscription faulted."));
                    break;
                default:
                    complete.TrySetCanceled();
                    break;
            }
        }

        if (StateChanged is not { } listeners)
        {
            return;
        }

        foreach (var listener in listeners.GetInvocationList().Cast<EventHandler<SubscriptionState>>())
        {
            try
            {
                listener(this, state);
            }
#pragma warning disable CA1031 // A listener must never break the subscription that reports to it: logged, not thrown.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Log.StatusListenerFailed(_logger, state, ex);
            }
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
