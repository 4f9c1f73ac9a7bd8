using FluentAssertions;
using Goflux.JetStream;
using Goflux.Reliability.Tests.Infrastructure;
using Microsoft.Extensions.Logging;
using NATS.Client.JetStream;
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

        // The subscriber sits on the node that leads the stream, the one about to be killed. Its connection's and its own
        // log are kept, and printed when it does not resume in time.
        var trace = new TraceLog();
        using var traceFactory = trace.Factory();
        await using var connection = await ConnectToLeaderAsync("CC", "reliability-cluster-consume", ct, traceFactory);
        var js = connection.CreateJetStreamContext();
        var consumer = await Rig.ConsumerAsync(js, "CC", new ConsumerConfig("c") { AckPolicy = ConsumerConfigAckPolicy.Explicit }, ct);

        // The handler holds at a third of the messages until the new leaders are seen, so there is always work left to
        // resume on (a free-running subscriber can finish a short run during the election). NATS.Net keeps pulling while
        // the handler waits: a pull that gets through after the kill fills the client's buffer with messages the server
        // had not delivered before the kill, and those are what tell that the subscription resumed.
        var ledger = new ConsumeLedger(count);
        var leadersSeen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        await using var subscriber = new JetStreamSubscriber<long>(
            consumer,
            Int64Codec.Instance,
            SubscriberOptions.Default with { EnableTelemetry = false, MaxMessages = 100, Logger = traceFactory.CreateLogger("subscriber") });
        var run = subscriber.SubscribeAsync(
            "cc.m",
            async (m, token) =>
            {
                ledger.Record(m);
                if (ledger.Handled >= count / 3)
                {
                    await leadersSeen.Task.WaitAsync(token);
                }
            },
            stop.Token);

        await Poll.UntilAsync(() => ledger.Handled >= count / 3 || run.IsCompleted, DrainTimeout, $"the subscriber handling {count / 3:N0} messages", ct);
        var leader = await StreamLeaderAsync(js, "CC", ct);
        var deliveredBeforeKill = await SettledDeliveredAsync(js, ct);
        var killedAt = TimeProvider.System.GetTimestamp();
        await leader.KillAsync(ct);
        long available;
        try
        {
            // The leaders are watched from the surviving nodes, not through the subscriber's connection (which is
            // reconnecting away from the killed node and would answer late).
            await using (var probe = await Rig.ConnectAsync(Cluster.RunningUrls, "reliability-cluster-consume-probe", ct))
            {
                var probeJs = probe.CreateJetStreamContext();
                await WaitForNewLeaderAsync(probeJs, "CC", leader.Name, ct);
                await WaitForConsumerLeaderAsync(probeJs, "CC", "c", leader.Name, ct);
            }

            available = TimeProvider.System.GetTimestamp();
            leadersSeen.SetResult();
            await Poll.UntilAsync(
                () => ledger.Missing == 0 || run.IsCompleted,
                DrainTimeout,
                $"every one of {count:N0} messages handled after the stream leader was killed (handled {ledger.Handled:N0}, distinct {ledger.Distinct:N0})",
                ct);
        }
        finally
        {
            leadersSeen.TrySetResult();
            await RestoreAsync(leader, ct);
        }

        // Resumed = the first message handled after the leaders were seen that the server had not delivered before the
        // kill. When the subscriber pulled again before the leaders were seen, that message waited in its buffer: 0 s.
        var resume = ledger.FirstAfter(available, deliveredBeforeKill);
        var leadersAfter = TimeProvider.System.GetElapsedTime(killedAt, available);
        var gap = ledger.LongestGapWithin(available);
        await stop.CancelAsync();
        await Poll.WithinAsync(_ => run, TimeSpan.FromSeconds(30), "the subscription stopping", ct);
        Figures.Add(new FigureRow(
            "cluster R3: stream leader SIGKILLed mid-consume",
            count,
            ledger.Missing,
            ledger.Duplicates,
            resume,
            null,
            $"duplicates are redeliveries ({ledger.FirstDeliveryRepeats:N0} as NumDelivered 1); new stream and consumer leaders seen {leadersAfter.TotalSeconds:0.0} s after the kill, resume counted from then; longest pause in handling after that {gap.TotalSeconds:0.0} s (messages the server sent towards the killed node's connection come back after ack_wait, S-91)"));
        if (resume is null || resume > Rig.ResumeBound)
        {
            TestContext.Current.TestOutputHelper?.WriteLine(trace.Dump());
        }

        ledger.Missing.Should().Be(0, "killing the stream leader of an R3 stream loses nothing");
        resume.Should().NotBeNull();
        resume!.Value.Should().BeLessThanOrEqualTo(Rig.ResumeBound, "the subscriber resumes within the bound once the stream has a leader again");
    }

    /// <summary>
    /// The consumer's last delivered stream sequence once it stops moving (the handler is holding, so the subscriber's
    /// outstanding pulls run out).
    /// </summary>
    private static async Task<ulong> SettledDeliveredAsync(INatsJSContext js, CancellationToken ct)
    {
        ulong last = ulong.MaxValue;
        var since = TimeProvider.System.GetTimestamp();
        await Poll.UntilAsync(
            async () =>
            {
                var delivered = (await js.GetConsumerAsync("CC", "c", ct)).Info.Delivered.StreamSeq;
                if (delivered != last)
                {
                    last = delivered;
                    since = TimeProvider.System.GetTimestamp();
                }

                return TimeProvider.System.GetElapsedTime(since) >= TimeSpan.FromMilliseconds(500);
            },
            TimeSpan.FromSeconds(30),
            "the consumer's delivered sequence settling (unchanged for 0.5 s) while the handler holds",
            ct);
        return last;
    }
}
