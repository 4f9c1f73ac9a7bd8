namespace Goflux;

/// <summary>
/// Handles one message.
/// </summary>
/// <typeparam name="T">The payload type.</typeparam>
/// <param name="message">The message.</param>
/// <param name="cancellationToken">Cancelled when the subscription stops.</param>
/// <returns>A task that completes when the message has been handled.</returns>
public delegate ValueTask MessageHandler<T>(Message<T> message, CancellationToken cancellationToken);
