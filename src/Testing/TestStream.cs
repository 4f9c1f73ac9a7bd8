using NATS.Client.JetStream.Models;

namespace Goflux.Testing;

/// <summary>A stream a <see cref="TestBackend"/> created; deleted when the backend is disposed.</summary>
public sealed class TestStream
{
    internal TestStream(string name, StreamInfo info)
    {
        Name = name;
        Info = info;
    }

    /// <summary>Gets the stream's name on the backend (the configured name made unique for the test).</summary>
    public string Name { get; }

    /// <summary>Gets the stream's info as it was created.</summary>
    public StreamInfo Info { get; }

    /// <inheritdoc />
    public override string ToString() => Name;
}
