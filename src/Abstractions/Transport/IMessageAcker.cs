namespace Goflux.Transport;

/// <summary>
/// The raw acknowledgement operations a transport supplies for one delivered message.
/// </summary>
/// <remarks>
/// <see cref="Message{T}"/> calls at most one settling operation (ack, nak, term) and applies the capability
/// fallbacks itself: without <see cref="AckCapabilities.NakDelay"/> a delayed nak becomes a nak; without
/// <see cref="AckCapabilities.Term"/> a term becomes an ack.
/// </remarks>
public interface IMessageAcker
{
    /// <summary>Gets what this acker supports.</summary>
    AckCapabilities Capabilities { get; }

    /// <summary>Acknowledges the message.</summary>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>A task that completes when the acknowledgement was sent.</returns>
    ValueTask AckAsync(CancellationToken cancellationToken);

    /// <summary>Negatively acknowledges the message.</summary>
    /// <param name="delay">The redelivery delay, or <see langword="null"/> for an immediate redelivery.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>A task that completes when the nak was sent.</returns>
    ValueTask NakAsync(TimeSpan? delay, CancellationToken cancellationToken);

    /// <summary>Tells the server the message is still being worked on.</summary>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>A task that completes when the signal was sent.</returns>
    ValueTask InProgressAsync(CancellationToken cancellationToken);

    /// <summary>Terminates the message: it is never redelivered.</summary>
    /// <param name="reason">The reason, or <see langword="null"/>.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>A task that completes when the term was sent.</returns>
    ValueTask TermAsync(string? reason, CancellationToken cancellationToken);

    /// <summary>
    /// Gets the metadata of the delivery this acker settles, when the acker holds it: a <see cref="Message{T}"/> the
    /// delivery pipeline builds over such an acker reads <see cref="Message{T}.Delivery"/> from it instead of keeping a
    /// copy (always, for a delivery built with
    /// <see cref="IncomingMessage(string, ReadOnlyMemory{byte}, MessageHeaders?, IMessageAcker)"/>, which never asks for
    /// it unless someone reads it). <see langword="null"/> (the default) when the acker does not hold it.
    /// </summary>
    DeliveryInfo? Delivery => null;
}
