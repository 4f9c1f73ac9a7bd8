namespace Goflux;

/// <summary>
/// A subscriber fixed to one subject.
/// </summary>
/// <typeparam name="T">The payload type.</typeparam>
public sealed class BoundSubscriber<T>
{
    private readonly ISubscriber<T> _subscriber;

    /// <summary>Initializes a new instance of the <see cref="BoundSubscriber{T}"/> class.</summary>
    /// <param name="subscriber">The subscriber; not owned.</param>
    /// <param name="subject">The subject (wildcards allowed).</param>
    /// <exception cref="ArgumentException"><paramref name="subject"/> is not a valid subject.</exception>
    public BoundSubscriber(ISubscriber<T> subscriber, string subject)
    {
        ArgumentNullException.ThrowIfNull(subscriber);
        Subjects.ValidatePattern(subject);
        _subscriber = subscriber;
        Subject = subject;
    }

    /// <summary>Gets the subject.</summary>
    public string Subject { get; }

    /// <summary>Runs <paramref name="handler"/> until <paramref name="cancellationToken"/> is cancelled.</summary>
    /// <param name="handler">The handler.</param>
    /// <param name="cancellationToken">Cancel to stop.</param>
    /// <returns>A task that completes when the subscription has stopped.</returns>
    public Task SubscribeAsync(MessageHandler<T> handler, CancellationToken cancellationToken = default)
        => _subscriber.SubscribeAsync(Subject, handler, cancellationToken);
}
