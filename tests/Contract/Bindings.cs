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
