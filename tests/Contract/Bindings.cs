using Goflux.Contract.Tests.Backends;
using Goflux.Testing;
using Xunit;

[assembly: AssemblyFixture(typeof(NatsServerFixture))]

namespace Goflux.Contract.Tests;

/// <summary>The contract suite on the in-memory engine with a fake clock.</summary>
public sealed class InMemoryContractTests : ContractSuite
{
    protected override Task<IBackend> CreateBackendAsync() => Task.FromResult<IBackend>(new InMemoryBackend());
}

/// <summary>The contract suite on a real nats-server (the oracle).</summary>
public sealed class JetStreamContractTests(NatsServerFixture server) : ContractSuite
{
    protected override async Task<IBackend> CreateBackendAsync() => await JetStreamBackend.StartAsync(server);
}

/// <summary>
/// The contract suite through the goflux JetStream adapter over the engine's in-process NATS client: NATS.Net's own
/// JetStream code on the engine, on a fake clock. Adapter on server = adapter on engine = goflux in-memory.
/// </summary>
public sealed class JetStreamOnEngineContractTests : ContractSuite
{
    protected override async Task<IBackend> CreateBackendAsync() => await JetStreamOnEngineBackend.StartAsync();
}
