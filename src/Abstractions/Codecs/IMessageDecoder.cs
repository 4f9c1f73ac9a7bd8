namespace Goflux.Codecs;

/// <summary>
/// Turns bytes into a payload.
/// </summary>
/// <typeparam name="T">The payload type.</typeparam>
public interface IMessageDecoder<out T>
{
    /// <summary>Decodes a payload.</summary>
    /// <param name="data">The bytes.</param>
    /// <returns>The payload.</returns>
    /// <exception cref="Exception">Any exception means the bytes could not be decoded; the subscriber terminates the message.</exception>
    T Decode(ReadOnlySpan<byte> data);
}
