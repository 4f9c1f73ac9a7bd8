namespace Goflux.Transport;

/// <summary>
/// A raw delivery handed over by a transport: subject, bytes, wire headers, delivery metadata and the acker.
/// </summary>
public readonly struct IncomingMessage
{
    /// <summary>
    /// Initializes a new instance of the <see cref="IncomingMessage"/> struct.
    /// </summary>
    /// <param name="subject">The subject the message was published to.</param>
    /// <param name="body">The encoded payload.</param>
    /// <param name="headers">The wire headers, or <see langword="null"/>.</param>
    /// <param name="delivery">The delivery metadata, or <see langword="null"/>.</param>
    /// <param name="acker">The acknowledgement operations, or <see langword="null"/>.</param>
    public IncomingMessage(string subject, ReadOnlyMemory<byte> body, MessageHeaders? headers, DeliveryInfo? delivery, IMessageAcker? acker)
    {
        Subject = subject;
        Body = body;
        Headers = headers;
        Delivery = delivery;
        Acker = acker;
    }

    /// <summary>Gets the subject.</summary>
    public string Subject { get; }

    /// <summary>Gets the encoded payload.</summary>
    public ReadOnlyMemory<byte> Body { get; }

    /// <summary>Gets the wire headers, or <see langword="null"/>.</summary>
    public MessageHeaders? Headers { get; }

    /// <summary>Gets the delivery metadata, or <see langword="null"/>.</summary>
    public DeliveryInfo? Delivery { get; }

    /// <summary>Gets the acknowledgement operations, or <see langword="null"/>.</summary>
    public IMessageAcker? Acker { get; }
}
