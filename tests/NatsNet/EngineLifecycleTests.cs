using FluentAssertions;
using Goflux.InMemory;
using Microsoft.Extensions.Time.Testing;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using NATS.Net;
using Xunit;

namespace Goflux.NatsNet.Tests;

/// <summary>The in-process client's life: connection, what the engine reports, and what disposal does to NATS.Net.</summary>
public sealed class EngineLifecycleTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Client_ConnectsWithTheEnginesServerVersion_JetStreamAndHeaders()
    {
        await using var engine = new InMemoryJetStream(new FakeTimeProvider());
        await using var client = engine.CreateClient();

        await client.ConnectAsync();

        client.Connection.ConnectionState.Should().Be(NatsConnectionState.Open);
        client.Connection.ServerInfo!.Version.Should().Be("2.10.27");
        client.Connection.ServerInfo.JetStreamAvailable.Should().BeTrue();
        client.Connection.ServerInfo.HeadersSupported.Should().BeTrue();
        client.Connection.ServerInfo.MaxPayload.Should().Be(1024 * 1024);
    }

    [Fact]
    public async Task DisposingTheEngine_ClosesItsClients_TheConsumeLoopEnds_LaterCallsFail()
    {
        var engine = new InMemoryJetStream(new FakeTimeProvider());
        await using var client = engine.CreateClient();
        var js = client.CreateJetStreamContext();
        await js.CreateStreamAsync(new StreamConfig("L", ["l.>"]) { Storage = StreamConfigStorage.Memory }, Ct);
        var consumer = await js.CreateOrUpdateConsumerAsync("L", new ConsumerConfig("c"), Ct);
        var loop = Task.Run(
            async () =>
            {
                // NATS.Net notices a server that went away by its heartbeat timer (twice the idle heartbeat).
                await foreach (var m in consumer.ConsumeAsync<string>(opts: new NatsJSConsumeOpts { MaxMsgs = 10, Expires = TimeSpan.FromSeconds(2) }, cancellationToken: Ct))
                {
                    await m.AckAsync(cancellationToken: Ct);
                }
            },
            Ct);
        await engine.WaitForPullRequestAsync("L", "c", Ct).WaitAsync(TimeSpan.FromSeconds(30), Ct);

        await engine.DisposeAsync();
        var ended = await Task.WhenAny(loop, Task.Delay(TimeSpan.FromSeconds(30), TimeProvider.System, Ct));
        var publish = async () => await js.PublishAsync("l.x", "after", cancellationToken: Ct);

        ended.Should().BeSameAs(loop, "the consume loop ends when its server goes away, it does not hang");
        await loop.Awaiting(l => l).Should().ThrowAsync<NatsException>();
        client.Connection.ConnectionState.Should().NotBe(NatsConnectionState.Open);
        await publish.Should().ThrowAsync<Exception>();
        var create = () => engine.CreateClient();
        create.Should().Throw<ObjectDisposedException>();
    }

    [Fact]
    public async Task ClientDisposed_ItsPullRequestsGo_ItsUnsettledDeliveriesNoLongerHoldTheEngine()
    {
        await using var engine = new InMemoryJetStream(new FakeTimeProvider());
        var client = engine.CreateClient();
        var js = client.CreateJetStreamContext();
        await js.CreateStreamAsync(new StreamConfig("D", ["d.>"]) { Storage = StreamConfigStorage.Memory }, Ct);
        var consumer = await js.CreateOrUpdateConsumerAsync("D", new ConsumerConfig("c"), Ct);
        await js.PublishAsync("d.x", "held", cancellationToken: Ct);
        var held = await consumer.NextAsync<string>(cancellationToken: Ct);

        // NextAsync's fetch sends its UNSUB without waiting for it (NATS.Net ends a subscription that reached its
        // maximum from its reader), and the engine waits for a fetch's next pull until its subscription goes: a round
        // trip puts that UNSUB behind us before the engine's count is read (a busy machine showed 2 without it).
        await client.Connection.PingAsync(Ct);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var waiting = Task.Run(
            async () =>
            {
                await foreach (var unused in consumer.FetchAsync<string>(new NatsJSFetchOpts { MaxMsgs = 5, Expires = TimeSpan.FromSeconds(20) }, cancellationToken: stop.Token))
                {
                }
            },
            Ct);
        await engine.WaitForPullRequestAsync("D", "c", Ct).WaitAsync(TimeSpan.FromSeconds(30), Ct);
        engine.InFlight.Should().Be(1, "the message NextAsync returned is unsettled");

        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await client.DisposeAsync().AsTask().WaitAsync(guard.Token);
        await engine.WaitForIdleAsync(guard.Token);
        var info = await engine.GetConsumerInfoAsync("D", "c", Ct);

        held!.Data.Should().Be("held");
        engine.InFlight.Should().Be(0, "a closed connection owes nothing");
        info.NumWaiting.Should().Be(0, "the closed client's pull request went with it");
        info.NumAckPending.Should().Be(1, "the unsettled message stays pending until its ack wait, as on a server");
        await stop.CancelAsync();
        await waiting.WaitAsync(TimeSpan.FromSeconds(30), Ct); // the fetch of the disposed client ends, it does not hang
    }
}
