namespace Goflux.Reliability.Tests;

/// <summary>The cluster scenarios share one 3-node cluster and run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "cluster";
}
