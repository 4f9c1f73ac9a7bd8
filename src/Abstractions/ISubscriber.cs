namespace Goflux;

/// <summary>
/// Delivers typed messages to a handler.
/// </summary>
/// <typeparam name="T">The payload type.</typeparam>
public interface ISubscriber<T> : IAsyncDisposable
{
    /// <summary>
    /// Gets the state of this subscriber's subscription: starting, listening (its pull request is registered),
    /// interrupted, stopped or faulted. A host waits for <see cref="SubscriptionState.Listening"/>; a health check reads it.
    /// </summary>
    SubscriptionStatus Status { get; }

    /// <summary>
    /// Runs <paramref name="handler"/> for each delivered message until <paramref name="cancellationToken"/> is cancelled.
    /// </summary>
    /// <param name="subject">The subject the subscription is about. JetStream consumers decide what is delivered by their
    /// own filter; the subject names the subscription in telemetry.</param>
    /// <param name="handler">The handler.</param>
    /// <param name="cancellationToken">Cancel to stop the subscription; the returned task then completes normally.</param>
    /// <returns>A task that completes when the subscription has stopped.</returns>
    /// <exception cref="GofluxException">The subscription could not be started or failed (stage <see cref="GofluxStage.Subscribe"/>).</exception>
    Task SubscribeAsync(string subject, MessageHandler<T> handler, CancellationToken cancellationToken = default);
}
