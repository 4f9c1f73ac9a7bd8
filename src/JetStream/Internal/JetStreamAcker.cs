using Goflux.Transport;
using NATS.Client.Core;
using NATS.Client.JetStream;

namespace Goflux.JetStream.Internal;

/// <summary>The raw acknowledgements of one JetStream delivery.</summary>
internal sealed class JetStreamAcker : IMessageAcker
{
    /// <summary>What every JetStream server supports.</summary>
    internal const AckCapabilities Base = AckCapabilities.NakDelay | AckCapabilities.Term | AckCapabilities.InProgress;

    private readonly INatsJSMsg<NatsMemoryOwner<byte>> _msg;

    internal JetStreamAcker(INatsJSMsg<NatsMemoryOwner<byte>> msg, AckCapabilities capabilities, DeliveryInfo? delivery)
    {
        _msg = msg;
        Capabilities = capabilities;
        Delivery = delivery;
    }

    /// <inheritdoc />
    public AckCapabilities Capabilities { get; }

    /// <summary>Gets the delivery's metadata (held here, so the message built over this acker keeps no copy).</summary>
    public DeliveryInfo? Delivery { get; }

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
