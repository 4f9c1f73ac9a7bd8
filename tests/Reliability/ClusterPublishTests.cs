using FluentAssertions;
using Goflux.JetStream;
using Goflux.Reliability.Tests.Infrastructure;
using NATS.Client.JetStream.Models;
using NATS.Net;

namespace Goflux.Reliability.Tests;

/// <summary>An R3 file stream on the 3-node cluster: its leader killed (SIGKILL) while publishing through it.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterPublishTests(ClusterFixture fixture) : ClusterTestBase(fixture)
{
    [Fact]
    public async Task R3StreamLeaderSigKilled_MidPublishWithRetriesAndMessageIds_NothingLost_NoStoredDuplicates()
    {
        var ct = TestContext.Current.CancellationToken;
        var count = Scale.Of(20_000, 2_000);
        await using (var setup = await Rig.ConnectAsync(Cluster.Urls, "reliability-cluster-setup", ct))
        {
            await Rig.FileStreamAsync(setup.CreateJetStreamContext(), "CP", replicas: 3, ct);
        }

        // The publisher sits on the node that leads the stream, the one about to be killed.
        await using var connection = await ConnectToLeaderAsync("CP", "reliability-cluster-publish", ct);
        var js = connection.CreateJetStreamContext();

        var ledger = new PublishLedger(count);
        await using var publisher = NewRetryingPublisher(js);
        var workers = PublishAll(ledger, publisher, "cp.m", count, ct);

        await Poll.UntilAsync(() => ledger.Confirmed >= count / 3 || workers.IsCompleted, DrainTimeout, $"{count / 3:N0} confirmed publishes", ct);
        var leader = await KillStreamLeaderAsync(js, "CP", ct);
        try
        {
            await WaitForNewLeaderAsync(js, "CP", leader.Name, ct);
            await Poll.WithinAsync(_ => workers, DrainTimeout, "the publishers finishing after the leader was killed", ct);
        }
        finally
        {
            await RestoreAsync(leader, ct);
        }

        // Read back only once the server says every copy is the same: right after the restore the old leader may still
        // be catching up, and a replica that does not know the leader yet answers stream info with its own, shorter state.
        var afterRestore = await Cluster.DescribeStreamAsync("CP", ct);
        var inSync = await Cluster.WaitForStreamInSyncAsync("CP", ct);
        var stored = await Rig.StoredIdsAsync(js, "CP", count, ct);
        var lost = Enumerable.Range(1, count).LongCount(id => ledger.IsConfirmed(id) && stored[id] == 0);
        var storedTwice = stored.Skip(1).Where(c => c > 1).Sum(c => c - 1L);
        Figures.Add(new FigureRow(
            "cluster R3: stream leader SIGKILLed mid-publish (RetryingPublisher, message ids)",
            count,
            lost,
            storedTwice,
            null,
            ledger.Longest,
            $"{ledger.DuplicateAcks:N0} retries answered as duplicates (deduplicated, not stored); {ledger.Failed:N0} publishes failed after all retries; each node's copy right after the restore: {afterRestore}; when read back: {inSync}"));

        ledger.Failed.Should().Be(0, $"the retrying publisher gets every message through a leader change ({ledger.DescribeFailures()})");
        lost.Should().Be(0, "every confirmed publish is stored on the R3 stream");
        storedTwice.Should().Be(0, "with message ids, a retried publish is deduplicated, never stored twice");
        stored[0].Should().Be(0);
    }
}
