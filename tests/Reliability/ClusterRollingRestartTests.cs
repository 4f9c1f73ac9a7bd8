using FluentAssertions;
using Goflux.JetStream;
using Goflux.Reliability.Tests.Infrastructure;
using NATS.Client.JetStream.Models;
using NATS.Net;

namespace Goflux.Reliability.Tests;

/// <summary>An R3 file stream on the 3-node cluster: every node stopped and restarted in turn while publishing and consuming.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterRollingRestartTests(ClusterFixture fixture) : ClusterTestBase(fixture)
{
    [Fact]
    public async Task RollingRestartOfAllThreeNodes_WhilePublishingAndConsuming_NothingLost_DuplicatesOnlyRedeliveries_NoPauseOverBound()
    {
        var ct = TestContext.Current.CancellationToken;
        const int maxId = 2_000_000;
        var backlog = Scale.Of(50_000, 6_000);
        await using var connection = await Rig.ConnectAsync(Cluster.Urls, "reliability-cluster-rolling", ct);
        var js = connection.CreateJetStreamContext();
        await Rig.FileStreamAsync(js, "CR", replicas: 3, ct);

        // A backlog the throttled handler (at least 1 ms a message) is still working through when the last node is back,
        // so any pause in handling is the subscriber's, not a lack of messages. Ids above the backlog are published live.
        // Once the restart is over the handler runs free, so the drain takes seconds, not minutes, at full size.
        await Rig.FillAsync(js, "cr.m", backlog, ct);
        var consumer = await Rig.ConsumerAsync(js, "CR", new ConsumerConfig("c") { AckPolicy = ConsumerConfigAckPolicy.Explicit }, ct);

        var published = new PublishLedger(maxId);
        var consumed = new ConsumeLedger(maxId);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var stopPublishing = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var throttled = 1;
        await using var subscriber = new JetStreamSubscriber<long>(consumer, Int64Codec.Instance, SubscriberOptions.Default with { EnableTelemetry = false, MaxMessages = 100 });
        var run = subscriber.SubscribeAsync(
            "cr.m",
            async (m, token) =>
            {
                consumed.Record(m);
                if (Volatile.Read(ref throttled) == 1)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(1), TimeProvider.System, token);
                }
            },
            stop.Token);
        await using var publisher = NewRetryingPublisher(js);
        var next = (long)backlog;
        var publishing = Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(
            async () =>
            {
                while (!stopPublishing.IsCancellationRequested)
                {
                    var id = Interlocked.Increment(ref next);
                    if (id > maxId)
                    {
                        return;
                    }

                    await published.PublishAsync(publisher, "cr.m", id, ct);
                    await Task.Delay(TimeSpan.FromMilliseconds(5), TimeProvider.System, CancellationToken.None);
                }
            },
            ct)));

        await Poll.UntilAsync(() => consumed.Handled >= 100, DrainTimeout, "the first 100 messages handled", ct);
        var startedAt = TimeProvider.System.GetTimestamp();
        foreach (var node in Cluster.Nodes)
        {
            await node.StopAsync(ct);
            await node.StartAsync(ct);
            await NatsCluster.WaitForHealthyAsync(node, ct);
            await WaitForNewLeaderAsync(js, "CR", except: null, ct);
        }

        var restartedAt = TimeProvider.System.GetTimestamp();
        var restartTook = TimeProvider.System.GetElapsedTime(startedAt, restartedAt);
        var handledDuringRestart = consumed.Handled;
        var backlogLeft = handledDuringRestart < backlog;
        Volatile.Write(ref throttled, 0);
        await stopPublishing.CancelAsync();
        await Poll.WithinAsync(_ => publishing, DrainTimeout, "the publishers finishing", ct);
        var total = (int)Math.Min(Interlocked.Read(ref next), maxId);
        bool Expected(int i) => i <= backlog || published.IsConfirmed(i);
        var drainStarted = TimeProvider.System.GetTimestamp();
        try
        {
            await Poll.UntilAsync(
                () => Enumerable.Range(1, total).All(i => !Expected(i) || consumed.Has(i)),
                DrainTimeout + DrainTimeout,
                "every stored message handled after the rolling restart",
                ct);
        }
        catch (TimeoutException ex)
        {
            var missing = Enumerable.Range(1, total).Where(i => Expected(i) && !consumed.Has(i)).ToList();
            throw new TimeoutException(
                $"{ex.Message} Handled {consumed.Handled:N0} ({consumed.Distinct:N0} distinct) of {Enumerable.Range(1, total).Count(Expected):N0}; {missing.Count:N0} not handled (first: {string.Join(", ", missing.Take(10))}); last handled {consumed.SinceLast.TotalSeconds:0.0} s ago; the drain started {TimeProvider.System.GetElapsedTime(drainStarted).TotalSeconds:0} s ago, {restartTook.TotalSeconds:0.0} s after the restart began.",
                ex);
        }
        // Pauses count while the throttled backlog guaranteed work, up to the first message after the last node was back;
        // later pauses in the drain are the publishers' last retries, not the subscriber.
        var gap = consumed.LongestGapBetween(startedAt, restartedAt);
        await stop.CancelAsync();
        await Poll.WithinAsync(_ => run, TimeSpan.FromSeconds(30), "the subscription stopping", ct);

        await Cluster.WaitForStreamInSyncAsync("CR", ct);
        var stored = await Rig.StoredIdsAsync(js, "CR", total, ct);
        var lost = Enumerable.Range(1, total).LongCount(i => (i <= backlog || published.IsConfirmed(i)) && (stored[i] == 0 || !consumed.Has(i)));
        var storedTwice = stored.Skip(1).Where(c => c > 1).Sum(c => c - 1L);
        Figures.Add(new FigureRow(
            "cluster R3: rolling restart of all three nodes (SIGTERM, restart, healthy) while publishing and consuming",
            backlog + published.Confirmed,
            lost,
            consumed.Duplicates + storedTwice,
            gap,
            published.Longest,
            $"restart took {restartTook.TotalSeconds:0.0} s ({NatsCluster.Rejoins} extra restarts of a node stuck behind the meta leader in this run); duplicates: {consumed.Duplicates:N0} redeliveries, {storedTwice:N0} stored twice, {published.DuplicateAcks:N0} deduplicated retries; resume time = longest pause in handling while the nodes restarted; {published.Failed:N0} publishes failed after all retries"));

        backlogLeft.Should().BeTrue($"the backlog of {backlog:N0} must outlast the {restartTook.TotalSeconds:0.0} s restart for the pause to mean anything (handled {handledDuringRestart:N0} by then)");
        published.Failed.Should().Be(0, $"the retrying publisher gets every message through the restarts ({published.DescribeFailures()})");
        lost.Should().Be(0, "a rolling restart loses nothing");
        storedTwice.Should().Be(0, "with message ids, a retried publish is deduplicated, never stored twice");
        gap.Should().BeLessThanOrEqualTo(Rig.ResumeBound, "with two of three nodes up at any time, handling never pauses longer than the resume bound");
    }
}
