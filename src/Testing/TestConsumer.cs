using NATS.Client.JetStream.Models;

namespace Goflux.Testing;

/// <summary>A consumer a <see cref="TestBackend"/> created on a <see cref="TestStream"/>.</summary>
public sealed class TestConsumer
{
    internal TestConsumer(TestStream stream, string name, ConsumerInfo info)
    {
        Stream = stream;
        Name = name;
        Info = info;
    }

    /// <summary>Gets the stream.</summary>
    public TestStream Stream { get; }

    /// <summary>Gets the consumer's name.</summary>
    public string Name { get; }

    /// <summary>Gets the consumer's info as it was created.</summary>
    public ConsumerInfo Info { get; }

    /// <inheritdoc />
    public override string ToString() => $"{Stream.Name}/{Name}";
}
