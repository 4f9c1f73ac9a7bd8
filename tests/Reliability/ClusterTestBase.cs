using Goflux.JetStream;
using Goflux.Reliability.Tests.Infrastructure;
using Microsoft.Extensions.Logging;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using NATS.Net;

namespace Goflux.Reliability.Tests;

/// <summary>Steps the cluster scenarios share: find and kill the stream leader, wait for a new one, bring the cluster back.</summary>
public abstract class ClusterTestBase(ClusterFixture fixture)
{
    protected static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(90);
    protected static readonly TimeSpan LeaderTimeout = TimeSpan.FromSeconds(30);

    public NatsCluster Cluster => fixture.Cluster;

    protected static ValueTask Record(ConsumeLedger ledger, Message<long> message)
    {
        ledger.Record(message);
        return ValueTask.CompletedTask;
    }

    protected static RetryingPublisher<long> NewRetryingPublisher(INatsJSContext js) =>
        new(
            new JetStreamPublisher<long>(js, Int64Codec.Instance, PublisherOptions.Default with { DeduplicateByMessageId = true, EnableTelemetry = false }),
            maxAttempts: 60,
            backoff: _ => TimeSpan.FromMilliseconds(250));

    protected static Task PublishAll(PublishLedger ledger, IPublisher<long> publisher, string subject, int count, CancellationToken ct)
    {
        var next = 0L;
        return Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(
            async () =>
            {
                long id;
                while ((id = Interlocked.Increment(ref next)) <= count)
                {
                    await ledger.PublishAsync(publisher, subject, id, ct);
                }
            },
            ct)));
    }

    protected async Task<NatsConnection> ConnectToLeaderAsync(string stream, string name, CancellationToken ct, ILoggerFactory? loggerFactory = null)
    {
        await using var probe = await Rig.ConnectAsync(Cluster.Urls, name + "-probe", ct);
        string? leader = null;
        await Poll.UntilAsync(async () => (leader = await LeaderOfAsync(probe.CreateJetStreamContext(), stream, ct)) is { Length: > 0 }, LeaderTimeout, $"stream {stream} reporting its leader", ct);
        return await Rig.ConnectAsync(Cluster.UrlsStartingWith(leader!), name, ct, inOrder: true, loggerFactory: loggerFactory);
    }

    protected static async Task<string?> LeaderOfAsync(INatsJSContext js, string stream, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(2));
        var info = await js.GetStreamAsync(stream, cancellationToken: timeout.Token);
        return info.Info.Cluster?.Leader;
    }

    protected async Task<NatsNode> KillStreamLeaderAsync(INatsJSContext js, string stream, CancellationToken ct)
    {
        var node = await StreamLeaderAsync(js, stream, ct);
        await node.KillAsync(ct);
        return node;
    }

    protected async Task<NatsNode> StreamLeaderAsync(INatsJSContext js, string stream, CancellationToken ct)
    {
        string? leader = null;
        await Poll.UntilAsync(async () => (leader = await LeaderOfAsync(js, stream, ct)) is { Length: > 0 }, LeaderTimeout, $"stream {stream} reporting its leader", ct);
        return Cluster.Node(leader!);
    }

    protected static Task WaitForNewLeaderAsync(INatsJSContext js, string stream, string? except, CancellationToken ct) =>
        Poll.UntilAsync(
            async () => await LeaderOfAsync(js, stream, ct) is { Length: > 0 } l && l != except,
            LeaderTimeout,
            $"stream {stream} electing a leader{(except is null ? string.Empty : " other than " + except)}",
            ct);

    protected static Task WaitForConsumerLeaderAsync(INatsJSContext js, string stream, string consumer, string except, CancellationToken ct) =>
        Poll.UntilAsync(
            async () =>
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(TimeSpan.FromSeconds(2));
                var info = await js.GetConsumerAsync(stream, consumer, timeout.Token);
                return info.Info.Cluster?.Leader is { Length: > 0 } l && l != except;
            },
            LeaderTimeout,
            $"consumer {stream}/{consumer} electing a leader other than {except}",
            ct);

    protected async Task RestoreAsync(NatsNode node, CancellationToken ct)
    {
        if (!node.IsRunning)
        {
            await node.StartAsync(ct);
        }

        foreach (var n in Cluster.Nodes)
        {
            await NatsCluster.WaitForHealthyAsync(n, ct);
        }
    }
}
