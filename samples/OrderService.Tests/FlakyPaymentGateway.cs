using OrderService;

namespace OrderService.Tests;

/// <summary>A payment gateway that times out the first <c>failures</c> calls, then charges.</summary>
public sealed class FlakyPaymentGateway(int failures) : IPaymentGateway
{
    private int _calls;

    public int Charged { get; private set; }

    public ValueTask ChargeAsync(string orderId, decimal amount, CancellationToken cancellationToken)
    {
        if (Interlocked.Increment(ref _calls) <= failures)
        {
            throw new TimeoutException($"payment gateway timed out charging {orderId}");
        }

        Charged++;
        return ValueTask.CompletedTask;
    }
}
