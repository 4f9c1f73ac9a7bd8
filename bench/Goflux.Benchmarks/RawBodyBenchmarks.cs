using System.Buffers;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using NATS.Client.Core;

namespace Goflux.Benchmarks;

/// <summary>
/// Which raw type the subscriber asks NATS.Net for: the payload is copied out of the socket buffer either into a new
/// array (<see cref="ReadOnlyMemory{T}"/>) or into a pooled one (<see cref="NatsMemoryOwner{T}"/>), then decoded.
/// </summary>
[MemoryDiagnoser]
public class RawBodyBenchmarks
{
    private ReadOnlySequence<byte> _wire;

    [GlobalSetup]
    public void Setup() => _wire = new ReadOnlySequence<byte>(JsonSerializer.SerializeToUtf8Bytes(Event.Sample, BenchJsonContext.Default.Event));

    [Benchmark(Baseline = true)]
    public Event ReadOnlyMemory()
    {
        var body = NatsRawSerializer<ReadOnlyMemory<byte>>.Default.Deserialize(_wire);
        return BenchJsonContext.Codec.Decode(body.Span);
    }

    [Benchmark]
    public Event PooledMemoryOwner()
    {
        using var body = NatsRawSerializer<NatsMemoryOwner<byte>>.Default.Deserialize(_wire);
        return BenchJsonContext.Codec.Decode(body.Span);
    }
}
