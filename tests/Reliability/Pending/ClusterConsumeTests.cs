using FluentAssertions;
using Goflux.JetStream;
using Goflux.Reliability.Tests.Infrastructure;
using NATS.Client.JetStream.Models;
using NATS.Net;

namespace Goflux.Reliability.Tests;

/// <summary>An R3 file stream on the 3-node cluster: its leader killed (SIGKILL) while a subscriber connected to it consumes.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterConsumeTests(ClusterFixture fixture) : ClusterTestBase(fixture)
{
    [Fact]
    public async Task R3StreamLeaderSigKilled_MidConsume_NothingLost_DuplicatesAreRedeliveries_ResumesWithinBound()
    {
        var ct = TestContext.Current.CancellationToken;
        var count = Scale.Of(50_000, 3_000);
        await using (var setup = await Rig.ConnectAsync(Cluster.Urls, "reliability-cluster-setup", ct))
        {
            var setupJs = setup.CreateJetStreamContext();
            await Rig.FileStreamAsync(setupJs, "CC", replicas: 3, ct);
            await Rig.FillAsync(setupJs, "cc.m", count, ct);
        }

        // The subscriber sits on the node that leads the stream, the one about to be killed.
        await using var connection = await ConnectToLeaderAsync("CC", "reliability-cluster-consume", ct);
        var js = connection.CreateJetStreamContext();
        var consumer = await JetStreamSetup.CreateOrUpdateConsumerAsync(js, "CC", new ConsumerConfig("c") { AckPolicy = ConsumerConfigAckPolicy.Explicit }, ct);

        var ledger = new ConsumeLedger(count);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        await using var subscriber = new JetStreamSubscriber<long>(consumer, Int64Codec.Instance, SubscriberOptions.Default with { EnableTelemetry = false, MaxMessages = 100 });
        var run = subscriber.SubscribeAsync("cc.m", (m, _) => Record(ledger, m), stop.Token);

        await Poll.UntilAsync(() => ledger.Handled >= count / 3 || run.IsCompleted, DrainTimeout, $"the subscriber handling {count / 3:N0} messages", ct);
        var killedAt = TimeProvider.System.GetTimestamp();
        var leader = await KillStreamLeaderAsync(js, "CC", ct);
        long available;
        try
        {
            await WaitForNewLeaderAsync(js, "CC", leader.Name, ct);
            await WaitForConsumerLeaderAsync(js, "CC", "c", leader.Name, ct);
            available = TimeProvider.System.GetTimestamp();
            await Poll.UntilAsync(
                () => ledger.Missing == 0 || run.IsCompleted,
                DrainTimeout,
                $"every one of {count:N0} messages handled after the stream leader was killed (handled {ledger.Handled:N0}, distinct {ledger.Distinct:N0})",
                ct);
        }
        finally
        {
            await RestoreAsync(leader, ct);
        }

        var resume = ledger.FirstAfter(available);
        var gap = ledger.LongestGapAfter(killedAt);
        await stop.CancelAsync();
        await Poll.WithinAsync(_ => run, TimeSpan.FromSeconds(30), "the subscription stopping", ct);
        Figures.Add(new FigureRow(
            "cluster R3: stream leader SIGKILLed mid-consume",
            count,
            ledger.Missing,
            ledger.Duplicates,
            resume,
            null,
            $"duplicates are redeliveries ({ledger.FirstDeliveryRepeats:N0} as NumDelivered 1); resume counted from new stream and consumer leaders; longest pause in handling {gap.TotalSeconds:0.0} s"));

        ledger.Missing.Should().Be(0, "killing the stream leader of an R3 stream loses nothing");
        resume.Should().NotBeNull();
        resume!.Value.Should().BeLessThanOrEqualTo(Rig.ResumeBound, "the subscriber resumes within the bound once the stream has a leader again");
    }
}
