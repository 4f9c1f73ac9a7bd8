using System.Text.Json.Serialization;

namespace Goflux.Worker;

public sealed record Order(string Id, decimal Amount);

[JsonSerializable(typeof(Order))]
internal sealed partial class WorkerJson : JsonSerializerContext;
