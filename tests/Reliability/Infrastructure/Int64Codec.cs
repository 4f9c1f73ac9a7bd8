using System.Buffers;
using System.Buffers.Binary;
using Goflux.Codecs;

namespace Goflux.Reliability.Tests.Infrastructure;

/// <summary>A payload of one 64-bit number (the message's own index), 8 bytes big-endian.</summary>
public sealed class Int64Codec : IMessageEncoder<long>, IMessageDecoder<long>
{
    public static Int64Codec Instance { get; } = new();

    public void Encode(long value, IBufferWriter<byte> output)
    {
        BinaryPrimitives.WriteInt64BigEndian(output.GetSpan(8), value);
        output.Advance(8);
    }

    public long Decode(ReadOnlySpan<byte> data) =>
        data.Length == 8 ? BinaryPrimitives.ReadInt64BigEndian(data) : throw new FormatException($"expected 8 bytes, got {data.Length}");
}
