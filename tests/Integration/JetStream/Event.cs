using System.Text.Json.Serialization;
using Goflux.Codecs;

namespace Goflux.Integration.Tests.JetStream;

/// <summary>The seed's example payload.</summary>
public sealed record Event(string Id, string Name);

[JsonSerializable(typeof(Event))]
internal sealed partial class EventJsonContext : JsonSerializerContext
{
    private static JsonCodec<Event>? _codec;

    /// <summary>Gets the JSON codec for <see cref="Event"/> (source-generated metadata).</summary>
    public static JsonCodec<Event> Codec => _codec ??= new JsonCodec<Event>(Default.Event);
}
