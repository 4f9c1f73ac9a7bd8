namespace Goflux.Testing;

/// <summary>
/// Builds a <see cref="Message{T}"/> with no transport for a pure handler test: call the handler with it, then read
/// <see cref="Message{T}.Outcome"/>, <see cref="Message{T}.NakDelay"/> and <see cref="Message{T}.TermReason"/>.
/// </summary>
public static class TestMessage
{
    /// <summary>The stream name the delivery metadata of a test message carries.</summary>
    public const string Stream = "TEST";

    /// <summary>The consumer name the delivery metadata of a test message carries.</summary>
    public const string Consumer = "test";

    /// <summary>Creates a message that settles locally: its acknowledgements only record what the handler did.</summary>
    /// <typeparam name="T">The payload type.</typeparam>
    /// <param name="payload">The payload.</param>
    /// <param name="subject">The subject.</param>
    /// <param name="messageId">The message id, or <see langword="null"/>.</param>
    /// <param name="numDelivered">The delivery count (1 for a first delivery); retry middleware reads it as the attempt.</param>
    /// <param name="headers">Application headers, or <see langword="null"/>.</param>
    /// <param name="timestamp">When the stream stored the message; <see cref="DateTimeOffset.UnixEpoch"/> when not given.</param>
    /// <returns>The message.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="subject"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="numDelivered"/> is 0.</exception>
    public static Message<T> Create<T>(
        T payload,
        string subject = "test",
        string? messageId = null,
        ulong numDelivered = 1,
        MessageHeaders? headers = null,
        DateTimeOffset? timestamp = null)
    {
        ArgumentNullException.ThrowIfNull(subject);
        ArgumentOutOfRangeException.ThrowIfZero(numDelivered);
        var delivery = new DeliveryInfo(Stream, Consumer, 1, numDelivered, numDelivered, 0, timestamp ?? DateTimeOffset.UnixEpoch);
        return new Message<T>(subject, payload, headers, messageId, delivery);
    }
}
