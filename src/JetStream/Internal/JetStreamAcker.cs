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
    private readonly INatsJSMsg<TData> _msg;
    private readonly JetStreamAckContext _context;

    internal JetStreamAcker(INatsJSMsg<TData> msg, JetStreamAckContext context)
    {
        _msg = msg;
        _context = context;
    }

    /// <inheritdoc />
    public AckCapabilities Capabilities => _context.Capabilities;

    /// <summary>
    /// Gets the delivery's metadata, read from its ack subject each time it is asked for, without allocating (the
    /// consumer's stream and consumer names are reused): most handlers never read it, so most deliveries never parse
    /// their ack subject, and the acker keeps no copy (the message built over it keeps none either).
    /// </summary>
    public DeliveryInfo? Delivery =>
        AckSubject.TryParse(_msg.ReplyTo, _context.Stream, _context.Consumer, out var parsed)
            ? parsed
            : _msg.Metadata is { } m
                ? new DeliveryInfo(m.Stream, m.Consumer, m.Sequence.Stream, m.Sequence.Consumer, m.NumDelivered, m.NumPending, m.Timestamp)
                : null;

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
}
