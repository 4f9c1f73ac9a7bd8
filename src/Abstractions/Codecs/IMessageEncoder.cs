using System.Buffers;

namespace Goflux.Codecs;

/// <summary>
/// Turns a payload into bytes.
/// </summary>
/// <typeparam name="T">The payload type.</typeparam>
public interface IMessageEncoder<in T>
{
    /// <summary>Writes the encoded <paramref name="value"/> to <paramref name="output"/>.</summary>
    /// <param name="value">The payload.</param>
    /// <param name="output">Where to write the bytes.</param>
    void Encode(T value, IBufferWriter<byte> output);
}
