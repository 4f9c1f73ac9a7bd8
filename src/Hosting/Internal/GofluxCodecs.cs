using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Goflux.Codecs;
using Microsoft.Extensions.DependencyInjection;

namespace Goflux.Hosting.Internal;

/// <summary>
/// Finds a payload codec in the container: an encoder/decoder registered for the type, else a <see cref="JsonTypeInfo{T}"/>,
/// else <see cref="JsonSerializerOptions"/>, else web defaults.
/// </summary>
internal static class GofluxCodecs
{
    public static IMessageEncoder<T> Encoder<T>(IServiceProvider services)
        => services.GetService<IMessageEncoder<T>>() ?? Json<T>(services);

    public static IMessageDecoder<T> Decoder<T>(IServiceProvider services)
        => services.GetService<IMessageDecoder<T>>() ?? Json<T>(services);

    // Web defaults; the type metadata comes from the reflection resolver where reflection is enabled.
    private static readonly JsonSerializerOptions WebDefaults = new(JsonSerializerDefaults.Web);

    private static JsonCodec<T> Json<T>(IServiceProvider services)
    {
        if (services.GetService<JsonTypeInfo<T>>() is { } typeInfo)
        {
            return new JsonCodec<T>(typeInfo);
        }

        var options = services.GetService<JsonSerializerOptions>() ?? WebDefaults;
        if (options.TypeInfoResolver is null && JsonSerializer.IsReflectionEnabledByDefault)
        {
            // Options without a resolver serialize by reflection, as JsonSerializer itself does where it is enabled.
            options = WithReflection(options);
        }

        try
        {
            return new JsonCodec<T>((JsonTypeInfo<T>)options.GetTypeInfo(typeof(T)));
        }
        catch (Exception ex) when (ex is InvalidOperationException or NotSupportedException or InvalidCastException)
        {
            throw new InvalidOperationException(
                $"No codec for payload type '{typeof(T).FullName}': register an IMessageEncoder<{typeof(T).Name}>/IMessageDecoder<{typeof(T).Name}>, a JsonTypeInfo<{typeof(T).Name}> (source-generated), or JsonSerializerOptions whose TypeInfoResolver knows the type. {ex.Message}",
                ex);
        }
    }

    // Only reached when JsonSerializer.IsReflectionEnabledByDefault is true, which trimmed and native AOT apps turn off
    // (JsonSerializerIsReflectionEnabledByDefault=false): there the resolver is never created.
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "Guarded by JsonSerializer.IsReflectionEnabledByDefault.")]
    [UnconditionalSuppressMessage("AOT", "IL3050", Justification = "Guarded by JsonSerializer.IsReflectionEnabledByDefault.")]
    private static JsonSerializerOptions WithReflection(JsonSerializerOptions options)
        => new(options) { TypeInfoResolver = new DefaultJsonTypeInfoResolver() };
}
