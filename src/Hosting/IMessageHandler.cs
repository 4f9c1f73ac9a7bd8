namespace Goflux.Hosting;

/// <summary>
/// Handles the messages of a hosted consumer. The host resolves the handler from a new dependency-injection scope for
/// every message, so it may take scoped services (a database context, a unit of work) in its constructor.
/// </summary>
/// <typeparam name="T">The payload type.</typeparam>
/// <remarks>
/// Register the handler yourself with the lifetime you want (usually <c>services.AddScoped&lt;THandler&gt;()</c>); a handler
/// type that is not registered stops the host at start with a message naming it.
/// </remarks>
public interface IMessageHandler<T>
{
    /// <summary>Handles one message.</summary>
    /// <param name="message">The message. Unless the consumer settles messages itself, returning acks it and throwing naks it
    /// (or, with <see cref="GofluxHandlerBuilder{T}.RetryAck"/>, naks it with the policy's delay or terminates it).</param>
    /// <param name="cancellationToken">Cancelled when the host's shutdown timeout has elapsed: the message is then left
    /// unsettled, and the server redelivers it after its ack wait.</param>
    /// <returns>A task that completes when the message has been handled.</returns>
    ValueTask HandleAsync(Message<T> message, CancellationToken cancellationToken);
}
