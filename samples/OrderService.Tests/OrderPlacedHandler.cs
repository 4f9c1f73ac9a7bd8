using Goflux;

namespace OrderService;

/// <summary>Charges an order once it is placed; a payment gateway timeout is retried 30 seconds later.</summary>
public sealed class OrderPlacedHandler(IPaymentGateway payments)
{
    /// <summary>First retry after 30 s, then 60 s, …; at most 5 attempts.</summary>
    // begin-snippet: retry-policy
    public static readonly RetryPolicy Retry = RetryPolicy.Default with { InitialDelay = TimeSpan.FromSeconds(30), MaxAttempts = 5 };
    // end-snippet

    public ValueTask HandleAsync(Message<OrderPlaced> message, CancellationToken cancellationToken) =>
        payments.ChargeAsync(message.Payload.OrderId, message.Payload.Amount, cancellationToken);

    /// <summary>The handler as the service subscribes it: settled by <see cref="Middleware.RetryAck{T}"/> with <see cref="Retry"/>.</summary>
    public MessageHandler<OrderPlaced> WithRetry() => Middleware.Apply<OrderPlaced>(HandleAsync, Middleware.RetryAck<OrderPlaced>(Retry));
}

/// <summary>What the handler charges through.</summary>
public interface IPaymentGateway
{
    ValueTask ChargeAsync(string orderId, decimal amount, CancellationToken cancellationToken);
}
