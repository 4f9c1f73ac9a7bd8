using System.Text.Json;
using System.Text.Json.Serialization;

namespace Shipping;

/// <summary>An order was placed (published by the orders service on <c>orders.placed</c>).</summary>
public sealed record OrderPlaced(string OrderId, string Address);

/// <summary>A carrier booked the order's shipment (published by this service on <c>shipments.booked</c>).</summary>
public sealed record ShipmentBooked(string OrderId, string TrackingNumber);

/// <summary>The payloads' JSON, source-generated: the codecs goflux finds in the container.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(OrderPlaced))]
[JsonSerializable(typeof(ShipmentBooked))]
public sealed partial class ShippingJson : JsonSerializerContext;
