using Goflux.Transport;
using NATS.Client.Core;
using NATS.Client.JetStream;

namespace Goflux.JetStream.Internal;

/// <summary>What every JetStream server supports.</summary>
internal static class JetStreamAcker
{
    internal const AckCapabilities Base = AckCapabilities.NakDelay | AckCapabilities.Term | AckCapabilities.InProgress;
}

/// <summary>
/// What every delivery of one subscription shares: its stream and consumer names (to read the metadata from the ack
/// subject without a fresh string per message) and what the connection's server supports, as of the server's INFO.
/// </summary>
internal sealed class JetStreamAckContext(string stream, string consumer, INatsServerInfo? info, AckCapabilities capabilities)
{
    internal string Stream { get; } = stream;

    internal string Consumer { get; } = consumer;

    /// <summary>Gets the server INFO the capabilities were read from; it changes only on (re)connect.</summary>
    internal INatsServerInfo? Info { get; } = info;

    internal AckCapabilities Capabilities { get; } = capabilities;
}

/// <summary>The raw acknowledgements of one JetStream delivery, and its metadata read from the ack subject when asked.</summary>
/// <typeparam name="TData">The type NATS.Net deserialized the delivery's data to.</typeparam>
internal sealed class JetStreamAcker<TData> : IMessageAcker
{
    /// <summary>Marks a delivery whose reply subject carries no metadata.</summary>
    private static readonly object NoMetadata = new();

    private readonly INatsJSMsg<TData> _msg;
    private readonly JetStreamAckContext _context;

    /// <summary>The metadata once read (boxed), <see cref="NoMetadata"/>, or <see langword="null"/> until asked for:
    /// most handlers never read it, so most deliveries never parse their ack subject.</summary>
    private object? _delivery;

    internal JetStreamAcker(INatsJSMsg<TData> msg, JetStreamAckContext context)
    {
        _msg = msg;
        _context = context;
    }

    /// <inheritdoc />
    public AckCapabilities Capabilities => _context.Capabilities;

    /// <summary>Gets the delivery's metadata, read from its ack subject on first use (the message built over this acker
    /// keeps no copy).</summary>
    public DeliveryInfo? Delivery
    {
        get
        {
            // Two threads reading at once both parse the same subject to the same value; either box may win.
            var read = Volatile.Read(ref _delivery);
            if (read is null)
            {
                read = Read() is { } parsed ? parsed : NoMetadata;
                Volatile.Write(ref _delivery, read);
            }

            return read is DeliveryInfo delivery ? delivery : null;
        }
    }

    /// <inheritdoc />
    public ValueTask AckAsync(CancellationToken cancellationToken) => _msg.AckAsync(null, cancellationToken);

    /// <inheritdoc />
    public ValueTask NakAsync(TimeSpan? delay, CancellationToken cancellationToken) =>
        delay is { } d && d > TimeSpan.Zero
            ? _msg.NakAsync(new AckOpts { NakDelay = d }, cancellationToken)
            : _msg.NakAsync(null, cancellationToken);

    /// <inheritdoc />
    public ValueTask InProgressAsync(CancellationToken cancellationToken) => _msg.AckProgressAsync(null, cancellationToken);

    /// <inheritdoc />
    public ValueTask TermAsync(string? reason, CancellationToken cancellationToken) =>
        !string.IsNullOrEmpty(reason) && (Capabilities & AckCapabilities.TermReason) != 0
            ? _msg.AckTerminateAsync(new AckOpts { TerminateReason = reason }, cancellationToken)
            : _msg.AckTerminateAsync(null, cancellationToken);

    private DeliveryInfo? Read() =>
        AckSubject.TryParse(_msg.ReplyTo, _context.Stream, _context.Consumer, out var parsed)
            ? parsed
            : _msg.Metadata is { } m
                ? new DeliveryInfo(m.Stream, m.Consumer, m.Sequence.Stream, m.Sequence.Consumer, m.NumDelivered, m.NumPending, m.Timestamp)
                : null;
}
