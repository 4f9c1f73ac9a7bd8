using System.Buffers;
using System.Text;
using System.Text.Json;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace Goflux.InMemory.Server;

/// <summary>
/// JSON of the JetStream API in NATS.Net's own model types (serialized and read with NATS.Net's own serializer, so the
/// field names and duration encodings are the ones NATS.Net reads), with the server's <c>type</c> field and error shape.
/// </summary>
internal static class ApiJson
{
    /// <summary>The response type prefix the server uses.</summary>
    public const string TypePrefix = "io.nats.jetstream.api.v1.";

    /// <summary>Serializes <paramref name="value"/> with NATS.Net's serializer and puts the server's <c>type</c> first.</summary>
    public static byte[] Response<T>(string type, T value)
    {
        var w = new ArrayBufferWriter<byte>(512);
        NatsJSJsonSerializer<T>.Default.Serialize(w, value);
        return WithType(type, w.WrittenSpan);
    }

    /// <summary>Serializes <paramref name="value"/> with NATS.Net's serializer, as is (a PubAck has no <c>type</c>).</summary>
    public static byte[] Plain<T>(T value)
    {
        var w = new ArrayBufferWriter<byte>(128);
        NatsJSJsonSerializer<T>.Default.Serialize(w, value);
        return w.WrittenSpan.ToArray();
    }

    /// <summary>An error response: <c>{"type":…,"error":{"code":…,"err_code":…,"description":…}}</c>.</summary>
    public static byte[] Error(string type, ApiError error)
    {
        var w = new ArrayBufferWriter<byte>(256);
        using (var j = new Utf8JsonWriter(w))
        {
            j.WriteStartObject();
            j.WriteString("type", TypePrefix + type);
            WriteError(j, error);
            j.WriteEndObject();
        }

        return w.WrittenSpan.ToArray();
    }

    /// <summary>Writes the <c>error</c> member.</summary>
    public static void WriteError(Utf8JsonWriter j, ApiError error)
    {
        j.WriteStartObject("error");
        j.WriteNumber("code", error.Code);
        j.WriteNumber("err_code", error.ErrCode);
        j.WriteString("description", error.Description);
        j.WriteEndObject();
    }

    /// <summary>Reads a request body with NATS.Net's serializer; an empty body gives <see langword="null"/>.</summary>
    /// <exception cref="JsonException">The body is not valid JSON for <typeparamref name="T"/>.</exception>
    public static T? Read<T>(ReadOnlySpan<byte> body)
    {
        if (IsBlank(body))
        {
            return default;
        }

        return NatsJSJsonSerializer<T>.Default.Deserialize(new ReadOnlySequence<byte>(body.ToArray()));
    }

    /// <summary>Whether a body is empty or only white space (the server treats it as no request).</summary>
    public static bool IsBlank(ReadOnlySpan<byte> body)
    {
        foreach (var b in body)
        {
            if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n'))
            {
                return false;
            }
        }

        return true;
    }

    private static byte[] WithType(string type, ReadOnlySpan<byte> json)
    {
        var head = Encoding.UTF8.GetBytes("{\"type\":\"" + TypePrefix + type + "\"");
        if (json.Length <= 2)
        {
            return [.. head, (byte)'}'];
        }

        // json is "{...}": splice the type in as the first member.
        var result = new byte[head.Length + 1 + json.Length - 1];
        head.CopyTo(result, 0);
        result[head.Length] = (byte)',';
        json[1..].CopyTo(result.AsSpan(head.Length + 1));
        return result;
    }
}
