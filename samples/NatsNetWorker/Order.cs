namespace NatsNetWorker;

/// <summary>An order to charge.</summary>
public sealed record Order(string Id, decimal Amount);
