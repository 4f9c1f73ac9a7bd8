namespace Goflux.Transport;

/// <summary>
/// The raw publish a transport supplies to <see cref="PublishPipeline{T}"/>.
/// </summary>
public interface ITransportPublisher
{
    /// <summary>Gets the largest message (body plus headers) the transport accepts, in bytes; 0 when unknown.</summary>
    long MaxPayload { get; }

    /// <summary>Publishes an encoded message and waits for the transport's acknowledgement.</summary>
    /// <param name="message">The message; its body is valid only until this call completes.</param>
    /// <param name="cancellationToken">A token to cancel the publish.</param>
    /// <returns>What the transport acknowledged.</returns>
    /// <exception cref="GofluxException">The transport failed or rejected the message.</exception>
    ValueTask<PublishResult> PublishAsync(OutgoingMessage message, CancellationToken cancellationToken);
}
