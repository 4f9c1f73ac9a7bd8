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
        var consumer = await JetStreamSetup.CreateOrUpdateConsumerAsync(js, "KC", new ConsumerConfig("c") { AckPolicy = ConsumerConfigAckPolicy.Explicit }, ct);

        var ledger = new ConsumeLedger(count);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        await using var subscriber = new JetStreamSubscriber<long>(consumer, Int64Codec.Instance, SubscriberOptions.Default with { EnableTelemetry = false });
        var run = subscriber.SubscribeAsync(
            "kc.m",
            (m, _) =>
            {
                ledger.Record(m);
                return ValueTask.CompletedTask;
            },
            stop.Token);

        await Poll.UntilAsync(() => ledger.Handled >= count / 3, DrainTimeout, $"the subscriber handling {count / 3:N0} messages", ct);
        await node.KillAsync(ct);
        await node.StartAsync(ct);
        var reachable = TimeProvider.System.GetTimestamp();

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
            $"duplicates are redeliveries; {ledger.FirstDeliveryRepeats:N0} of them came again as NumDelivered 1 (consumer state rolled back by the kill)"));

        ledger.Missing.Should().Be(0, "a SIGKILL loses nothing the server acknowledged");
        resume.Should().NotBeNull("the subscriber handles messages again after the restart");
        resume!.Value.Should().BeLessThanOrEqualTo(Rig.ResumeBound, "the subscriber resumes within the bound once the server is reachable again");
    }

    private static NatsNode NewNode() => NatsNode.Solo();
}
