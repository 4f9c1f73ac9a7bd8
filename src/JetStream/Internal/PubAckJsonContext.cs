using System.Text.Json.Serialization;
using NATS.Client.JetStream.Models;

namespace Goflux.JetStream.Internal;

/// <summary>Source-generated JSON metadata for reading a PubAck.</summary>
[JsonSerializable(typeof(PubAckResponse))]
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
internal sealed partial class PubAckJsonContext : JsonSerializerContext;
