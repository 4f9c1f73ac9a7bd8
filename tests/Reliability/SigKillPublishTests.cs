using System.Globalization;
using FluentAssertions;
using Goflux.JetStream;
using Goflux.Reliability.Tests.Infrastructure;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using NATS.Net;

namespace Goflux.Reliability.Tests;

/// <summary>One nats-server with file storage killed with SIGKILL and restarted by PID while RetryingPublisher publishes through it.</summary>
public sealed class SigKillPublishTests
{
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task SigKillAndRestart_WhilePublishingWithRetriesAndMessageIds_NothingLost_NoStoredDuplicates()
    {
        var ct = TestContext.Current.CancellationToken;
        var count = Scale.Of(20_000, 2_000);
        await using var node = NewNode();
        await node.StartAsync(ct);
        await using var connection = await Rig.ConnectAsync(node.Url, "reliability-publish", ct);
        var js = connection.CreateJetStreamContext();
        await Rig.FileStreamAsync(js, "KP", replicas: 1, ct);

        var ledger = new PublishLedger(count);
        await using var publisher = new RetryingPublisher<long>(
            new JetStreamPublisher<long>(js, Int64Codec.Instance, PublisherOptions.Default with { DeduplicateByMessageId = true, EnableTelemetry = false }),
            maxAttempts: 60,
            backoff: _ => TimeSpan.FromMilliseconds(250));
        var next = 0L;
        var workers = Enumerable.Range(0, 8).Select(_ => Task.Run(
            async () =>
            {
                long id;
                while ((id = Interlocked.Increment(ref next)) <= count)
                {
                    await ledger.PublishAsync(publisher, "kp.m", id, ct);
                }
            },
            ct)).ToArray();

        await Poll.UntilAsync(() => ledger.Confirmed >= count / 3 || workers.All(w => w.IsCompleted), DrainTimeout, $"{count / 3:N0} confirmed publishes", ct);
        await node.KillAsync(ct);
        await node.StartAsync(ct);
        await Poll.WithinAsync(_ => Task.WhenAll(workers), DrainTimeout, "the publishers finishing after the restart", ct);

        var stored = await Rig.StoredIdsAsync(js, "KP", count, ct);
        var lost = Enumerable.Range(1, count).LongCount(id => ledger.IsConfirmed(id) && stored[id] == 0);
        var storedTwice = stored.Skip(1).Where(c => c > 1).Sum(c => c - 1L);
        Figures.Add(new FigureRow(
            "SIGKILL + restart while publishing (RetryingPublisher, message ids, file storage)",
            count,
            lost,
            storedTwice,
            null,
            ledger.Longest,
            $"{ledger.DuplicateAcks:N0} retries answered as duplicates (deduplicated, not stored); {ledger.Failed:N0} publishes failed after all retries"));

        ledger.Failed.Should().Be(0, $"the retrying publisher gets every message through a restart ({ledger.DescribeFailures()})");
        lost.Should().Be(0, "every confirmed publish is stored");
        stored[0].Should().Be(0, "nothing else is in the stream");
        storedTwice.Should().Be(0, "with message ids, a retried publish is deduplicated, never stored twice");
        Enumerable.Range(1, count).Count(id => stored[id] == 0).Should().Be(0, "every id was published");
    }

    private static NatsNode NewNode() => NatsNode.Solo();
}
