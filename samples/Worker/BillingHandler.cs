namespace Goflux.Worker;

/// <summary>A handler class: resolved from a new scope for each message; returning acks the message.</summary>
internal sealed class BillingHandler(Ledger ledger) : Hosting.IMessageHandler<Order>
{
    public ValueTask HandleAsync(Message<Order> message, CancellationToken cancellationToken)
    {
        Console.WriteLine($"billing:  charged {message.Payload.Amount,6:0.00} for {message.Payload.Id} (delivery #{message.Delivery?.NumDelivered}) -> ack");
        ledger.Billed();
        return ValueTask.CompletedTask;
    }
}
