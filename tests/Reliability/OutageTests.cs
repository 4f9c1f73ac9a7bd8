using FluentAssertions;
using Goflux.JetStream;
using Goflux.Reliability.Tests.Infrastructure;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using NATS.Net;

namespace Goflux.Reliability.Tests;

/// <summary>One nats-server with file storage down for a while (SIGKILL, then restarted) while publishing and consuming go on.</summary>
public sealed class OutageTests
{
    private static readonly TimeSpan ResumeTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(90);

    [Fact]
    public Task ServerDown_EveryPublishEndsWithinItsTimeout_SubscriberResumesWithinBound() => RunOutageAsync(push: false);

    /// <summary>The same outage with a durable push consumer: the client subscribes to its deliver subject again when it
    /// reconnects, and the restarted server delivers to it from where it was.</summary>
    [Fact]
    public Task ServerDown_PushConsumer_EveryPublishEndsWithinItsTimeout_SubscriberResumesWithinBound() => RunOutageAsync(push: true);

    private static async Task RunOutageAsync(bool push)
    {
        var ct = TestContext.Current.CancellationToken;
        var outage = Scale.IsLong ? TimeSpan.FromSeconds(15) : TimeSpan.FromSeconds(6);
        var publishTimeout = TimeSpan.FromSeconds(2);
        var tolerance = TimeSpan.FromSeconds(1);
        await using var node = NewNode();
        await node.StartAsync(ct);
        await using var connection = await Rig.ConnectAsync(node.Url, "reliability-outage", ct);
        var js = connection.CreateJetStreamContext();
        await Rig.FileStreamAsync(js, "KO", replicas: 1, ct);
        var config = new ConsumerConfig("c") { AckPolicy = ConsumerConfigAckPolicy.Explicit };
        if (push)
        {
            config.DeliverSubject = "deliver.ko";
        }

        var consumer = await Rig.ConsumerAsync(js, "KO", config, ct);

        const int maxId = 1_000_000;
        var consumed = new ConsumeLedger(maxId);
        var published = new PublishLedger(maxId);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        await using var subscriber = new JetStreamSubscriber<long>(consumer, Int64Codec.Instance, SubscriberOptions.Default with { EnableTelemetry = false });
        var run = subscriber.SubscribeAsync(
            "ko.m",
            (m, _) =>
            {
                consumed.Record(m);
                return ValueTask.CompletedTask;
            },
            stop.Token);
        await using var publisher = new JetStreamPublisher<long>(js, Int64Codec.Instance, PublisherOptions.Default with { DeduplicateByMessageId = true, EnableTelemetry = false });

        var id = 0L;
        using var stopPublishing = CancellationTokenSource.CreateLinkedTokenSource(ct);
        Task PublishOneAsync() => published.PublishAsync(publisher, "ko.m", Interlocked.Increment(ref id), stopPublishing.Token, publishTimeout);

        // Publish steadily before, during and after the outage; each publish has its own timeout.
        var publishing = Task.Run(
            async () =>
            {
                while (!stopPublishing.IsCancellationRequested)
                {
                    await PublishOneAsync();
                    await Task.Delay(TimeSpan.FromMilliseconds(20), TimeProvider.System, stopPublishing.Token);
                }
            },
            ct);

        await Poll.UntilAsync(() => consumed.Handled >= 20, TimeSpan.FromSeconds(30), "the first 20 messages handled", ct);
        var downAt = TimeProvider.System.GetTimestamp();
        await node.KillAsync(ct);
        await Poll.UntilAsync(() => TimeProvider.System.GetElapsedTime(downAt) >= outage || publishing.IsCompleted, outage + TimeSpan.FromSeconds(5), "the outage", ct);
        await node.StartAsync(ct);
        var reachable = TimeProvider.System.GetTimestamp();

        // Neither wait fails on its own: a subscriber that never resumes, or a confirmed publish never handled, is counted
        // (resume stays null, lost above 0), written to the figures, and then fails the assertions below.
        await Poll.WithinAsync(() => consumed.FirstAfter(reachable) is not null || run.IsCompleted, ResumeTimeout, ct);
        var resume = consumed.FirstAfter(reachable);
        await Poll.UntilAsync(() => TimeProvider.System.GetElapsedTime(reachable) >= TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5), "a second of publishing after the restart", ct);
        await stopPublishing.CancelAsync();
        await publishing.ContinueWith(_ => { }, TaskScheduler.Default).WaitAsync(TimeSpan.FromSeconds(30), ct);
        var total = Interlocked.Read(ref id);
        await Poll.WithinAsync(
            () => Enumerable.Range(1, (int)total).All(i => !published.IsConfirmed(i) || consumed.Has(i)) || run.IsCompleted,
            DrainTimeout,
            ct);
        var ended = run.IsCompleted ? $"; the subscription ended: {(run.Exception?.GetBaseException().Message ?? "stopped")}" : string.Empty;
        var lost = Enumerable.Range(1, (int)total).LongCount(i => published.IsConfirmed(i) && !consumed.Has(i));
        await stop.CancelAsync();
        await run.ContinueWith(_ => { }, TaskScheduler.Default).WaitAsync(TimeSpan.FromSeconds(30), ct);

        Figures.Add(new FigureRow(
            $"server down {outage.TotalSeconds:0} s (SIGKILL, restart), publishing every 20 ms{(push ? ", push consumer" : string.Empty)}",
            total,
            lost,
            consumed.Duplicates,
            resume,
            published.Longest,
            $"{published.Failed:N0} publishes ended with an error within their {publishTimeout.TotalSeconds:0} s timeout; duplicates are redeliveries"));

        published.Longest.Should().BeLessThanOrEqualTo(publishTimeout + tolerance, $"every publish ends within its timeout, also while the server is down ({published.DescribeFailures()})");
        lost.Should().Be(0, $"every confirmed publish is handled within {DrainTimeout.TotalSeconds:0} s of the restart{ended}");
        resume.Should().NotBeNull($"the subscriber handles a message within {ResumeTimeout.TotalSeconds:0} s of the server being reachable again{ended}");
        resume!.Value.Should().BeLessThanOrEqualTo(Rig.ResumeBound, "the subscriber resumes within the bound once the server is reachable again");
    }

    private static NatsNode NewNode() => NatsNode.Solo();
}
