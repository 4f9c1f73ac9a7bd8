using System.Text.Json.Serialization;
using Goflux.Codecs;

namespace Goflux.Demo;

/// <summary>The seed's example payload.</summary>
internal sealed record Event(string Id, string Name);

[JsonSerializable(typeof(Event))]
internal sealed partial class DemoJsonContext : JsonSerializerContext
{
    private static JsonCodec<Event>? _codec;

    public static JsonCodec<Event> Codec => _codec ??= new(Default.Event);
}
