namespace Goflux.Testing;

/// <summary>Which backend a <see cref="TestBackend"/> runs on.</summary>
public enum TestBackendKind
{
    /// <summary>The in-memory engine on a fake clock: no server, virtual time.</summary>
    InMemory,

    /// <summary>A real nats-server with JetStream (from <see cref="NatsServerFixture"/>): real time.</summary>
    JetStream,
}
