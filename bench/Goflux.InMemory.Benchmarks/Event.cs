using System.Text.Json.Serialization;
using Goflux.Codecs;

namespace Goflux.InMemory.Benchmarks;

/// <summary>The seed's example payload.</summary>
public sealed record Event(string Id, string Name)
{
    /// <summary>Gets an event whose JSON encoding is exactly 128 bytes.</summary>
    public static Event Sample { get; } = Create();

    private static Event Create()
    {
        var probe = new Event("0000000000000001", string.Empty);
        var overhead = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(probe, BenchJsonContext.Default.Event).Length;
        return probe with { Name = new string('n', 128 - overhead) };
    }
}

[JsonSerializable(typeof(Event))]
internal sealed partial class BenchJsonContext : JsonSerializerContext
{
    private static JsonCodec<Event>? _codec;

    public static JsonCodec<Event> Codec => _codec ??= new JsonCodec<Event>(Default.Event);
}
