namespace Goflux.Transport;

/// <summary>
/// A payload decoded ahead of its handler by <see cref="DeliveryPipeline{T}.Decode"/>: the value, or the exception the
/// decoder threw. A transport can decode on the thread that receives the message (as NATS.Net deserializes on its
/// socket reader) and hand the result to
/// <see cref="DeliveryPipeline{T}.ProcessAsync(IncomingMessage, DecodedPayload{T}, MessageHandler{T}, CancellationToken)"/>,
/// so the handler loop does not pay for the decode.
/// </summary>
/// <typeparam name="T">The payload type.</typeparam>
/// <remarks>The default value holds nothing: the pipeline then decodes <see cref="IncomingMessage.Body"/> itself.</remarks>
public readonly struct DecodedPayload<T>
{
    internal DecodedPayload(T payload, Exception? error, int bodyLength)
    {
        Payload = payload;
        Error = error;
        BodyLength = bodyLength;
        IsDecoded = true;
    }

    /// <summary>Gets the decoded payload (the default value when the decode failed or did not happen).</summary>
    public T Payload { get; }

    /// <summary>Gets what the decoder threw, or <see langword="null"/>.</summary>
    public Exception? Error { get; }

    /// <summary>Gets the length in bytes of the body the payload was decoded from.</summary>
    public int BodyLength { get; }

    /// <summary>Gets a value indicating whether a decode happened (succeeded or failed).</summary>
    public bool IsDecoded { get; }
}
