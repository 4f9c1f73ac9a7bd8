namespace Goflux.Testing;

/// <summary>Where the NATS server used by a test run comes from.</summary>
internal enum NatsServerSource
{
    /// <summary>A server the caller already runs, named by the <c>NATS_URL</c> environment variable.</summary>
    EnvironmentUrl,

    /// <summary>A container started through Testcontainers on a Docker engine.</summary>
    Testcontainers,

    /// <summary>A local <c>nats-server</c> binary started on a free loopback port.</summary>
    Binary,
}
