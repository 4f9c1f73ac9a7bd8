using Goflux.NatsNet.Tests.Targets;
using Goflux.Testing;
using Xunit;

[assembly: AssemblyFixture(typeof(NatsServerFixture))]

namespace Goflux.NatsNet.Tests;

/// <summary>The NATS.Net contract suite on the engine's in-process client, on a fake clock.</summary>
public sealed class EngineNatsNetTests : NatsNetSuite
{
    protected override Task<INatsTarget> CreateTargetAsync() => Task.FromResult<INatsTarget>(new EngineTarget());
}

/// <summary>The NATS.Net contract suite on a real nats-server (the oracle).</summary>
public sealed class ServerNatsNetTests(NatsServerFixture server) : NatsNetSuite
{
    protected override async Task<INatsTarget> CreateTargetAsync() => await ServerTarget.StartAsync(server);
}
