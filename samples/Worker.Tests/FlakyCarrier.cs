namespace Shipping.Tests;

/// <summary>A carrier that times out on the first <c>timeouts</c> bookings, then books.</summary>
public sealed class FlakyCarrier(int timeouts) : ICarrier
{
    private int _calls;

    public ValueTask<string> BookAsync(OrderPlaced order, CancellationToken cancellationToken) =>
        Interlocked.Increment(ref _calls) <= timeouts
            ? throw new TimeoutException($"the carrier did not answer booking {order.OrderId}")
            : ValueTask.FromResult("TRK-" + order.OrderId);
}
