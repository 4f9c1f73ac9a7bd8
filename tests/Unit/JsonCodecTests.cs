using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Goflux.Codecs;

namespace Goflux.Tests;

public sealed record OrderPlaced(string OrderId, decimal Amount, IReadOnlyList<string> Items);

public readonly record struct Point(int X, int Y);

[JsonSerializable(typeof(OrderPlaced))]
[JsonSerializable(typeof(Point))]
internal sealed partial class TestJsonContext : JsonSerializerContext;

public class JsonCodecTests
{
    private static readonly OrderPlaced Order = new("o-1", 12.5m, ["apple", "pear"]);

    [Fact]
    public void EncodeDecode_ReflectionWithWebDefaults_RoundTripsAndUsesCamelCase()
    {
        // Arrange
        var codec = new JsonCodec<OrderPlaced>();

        // Act
        var bytes = Encode(codec, Order);
        var decoded = codec.Decode(bytes);

        // Assert
        decoded.Should().BeEquivalentTo(Order);
        Encoding.UTF8.GetString(bytes).Should().Contain("\"orderId\":\"o-1\"");
    }

    [Fact]
    public void EncodeDecode_ReflectionWithCustomOptions_UsesThem()
    {
        // Arrange
        var codec = new JsonCodec<OrderPlaced>(new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower });

        // Act
        var bytes = Encode(codec, Order);
        var decoded = codec.Decode(bytes);

        // Assert
        Encoding.UTF8.GetString(bytes).Should().Contain("\"order_id\":\"o-1\"");
        decoded.Should().BeEquivalentTo(Order);
    }

    [Fact]
    public void EncodeDecode_SourceGenerated_RoundTrips()
    {
        // Arrange
        var codec = new JsonCodec<OrderPlaced>(TestJsonContext.Default.OrderPlaced);

        // Act
        var bytes = Encode(codec, Order);
        var decoded = codec.Decode(bytes);

        // Assert
        decoded.Should().BeEquivalentTo(Order);
        Encoding.UTF8.GetString(bytes).Should().Contain("\"OrderId\":\"o-1\"");
    }

    [Fact]
    public void EncodeDecode_SourceGeneratedValueType_RoundTrips()
    {
        // Arrange
        var codec = new JsonCodec<Point>(TestJsonContext.Default.Point);

        // Act
        var decoded = codec.Decode(Encode(codec, new Point(3, -4)));

        // Assert
        decoded.Should().Be(new Point(3, -4));
    }

    [Fact]
    public void Encode_IntoBufferWithContent_Appends()
    {
        // Arrange
        var codec = new JsonCodec<Point>(TestJsonContext.Default.Point);
        var buffer = new ArrayBufferWriter<byte>();
        buffer.Write("prefix:"u8);

        // Act
        codec.Encode(new Point(1, 2), buffer);

        // Assert
        Encoding.UTF8.GetString(buffer.WrittenSpan).Should().Be("prefix:{\"X\":1,\"Y\":2}");
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("")]
    [InlineData("[1,2]")]
    [InlineData("{\"orderId\":12")]
    public void Decode_InvalidJson_ThrowsJsonException(string json)
    {
        // Arrange
        var codec = new JsonCodec<OrderPlaced>();

        // Act
        var act = () => codec.Decode(Encoding.UTF8.GetBytes(json));

        // Assert
        act.Should().Throw<JsonException>();
    }

    [Fact]
    public void Decode_JsonNullForReferenceType_ThrowsJsonException()
    {
        // Arrange
        var reflection = new JsonCodec<OrderPlaced>();
        var generated = new JsonCodec<OrderPlaced>(TestJsonContext.Default.OrderPlaced);

        // Act
        var viaReflection = () => reflection.Decode("null"u8);
        var viaGenerated = () => generated.Decode("null"u8);

        // Assert
        viaReflection.Should().Throw<JsonException>().WithMessage("*null*OrderPlaced*");
        viaGenerated.Should().Throw<JsonException>().WithMessage("*null*");
    }

    [Fact]
    public void Decode_JsonNullForValueType_Throws()
    {
        // Arrange
        var codec = new JsonCodec<Point>(TestJsonContext.Default.Point);

        // Act
        var act = () => codec.Decode("null"u8);

        // Assert
        act.Should().Throw<JsonException>();
    }

    [Fact]
    public void Constructor_NullTypeInfo_Throws()
    {
        // Act
        var act = () => new JsonCodec<OrderPlaced>((System.Text.Json.Serialization.Metadata.JsonTypeInfo<OrderPlaced>)null!);

        // Assert
        act.Should().Throw<ArgumentNullException>();
    }

    private static byte[] Encode<T>(JsonCodec<T> codec, T value)
    {
        var buffer = new ArrayBufferWriter<byte>();
        codec.Encode(value, buffer);
        return buffer.WrittenSpan.ToArray();
    }
}
