using System.Collections.Concurrent;
using System.Text;
using FluentAssertions;
using Goflux.InMemory;
using Microsoft.Extensions.Time.Testing;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using NATS.Net;
using Xunit;

namespace Goflux.NatsNet.Tests;

/// <summary>
/// Virtual time under NATS.Net's own loops: the engine's deadlines (ack wait, request expiry) move with its clock while
/// NATS.Net's heartbeat and expiry timers run on the wall clock.
/// </summary>
public sealed class EngineVirtualTimeTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private InMemoryJetStream _engine = null!;
    private NatsClient _client = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync()
    {
        _engine = new InMemoryJetStream(_clock);
        _client = _engine.CreateClient();
        return default;
    }

    public async ValueTask DisposeAsync()
    {
        await _client.DisposeAsync();
        await _engine.DisposeAsync();
    }

    [Fact]
    public async Task AnHourJump_UnderAConsumeLoop_NoErrorNoStall_UnsettledComeBackUpToMaxDeliver()
    {
        var js = _client.CreateJetStreamContext();
        await js.CreateStreamAsync(new StreamConfig("JUMP", ["jump.>"]) { Storage = StreamConfigStorage.Memory }, Ct);
        var consumer = await js.CreateOrUpdateConsumerAsync("JUMP", new ConsumerConfig("worker") { AckWait = TimeSpan.FromSeconds(30), MaxDeliver = 5 }, Ct);
        var deliveries = new ConcurrentDictionary<string, int>();
        var notifications = new ConcurrentQueue<INatsJSNotification>();
        await using var maxed = await _client.Connection.SubscribeCoreAsync<byte[]>("$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.JUMP.worker", cancellationToken: Ct);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var opts = new NatsJSConsumeOpts
        {
            MaxMsgs = 20,
            NotificationHandler = (n, _) =>
            {
                notifications.Enqueue(n);
                return Task.CompletedTask;
            },
        };

        // A typical consume loop: it acks what it can handle and leaves a poison message unsettled.
        var loop = Task.Run(
            async () =>
            {
                await foreach (var m in consumer.ConsumeAsync<string>(opts: opts, cancellationToken: stop.Token))
                {
                    deliveries.AddOrUpdate(m.Data!, 1, (_, n) => n + 1);
                    if (!m.Data!.StartsWith("poison", StringComparison.Ordinal))
                    {
                        await m.AckAsync(cancellationToken: Ct);
                    }
                }
            },
            Ct);
        await _engine.WaitForPullRequestAsync("JUMP", "worker", Ct);
        for (var i = 0; i < 8; i++)
        {
            await js.PublishAsync("jump.work", $"job-{i}", cancellationToken: Ct);
        }

        await js.PublishAsync("jump.work", "poison-a", cancellationToken: Ct);
        await js.PublishAsync("jump.work", "poison-b", cancellationToken: Ct);

        using var guard = new CancellationTokenSource(TimeSpan.FromMinutes(2)); // a hang guard, not a timing assumption
        await _engine.AdvanceAsync(TimeSpan.FromHours(1), guard.Token);

        // The loop still runs and still has a pull request open: a message published now is handled at once.
        await js.PublishAsync("jump.work", "after", cancellationToken: Ct);
        await _engine.WaitForIdleAsync(guard.Token);
        var info = (await js.GetConsumerAsync("JUMP", "worker", Ct)).Info;
        await _client.PingAsync(Ct);
        var advisories = 0;
        while (maxed.Msgs.TryRead(out _))
        {
            advisories++;
        }

        loop.IsCompleted.Should().BeFalse("the consume loop survives the jump");
        deliveries["after"].Should().Be(1);
        Enumerable.Range(0, 8).Select(i => deliveries[$"job-{i}"]).Should().AllBeEquivalentTo(1, "acked messages are not redelivered");
        deliveries["poison-a"].Should().Be(5, "an unsettled message is redelivered every ack wait until max_deliver, as on a server");
        deliveries["poison-b"].Should().Be(5);
        advisories.Should().Be(2, "one MAX_DELIVERIES advisory per exhausted message");
        info.NumWaiting.Should().BeGreaterThan(0, "the loop re-pulled after each expired request");
        notifications.OfType<NatsJSTimeoutNotification>().Should().BeEmpty("NATS.Net saw no missed heartbeat");
        await stop.CancelAsync();
        await loop;
    }

    [Fact]
    public async Task ConsumeLoopWithDefaultOptions_RequestsExpireOnTheEngineClock_LoopRePulls()
    {
        var js = _client.CreateJetStreamContext();
        await js.CreateStreamAsync(new StreamConfig("EXP", ["exp.>"]) { Storage = StreamConfigStorage.Memory }, Ct);
        var consumer = await js.CreateOrUpdateConsumerAsync("EXP", new ConsumerConfig("c"), Ct);
        var got = new ConcurrentQueue<string>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var loop = Task.Run(
            async () =>
            {
                await foreach (var m in consumer.ConsumeAsync<string>(cancellationToken: stop.Token))
                {
                    got.Enqueue(m.Data!);
                    await m.AckAsync(cancellationToken: Ct);
                }
            },
            Ct);
        await _engine.WaitForPullRequestAsync("EXP", "c", Ct);

        // Ten of NATS.Net's default 30 s requests expire in virtual time; each time the loop asks again.
        await _engine.AdvanceAsync(TimeSpan.FromMinutes(5), Ct);
        await js.PublishAsync("exp.x", "late", cancellationToken: Ct);
        await _engine.WaitForIdleAsync(Ct);

        got.Should().Equal("late");
        _engine.Events.Count(e => e.Kind == InMemoryEventKind.Delivered).Should().Be(1);
        await stop.CancelAsync();
        await loop;
    }

    [Fact]
    public async Task NakWithDelayInAConsumeLoop_ThirtySecondsInNoWallTime()
    {
        var js = _client.CreateJetStreamContext();
        await js.CreateStreamAsync(new StreamConfig("NAK", ["nak.>"]) { Storage = StreamConfigStorage.Memory }, Ct);
        var consumer = await js.CreateOrUpdateConsumerAsync("NAK", new ConsumerConfig("c") { AckWait = TimeSpan.FromMinutes(5) }, Ct);
        var seen = new ConcurrentQueue<(string Data, ulong Delivered, DateTimeOffset At)>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var loop = Task.Run(
            async () =>
            {
                await foreach (var m in consumer.ConsumeAsync<string>(cancellationToken: stop.Token))
                {
                    seen.Enqueue((m.Data!, m.Metadata!.Value.NumDelivered, _clock.GetUtcNow()));
                    if (m.Metadata.Value.NumDelivered == 1)
                    {
                        await m.NakAsync(new AckOpts { NakDelay = TimeSpan.FromSeconds(30) }, Ct);
                    }
                    else
                    {
                        await m.AckAsync(cancellationToken: Ct);
                    }
                }
            },
            Ct);
        await _engine.WaitForPullRequestAsync("NAK", "c", Ct);
        var start = _clock.GetUtcNow();
        await js.PublishAsync("nak.x", "order-1", cancellationToken: Ct);

        await _engine.AdvanceAsync(TimeSpan.FromSeconds(29), Ct);
        var before = seen.Count;
        await _engine.AdvanceAsync(TimeSpan.FromSeconds(1), Ct);

        before.Should().Be(1, "the nak delay has not passed after 29 s");
        seen.Select(s => s.Delivered).Should().Equal(1UL, 2UL);
        (seen.Last().At - start).Should().Be(TimeSpan.FromSeconds(30));
        (await js.GetConsumerAsync("NAK", "c", Ct)).Info.NumAckPending.Should().Be(0);
        await stop.CancelAsync();
        await loop;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(7)]
    public async Task ConsumeLoop_IdleOnlyOnceEverythingIsHandled_NeverBetweenAnAckAndTheNextPull(int window)
    {
        var js = _client.CreateJetStreamContext();
        await js.CreateStreamAsync(new StreamConfig("GAP", ["gap.>"]) { Storage = StreamConfigStorage.Memory }, Ct);
        var consumer = await js.CreateOrUpdateConsumerAsync("GAP", new ConsumerConfig("c"), Ct);
        for (var i = 0; i < 200; i++)
        {
            await js.PublishAsync("gap.x", i, cancellationToken: Ct);
        }

        var handled = 0;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var loop = Task.Run(
            async () =>
            {
                await foreach (var m in consumer.ConsumeAsync<int>(opts: new NatsJSConsumeOpts { MaxMsgs = window }, cancellationToken: stop.Token))
                {
                    Interlocked.Increment(ref handled);
                    await m.AckAsync(cancellationToken: Ct);
                }
            },
            Ct);
        await _engine.WaitForPullRequestAsync("GAP", "c", Ct);

        // The loop acks, then asks again: between the two the engine waits for the request it expects.
        await _engine.WaitForIdleAsync(Ct);

        Volatile.Read(ref handled).Should().Be(200);
        (await js.GetConsumerAsync("GAP", "c", Ct)).Info.NumAckPending.Should().Be(0);
        _engine.UnsettledGraceReleases.Should().Be(0);
        await stop.CancelAsync();
        await loop;
    }
}
