namespace Goflux;

/// <summary>
/// A publisher fixed to one subject.
/// </summary>
/// <typeparam name="T">The payload type.</typeparam>
public sealed class BoundPublisher<T>
{
    private readonly IPublisher<T> _publisher;

    /// <summary>Initializes a new instance of the <see cref="BoundPublisher{T}"/> class.</summary>
    /// <param name="publisher">The publisher; not owned.</param>
    /// <param name="subject">The literal subject.</param>
    /// <exception cref="ArgumentException"><paramref name="subject"/> is not a valid publish subject.</exception>
    public BoundPublisher(IPublisher<T> publisher, string subject)
    {
        ArgumentNullException.ThrowIfNull(publisher);
        Subjects.ValidatePublishSubject(subject);
        _publisher = publisher;
        Subject = subject;
    }

    /// <summary>Gets the subject.</summary>
    public string Subject { get; }

    /// <summary>Publishes <paramref name="value"/> to <see cref="Subject"/>.</summary>
    /// <param name="value">The payload.</param>
    /// <param name="options">Per-publish settings.</param>
    /// <param name="cancellationToken">A token to cancel the publish.</param>
    /// <returns>What the transport acknowledged.</returns>
    public ValueTask<PublishResult> PublishAsync(T value, PublishOptions? options = null, CancellationToken cancellationToken = default)
        => _publisher.PublishAsync(Subject, value, options, cancellationToken);
}
