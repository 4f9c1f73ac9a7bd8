using Goflux;
using Goflux.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Shipping;

/// <summary>
/// Books the shipment of each placed order and announces it. A carrier timeout is thrown on: the consumer's retry policy
/// naks the order for 30 seconds and it comes back.
/// </summary>
internal sealed partial class ShippingHandler(
    ICarrier carrier,
    [FromKeyedServices(ShippingRegistration.ShipmentsBooked)] BoundPublisher<ShipmentBooked> shipments,
    ILogger<ShippingHandler> logger) : IMessageHandler<OrderPlaced>
{
    public async ValueTask HandleAsync(Message<OrderPlaced> message, CancellationToken cancellationToken)
    {
        var order = message.Payload;
        var tracking = await carrier.BookAsync(order, cancellationToken);
        await shipments.PublishAsync(new ShipmentBooked(order.OrderId, tracking), new PublishOptions { MessageId = order.OrderId }, cancellationToken);
        Booked(logger, order.OrderId, tracking, message.Delivery?.NumDelivered ?? 1);
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Booked the shipment of order {OrderId}: {TrackingNumber} (delivery #{NumDelivered})")]
    private static partial void Booked(ILogger logger, string orderId, string trackingNumber, ulong numDelivered);
}
