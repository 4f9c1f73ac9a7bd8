namespace OrderService;

/// <summary>The event the billing handler consumes.</summary>
public sealed record OrderPlaced(string OrderId, decimal Amount);
