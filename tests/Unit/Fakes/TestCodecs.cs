using System.Buffers;
using System.Text;
using Goflux.Codecs;

namespace Goflux.Tests.Fakes;

/// <summary>Strings as UTF-8 bytes.</summary>
internal sealed class Utf8Codec : IMessageEncoder<string>, IMessageDecoder<string>
{
    public static Utf8Codec Instance { get; } = new();

    public void Encode(string value, IBufferWriter<byte> output) => output.Write(Encoding.UTF8.GetBytes(value));

    public string Decode(ReadOnlySpan<byte> data) => Encoding.UTF8.GetString(data);
}

internal sealed class ThrowingEncoder<T>(Exception exception) : IMessageEncoder<T>
{
    public void Encode(T value, IBufferWriter<byte> output) => throw exception;
}

internal sealed class ThrowingDecoder<T>(Exception exception) : IMessageDecoder<T>
{
    public T Decode(ReadOnlySpan<byte> data) => throw exception;
}
