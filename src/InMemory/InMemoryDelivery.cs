using System.Globalization;
using Goflux.InMemory.Internal;
using Goflux.Transport;

namespace Goflux.InMemory;

/// <summary>
/// One delivery of a stored message to a consumer, with its metadata and JetStream acknowledgement operations.
/// </summary>
/// <remarks>
/// Like the server, the engine identifies the message by its stream sequence (S-79): acknowledging any delivery of a
/// message acknowledges the message. Acks on a message that is no longer pending change nothing (S-84, S-88).
/// </remarks>
public sealed class InMemoryDelivery : IMessageAcker
{
    private readonly ReadOnlyMemory<byte> _data;

    // The metadata, kept flat (the stream and consumer names are the consumer's): Metadata builds it on demand.
    private readonly ulong _streamSequence;
    private readonly ulong _consumerSequence;
    private readonly ulong _numDelivered;
    private readonly ulong _numPending;
    private readonly long _timestampTicks;

    internal InMemoryDelivery(ConsumerState consumer, string subject, ReadOnlyMemory<byte> data, MessageHeaders? headers, DeliveryInfo metadata)
    {
        Consumer = consumer;
        Subject = subject;
        _data = data;
        Headers = headers;
        _streamSequence = metadata.StreamSequence;
        _consumerSequence = metadata.ConsumerSequence;
        _numDelivered = metadata.NumDelivered;
        _numPending = metadata.NumPending;
        _timestampTicks = metadata.Timestamp.UtcTicks;
    }

    /// <summary>Gets the subject the message was stored under.</summary>
    public string Subject { get; }

    /// <summary>Gets the stored payload bytes: read-only, and unchanged for as long as they are held, even after the
    /// message leaves the stream. They are a slice of a page the engine shares between payloads (at most 128 KB), which
    /// stays in memory while anything holds a slice of it; copy them to keep them long.</summary>
    public ReadOnlyMemory<byte> Data => _data;

    /// <summary>Gets the stored headers, verbatim (S-22), or <see langword="null"/>.</summary>
    public MessageHeaders? Headers { get; }

    /// <summary>Gets the delivery metadata: stream and consumer sequences, delivery count, pending count, timestamp.</summary>
    public DeliveryInfo Metadata => new(Consumer.Stream.Name, Consumer.Name, _streamSequence, _consumerSequence, _numDelivered, _numPending, new DateTimeOffset(_timestampTicks, TimeSpan.Zero));

    /// <inheritdoc />
    DeliveryInfo? IMessageAcker.Delivery => Metadata;

    /// <summary>Gets the ack subject in the server's 9-token form (S-89).</summary>
    public string ReplyTo => string.Create(
        CultureInfo.InvariantCulture,
        $"$JS.ACK.{Metadata.Stream}.{Metadata.Consumer}.{Metadata.NumDelivered}.{Metadata.StreamSequence}.{Metadata.ConsumerSequence}.{(Metadata.Timestamp - DateTimeOffset.UnixEpoch).Ticks * 100}.{Metadata.NumPending}");

    /// <inheritdoc />
    public AckCapabilities Capabilities => AckCapabilities.All;

    /// <summary>Gets the consumer that made the delivery.</summary>
    internal ConsumerState Consumer { get; }

    /// <summary>Gets the message's stream sequence, as <see cref="Metadata"/> does without building it.</summary>
    internal ulong StreamSequence => _streamSequence;

    /// <summary>Gets the delivery's consumer sequence.</summary>
    internal ulong ConsumerSequence => _consumerSequence;

    /// <summary>Gets the delivery count.</summary>
    internal ulong NumDelivered => _numDelivered;

    /// <summary>Acknowledges the message.</summary>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>A completed task, or one failed with <see cref="ObjectDisposedException"/> when the engine was disposed.</returns>
    public ValueTask AckAsync(CancellationToken cancellationToken = default)
    {
        return Send(AckKind.Ack, null, null);
    }

    /// <summary>Negatively acknowledges the message: redelivered now, or after <paramref name="delay"/>.</summary>
    /// <param name="delay">The delay, or <see langword="null"/> for an immediate redelivery.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>A completed task, or one failed with <see cref="ObjectDisposedException"/> when the engine was disposed.</returns>
    public ValueTask NakAsync(TimeSpan? delay = null, CancellationToken cancellationToken = default)
    {
        return Send(AckKind.Nak, delay, null);
    }

    /// <summary>Restarts the message's ack timer (<c>+WPI</c>).</summary>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>A completed task, or one failed with <see cref="ObjectDisposedException"/> when the engine was disposed.</returns>
    public ValueTask InProgressAsync(CancellationToken cancellationToken = default)
    {
        return Send(AckKind.InProgress, null, null);
    }

    /// <summary>Terminates the message (<c>+TERM</c>): never redelivered.</summary>
    /// <param name="reason">The reason, reported in the MSG_TERMINATED advisory.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>A completed task, or one failed with <see cref="ObjectDisposedException"/> when the engine was disposed.</returns>
    public ValueTask TermAsync(string? reason = null, CancellationToken cancellationToken = default)
    {
        return Send(AckKind.Term, null, reason);
    }

    /// <inheritdoc />
    ValueTask IMessageAcker.AckAsync(CancellationToken cancellationToken) => AckAsync(cancellationToken);

    /// <inheritdoc />
    ValueTask IMessageAcker.NakAsync(TimeSpan? delay, CancellationToken cancellationToken) => NakAsync(delay, cancellationToken);

    /// <inheritdoc />
    ValueTask IMessageAcker.InProgressAsync(CancellationToken cancellationToken) => InProgressAsync(cancellationToken);

    /// <inheritdoc />
    ValueTask IMessageAcker.TermAsync(string? reason, CancellationToken cancellationToken) => TermAsync(reason, cancellationToken);

    private ValueTask Send(AckKind kind, TimeSpan? delay, string? reason)
    {
        try
        {
            Consumer.Engine.Acknowledge(this, kind, delay, reason);
            return default;
        }
        catch (ObjectDisposedException ex)
        {
            return ValueTask.FromException(ex);
        }
    }

    internal enum AckKind
    {
        Ack,
        Nak,
        InProgress,
        Term,
    }
}
