using System.Collections.Concurrent;

namespace NatsNetWorker.Tests;

/// <summary>Fails the first charge of every order; declines orders over 1,000.</summary>
public sealed class FlakyPaymentGateway : IPaymentGateway
{
    private readonly ConcurrentDictionary<string, int> _attempts = new();

    public ConcurrentQueue<string> Charged { get; } = new();

    public int Attempts(string id) => _attempts.GetValueOrDefault(id);

    public Task ChargeAsync(Order order, CancellationToken cancellationToken)
    {
        var attempt = _attempts.AddOrUpdate(order.Id, 1, (_, n) => n + 1);
        if (order.Amount > 1000)
        {
            throw new PaymentDeclinedException("over the limit");
        }

        if (attempt == 1)
        {
            throw new TimeoutException("the provider did not answer");
        }

        Charged.Enqueue(order.Id);
        return Task.CompletedTask;
    }
}
