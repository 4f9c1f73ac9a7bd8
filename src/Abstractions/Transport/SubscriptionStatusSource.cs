using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Goflux.Transport;

/// <summary>
/// The writing side of a <see cref="SubscriptionStatus"/>, held by the transport that runs the subscription: it reports
/// the changes, everyone else reads <see cref="Status"/> (as a <see cref="TaskCompletionSource"/> completes the task others
/// wait on).
/// </summary>
public sealed class SubscriptionStatusSource
{
    /// <summary>Initializes a new instance of the <see cref="SubscriptionStatusSource"/> class.</summary>
    /// <param name="timeProvider">The clock that stamps changes (the subscriber's <see cref="SubscriberOptions.TimeProvider"/>),
    /// or <see langword="null"/> for <see cref="TimeProvider.System"/>.</param>
    /// <param name="logger">Where a failing <see cref="SubscriptionStatus.StateChanged"/> listener is logged (the subscriber's
    /// logger), or <see langword="null"/> for none.</param>
    public SubscriptionStatusSource(TimeProvider? timeProvider = null, ILogger? logger = null)
    {
        Status = new SubscriptionStatus(timeProvider ?? TimeProvider.System, logger ?? NullLogger.Instance);
    }

    /// <summary>Gets the status this source reports into.</summary>
    public SubscriptionStatus Status { get; }

    /// <summary>
    /// Records a change of state: stamps it, completes or renews <see cref="SubscriptionStatus.WaitForListeningAsync"/>, and
    /// raises <see cref="SubscriptionStatus.StateChanged"/>. Reporting the current state and error again does nothing.
    /// </summary>
    /// <param name="state">The new state.</param>
    /// <param name="error">The error, for <see cref="SubscriptionState.Faulted"/> or <see cref="SubscriptionState.Interrupted"/>.</param>
    public void Report(SubscriptionState state, Exception? error = null) => Status.Report(state, error);
}
