namespace Shipping;

/// <summary>Books shipments with a carrier.</summary>
public interface ICarrier
{
    /// <summary>Books the shipment of <paramref name="order"/>.</summary>
    /// <returns>The carrier's tracking number.</returns>
    /// <exception cref="TimeoutException">The carrier did not answer in time; worth trying again later.</exception>
    ValueTask<string> BookAsync(OrderPlaced order, CancellationToken cancellationToken);
}

/// <summary>Stands in for a carrier's API in this sample: every booking succeeds at once.</summary>
internal sealed class SimulatedCarrier : ICarrier
{
    public ValueTask<string> BookAsync(OrderPlaced order, CancellationToken cancellationToken) => ValueTask.FromResult("TRK-" + order.OrderId);
}
