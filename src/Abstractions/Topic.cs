namespace Goflux;

/// <summary>
/// A publisher and a subscriber bound to one subject.
/// </summary>
/// <typeparam name="T">The payload type.</typeparam>
public sealed class Topic<T>
{
    /// <summary>Initializes a new instance of the <see cref="Topic{T}"/> class.</summary>
    /// <param name="publisher">The publisher; not owned.</param>
    /// <param name="subscriber">The subscriber; not owned.</param>
    /// <param name="subject">The literal subject.</param>
    public Topic(IPublisher<T> publisher, ISubscriber<T> subscriber, string subject)
    {
        Publisher = new BoundPublisher<T>(publisher, subject);
        Subscriber = new BoundSubscriber<T>(subscriber, subject);
    }

    /// <summary>Gets the subject.</summary>
    public string Subject => Publisher.Subject;

    /// <summary>Gets the bound publisher.</summary>
    public BoundPublisher<T> Publisher { get; }

    /// <summary>Gets the bound subscriber.</summary>
    public BoundSubscriber<T> Subscriber { get; }

    /// <summary>Publishes to the topic.</summary>
    /// <param name="value">The payload.</param>
    /// <param name="options">Per-publish settings.</param>
    /// <param name="cancellationToken">A token to cancel the publish.</param>
    /// <returns>What the transport acknowledged.</returns>
    public ValueTask<PublishResult> PublishAsync(T value, PublishOptions? options = null, CancellationToken cancellationToken = default)
        => Publisher.PublishAsync(value, options, cancellationToken);

    /// <summary>Subscribes to the topic until <paramref name="cancellationToken"/> is cancelled.</summary>
    /// <param name="handler">The handler.</param>
    /// <param name="cancellationToken">Cancel to stop.</param>
    /// <returns>A task that completes when the subscription has stopped.</returns>
    public Task SubscribeAsync(MessageHandler<T> handler, CancellationToken cancellationToken = default)
        => Subscriber.SubscribeAsync(handler, cancellationToken);
}
