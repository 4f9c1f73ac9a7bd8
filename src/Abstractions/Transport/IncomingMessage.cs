namespace Goflux.Transport;

/// <summary>
/// A raw delivery handed over by a transport: subject, bytes, wire headers, delivery metadata and the acker.
/// </summary>
public readonly struct IncomingMessage
{
    private readonly DeliveryInfo? _delivery;

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
        _delivery = delivery;
        Acker = acker;
    }

    /// <summary>
    /// Initializes a new instance of the <see cref="IncomingMessage"/> struct whose delivery metadata is the acker's
    /// (<see cref="IMessageAcker.Delivery"/>): nothing is copied, and the <see cref="Message{T}"/> the delivery pipeline
    /// builds reads <see cref="Message{T}.Delivery"/> from the acker when asked. A transport whose acker can produce
    /// the metadata (from fields it keeps anyway, or by parsing an ack subject) uses this one, so a delivery whose
    /// metadata no one reads costs nothing for it.
    /// </summary>
    /// <param name="subject">The subject the message was published to.</param>
    /// <param name="body">The encoded payload.</param>
    /// <param name="headers">The wire headers, or <see langword="null"/>.</param>
    /// <param name="acker">The acknowledgement operations, which hold the delivery metadata.</param>
    /// <exception cref="ArgumentNullException"><paramref name="acker"/> is <see langword="null"/>.</exception>
    public IncomingMessage(string subject, ReadOnlyMemory<byte> body, MessageHeaders? headers, IMessageAcker acker)
    {
        ArgumentNullException.ThrowIfNull(acker);
        Subject = subject;
        Body = body;
        Headers = headers;
        Acker = acker;
        DeliveryFromAcker = true;
    }

    /// <summary>Gets the subject.</summary>
    public string Subject { get; }

    /// <summary>Gets the encoded payload.</summary>
    public ReadOnlyMemory<byte> Body { get; }

    /// <summary>Gets the wire headers, or <see langword="null"/>.</summary>
    public MessageHeaders? Headers { get; }

    /// <summary>Gets the delivery metadata, or <see langword="null"/>: the acker's when the delivery was built over it
    /// without a copy.</summary>
    public DeliveryInfo? Delivery => DeliveryFromAcker ? Acker!.Delivery : _delivery;

    /// <summary>Gets the acknowledgement operations, or <see langword="null"/>.</summary>
    public IMessageAcker? Acker { get; }

    /// <summary>Gets a value indicating whether the delivery metadata is the acker's, read through it, never copied.</summary>
    internal bool DeliveryFromAcker { get; }
}
