using Goflux.Transport;
using NATS.Client.Core;
using NATS.Client.JetStream;

namespace Goflux.JetStream.Internal;

/// <summary>What every JetStream server supports.</summary>
internal static class JetStreamAcker
{
    internal const AckCapabilities Base = AckCapabilities.NakDelay | AckCapabilities.Term | AckCapabilities.InProgress;
}

/// <summary>The raw acknowledgements of one JetStream delivery.</summary>
/// <typeparam name="TData">The type NATS.Net deserialized the delivery's data to.</typeparam>
internal sealed class JetStreamAcker<TData> : IMessageAcker
{
    private readonly INatsJSMsg<TData> _msg;

    internal JetStreamAcker(INatsJSMsg<TData> msg, AckCapabilities capabilities, DeliveryInfo? delivery)
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
