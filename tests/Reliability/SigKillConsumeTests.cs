using System.Globalization;
using FluentAssertions;
using Goflux.JetStream;
using Goflux.Reliability.Tests.Infrastructure;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using NATS.Net;

namespace Goflux.Reliability.Tests;

/// <summary>One nats-server with file storage killed with SIGKILL and restarted by PID while the JetStream subscriber consumes from it.</summary>
public sealed class SigKillConsumeTests
{
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task SigKillAndRestart_WhileConsuming_NothingLost_DuplicatesAreRedeliveries_ResumesWithinBound()
    {
        var ct = TestContext.Current.CancellationToken;
        var count = Scale.Of(50_000, 5_000);
        await using var node = NewNode();
        await node.StartAsync(ct);
        await using var connection = await Rig.ConnectAsync(node.Url, "reliability-consume", ct);
        var js = connection.CreateJetStreamContext();
        await Rig.FileStreamAsync(js, "KC", replicas: 1, ct);
        await Rig.FillAsync(js, "kc.m", count, ct);
        // Acks sent while the server is down are lost, and a SIGKILL rolls the consumer's state on disk back, so the
        // restarted server can count a whole pull window as delivered and not acked. With max_ack_pending at its default
        // (1,000, the subscriber's MaxMessages) that blocks every new delivery until ack_wait runs out (S-76, S-91): a
        // wait of the server's (once measured as a 29.8 s "resume"), not of the subscriber. Here the limit is above what
        // the kill can leave pending, so the resume time is the subscriber's; ack_wait is shortened only to bound the run.
        var consumer = await Rig.ConsumerAsync(
            js,
            "KC",
            new ConsumerConfig("c") { AckPolicy = ConsumerConfigAckPolicy.Explicit, MaxAckPending = count, AckWait = TimeSpan.FromSeconds(10) },
            ct);

        var ledger = new ConsumeLedger(count);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        await using var subscriber = new JetStreamSubscriber<long>(consumer, Int64Codec.Instance, SubscriberOptions.Default with { EnableTelemetry = false });
        // The handler holds at a third of the messages until the server is killed, so the kill always finds messages the
        // server has not delivered yet (a free-running subscriber can finish a short run before the kill lands).
        var killed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var run = subscriber.SubscribeAsync(
            "kc.m",
            async (m, token) =>
            {
                ledger.Record(m);
                if (ledger.Handled >= count / 3)
                {
                    await killed.Task.WaitAsync(token);
                }
            },
            stop.Token);

        await Poll.UntilAsync(() => ledger.Handled >= count / 3, DrainTimeout, $"the subscriber handling {count / 3:N0} messages", ct);
        await node.KillAsync(ct);
        killed.SetResult();

        // What the client had already received is handled while the server is down; only then is it restarted, so every
        // message handled after the restart was delivered after it.
        await Poll.UntilAsync(() => ledger.SinceLast >= TimeSpan.FromMilliseconds(300), DrainTimeout, "the subscriber handling what it had received before the kill", ct);
        await node.StartAsync(ct);
        var reachable = TimeProvider.System.GetTimestamp();
        ConsumerInfo? restarted = null;
        await using (var probe = await Rig.ConnectAsync(node.Url, "reliability-consume-probe", ct))
        {
            await Poll.UntilAsync(
                async () => (restarted = (await probe.CreateJetStreamContext().GetConsumerAsync("KC", "c", ct)).Info) is not null,
                TimeSpan.FromSeconds(30),
                "the restarted server answering consumer info",
                ct);
        }

        await Poll.UntilAsync(
            () => ledger.Missing == 0 || run.IsCompleted,
            DrainTimeout,
            $"every one of {count:N0} messages handled after a SIGKILL and restart (handled {ledger.Handled:N0}, distinct {ledger.Distinct:N0})",
            ct);
        var resume = ledger.FirstAfter(reachable);
        await stop.CancelAsync();
        await Poll.WithinAsync(_ => run, TimeSpan.FromSeconds(30), "the subscription stopping", ct);

        Figures.Add(new FigureRow(
            "SIGKILL + restart while consuming (file storage)",
            count,
            ledger.Missing,
            ledger.Duplicates,
            resume,
            null,
            $"duplicates are redeliveries; {ledger.FirstDeliveryRepeats:N0} of them came again as NumDelivered 1 (consumer state rolled back by the kill); after the restart the consumer had {restarted!.NumPending:N0} undelivered and {restarted.NumAckPending:N0} delivered-not-acked (ack floor {restarted.AckFloor?.StreamSeq:N0})"));

        ledger.Missing.Should().Be(0, "a SIGKILL loses nothing the server acknowledged");
        restarted.NumPending.Should().BeGreaterThan(0, "the kill must leave messages the server has not delivered yet, or there is nothing to resume on");
        resume.Should().NotBeNull("the subscriber handles messages again after the restart");
        resume!.Value.Should().BeLessThanOrEqualTo(Rig.ResumeBound, "the subscriber resumes within the bound once the server is reachable again");
    }

    private static NatsNode NewNode() => NatsNode.Solo();
}
