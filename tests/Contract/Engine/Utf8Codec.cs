using System.Buffers;
using System.Text;
using Goflux.Codecs;

namespace Goflux.Contract.Tests.Engine;

/// <summary>Plain UTF-8 strings, for engine tests that do not care about the payload.</summary>
internal sealed class Utf8Codec : IMessageEncoder<string>, IMessageDecoder<string>
{
    public string Decode(ReadOnlySpan<byte> data) => Encoding.UTF8.GetString(data);

    public void Encode(string value, IBufferWriter<byte> writer) => Encoding.UTF8.GetBytes(value, writer);
}
