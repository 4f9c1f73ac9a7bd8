using Goflux.Transport;

namespace Goflux.Hosting.Internal;

/// <summary>
/// Forwards settlement to the delivered message until the host's shutdown timeout has elapsed; after that, drops it, so
/// a message whose handler was cut short is left unsettled (redelivered after its ack wait) and never acked.
/// </summary>
internal sealed class ShutdownGuardedAcker<T>(Message<T> delivered, CancellationToken abandoned) : IMessageAcker
{
    public AckCapabilities Capabilities => delivered.Capabilities;

    /// <summary>Gets the delivered message's metadata, so the guarded message reads it from here instead of copying it.</summary>
    public DeliveryInfo? Delivery => delivered.Delivery;

    public ValueTask AckAsync(CancellationToken cancellationToken)
        => abandoned.IsCancellationRequested ? default : Settle(delivered.AckAsync(cancellationToken));

    public ValueTask NakAsync(TimeSpan? delay, CancellationToken cancellationToken)
        => abandoned.IsCancellationRequested
            ? default
            : Settle(delay is { } d ? delivered.NakAsync(d, cancellationToken) : delivered.NakAsync(cancellationToken));

    public ValueTask InProgressAsync(CancellationToken cancellationToken)
        => abandoned.IsCancellationRequested ? default : Settle(delivered.InProgressAsync(cancellationToken));

    public ValueTask TermAsync(string? reason, CancellationToken cancellationToken)
        => abandoned.IsCancellationRequested ? default : Settle(delivered.TermAsync(reason, cancellationToken));

    private static ValueTask Settle(ValueTask<bool> settling)
    {
        if (settling.IsCompletedSuccessfully)
        {
            return default;
        }

        return AwaitAsync(settling);

        static async ValueTask AwaitAsync(ValueTask<bool> t) => await t.ConfigureAwait(false);
    }
}
