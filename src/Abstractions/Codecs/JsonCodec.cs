using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Goflux.Codecs;

/// <summary>
/// A System.Text.Json codec. Prefer the <see cref="JsonTypeInfo{T}"/> constructor (source generation) for trimming,
/// AOT and speed.
/// </summary>
/// <typeparam name="T">The payload type.</typeparam>
public sealed class JsonCodec<T> : IMessageEncoder<T>, IMessageDecoder<T>
{
    [ThreadStatic]
    private static Utf8JsonWriter? _cachedWriter;

    private readonly JsonTypeInfo<T> _typeInfo;

    /// <summary>
    /// Initializes a new instance of the <see cref="JsonCodec{T}"/> class from source-generated metadata.
    /// </summary>
    /// <param name="typeInfo">The metadata, e.g. <c>MyContext.Default.MyEvent</c>.</param>
    public JsonCodec(JsonTypeInfo<T> typeInfo)
    {
        ArgumentNullException.ThrowIfNull(typeInfo);
        _typeInfo = typeInfo;
    }

    /// <summary>
    /// Initializes a new instance of the <see cref="JsonCodec{T}"/> class using reflection-based serialization.
    /// </summary>
    /// <param name="options">Serializer options, or <see langword="null"/> for <see cref="JsonSerializerOptions.Web"/>.</param>
    [RequiresUnreferencedCode("Reflection-based JSON; use the JsonTypeInfo<T> constructor for trimming and AOT.")]
    [RequiresDynamicCode("Reflection-based JSON; use the JsonTypeInfo<T> constructor for trimming and AOT.")]
    public JsonCodec(JsonSerializerOptions? options = null)
    {
        var o = options ?? JsonSerializerOptions.Web;
        o.MakeReadOnly(populateMissingResolver: true);
        _typeInfo = (JsonTypeInfo<T>)o.GetTypeInfo(typeof(T));
    }

    /// <inheritdoc />
    public void Encode(T value, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);

        // One writer per thread, reset onto each output (the same default writer options as a new one); taken out of the
        // cache while in use, so a nested encode on the same thread gets its own.
        var writer = _cachedWriter;
        _cachedWriter = null;
        if (writer is null)
        {
            writer = new Utf8JsonWriter(output);
        }
        else
        {
            writer.Reset(output);
        }

        try
        {
            JsonSerializer.Serialize(writer, value, _typeInfo);
        }
        finally
        {
            writer.Reset();
            _cachedWriter = writer;
        }
    }

    /// <inheritdoc />
    /// <exception cref="JsonException">The bytes are not valid JSON for <typeparamref name="T"/>, or they decode to <see langword="null"/>.</exception>
    public T Decode(ReadOnlySpan<byte> data)
    {
        var value = JsonSerializer.Deserialize(data, _typeInfo);
        if (value is null && default(T) is null)
        {
            throw new JsonException($"The payload decoded to null, which is not a valid {typeof(T).Name}.");
        }

        return value!;
    }
}
