using FluentAssertions;
using Goflux.Reliability.Tests.Infrastructure;
using NATS.Client.JetStream.Models;
using NATS.Net;

namespace Goflux.Reliability.Tests;

/// <summary>The cluster launcher itself: three named nodes that form a JetStream cluster and survive a SIGKILL and restart.</summary>
[Collection(ClusterCollection.Name)]
public sealed class NatsClusterTests(ClusterFixture fixture)
{
    [Fact]
    public async Task Cluster_ThreeNodes_FormOneMetaGroup_AndANodeKilledByPidRejoinsOnItsOwnPorts()
    {
        var ct = TestContext.Current.CancellationToken;
        var cluster = fixture.Cluster;
        cluster.Nodes.Select(n => n.Name).Should().Equal("n1", "n2", "n3");
        cluster.Nodes.Select(n => n.ClientPort).Should().OnlyHaveUniqueItems();
        cluster.Nodes.Should().OnlyContain(n => n.IsRunning);

        var leader = await cluster.WaitForMetaLeaderAsync(ct);
        var victim = cluster.Node(leader);
        var port = victim.ClientPort;
        var pid = victim.Pid;
        await victim.KillAsync(ct);
        victim.IsRunning.Should().BeFalse();
        var newLeader = await cluster.WaitForMetaLeaderAsync(ct);
        newLeader.Should().NotBe(leader, "the two nodes left elect a new meta leader");

        await victim.StartAsync(ct);
        victim.Pid.Should().NotBe(pid);
        victim.ClientPort.Should().Be(port);
        await cluster.WaitForMetaLeaderAsync(ct);
        foreach (var node in cluster.Nodes)
        {
            await NatsCluster.WaitForHealthyAsync(node, ct);
        }

        await using var connection = await Rig.ConnectAsync(cluster.Urls, "reliability-cluster-check", ct);
        var js = connection.CreateJetStreamContext();
        var stream = await js.CreateStreamAsync(new StreamConfig("CHECK", ["check.>"]) { NumReplicas = 3, Storage = StreamConfigStorage.File }, ct);
        stream.Info.Cluster!.Replicas.Should().HaveCount(2, "an R3 stream places one leader and two replicas on the three nodes");
        await js.DeleteStreamAsync("CHECK", ct);
    }
}
