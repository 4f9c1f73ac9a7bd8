using Goflux.Reliability.Tests.Infrastructure;

namespace Goflux.Reliability.Tests;

/// <summary>One 3-node cluster for the cluster scenarios; each scenario leaves all three nodes running and healthy.</summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    private NatsCluster? _cluster;

    public NatsCluster Cluster => _cluster ?? throw new InvalidOperationException("The cluster fixture was not initialised.");

    public async ValueTask InitializeAsync() => _cluster = await NatsCluster.StartAsync(TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (_cluster is { } cluster)
        {
            _cluster = null;
            await cluster.DisposeAsync();
        }
    }
}
