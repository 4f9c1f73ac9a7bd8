namespace Goflux.Transport;

/// <summary>
/// An encoded message ready for a transport: subject, body bytes and wire headers.
/// </summary>
/// <remarks>
/// <see cref="Body"/> is only valid until the transport's publish call completes; a transport that keeps the bytes
/// must copy them.
/// </remarks>
public readonly struct OutgoingMessage
{
    /// <summary>
    /// Initializes a new instance of the <see cref="OutgoingMessage"/> struct.
    /// </summary>
    /// <param name="subject">The literal subject.</param>
    /// <param name="body">The encoded payload.</param>
    /// <param name="headers">The wire headers, or <see langword="null"/> for none.</param>
    public OutgoingMessage(string subject, ReadOnlyMemory<byte> body, MessageHeaders? headers)
    {
        Subject = subject;
        Body = body;
        Headers = headers;
    }

    /// <summary>Gets the literal subject.</summary>
    public string Subject { get; }

    /// <summary>Gets the encoded payload.</summary>
    public ReadOnlyMemory<byte> Body { get; }

    /// <summary>Gets the wire headers (trace context, message id, prefixed application headers), or <see langword="null"/>.</summary>
    public MessageHeaders? Headers { get; }
}
