using System.Text.Json.Serialization;

namespace Goflux.Hosting.Tests;

public sealed record Order(string Id, decimal Amount);

[JsonSerializable(typeof(Order))]
public sealed partial class TestJsonContext : JsonSerializerContext;
