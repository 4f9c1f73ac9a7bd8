namespace NatsNetWorker;

/// <summary>Charges orders; a transient failure throws and the order is retried later.</summary>
public interface IPaymentGateway
{
    Task ChargeAsync(Order order, CancellationToken cancellationToken);
}

/// <summary>The gateway said no for good: retrying will not help.</summary>
public sealed class PaymentDeclinedException(string message) : Exception(message);
