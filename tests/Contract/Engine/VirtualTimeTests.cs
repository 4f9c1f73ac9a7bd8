using System.Collections.Concurrent;
using System.Text;
using FluentAssertions;
using Goflux.InMemory;
using Microsoft.Extensions.Time.Testing;
using NATS.Client.JetStream.Models;
using Xunit;

namespace Goflux.Contract.Tests.Engine;

/// <summary>
/// Handlers that wait on the engine's own clock count as waiting for virtual time: <see cref="InMemoryJetStream.AdvanceAsync"/>
/// moves the clock to their timers. And the event logged when a redelivery falls due names its cause.
/// </summary>
public sealed class VirtualTimeTests : IAsyncDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly byte[] Payload = Encoding.UTF8.GetBytes("x");
    private readonly FakeTimeProvider _clock = new(Start);
    private readonly InMemoryJetStream _engine;
    private FakeTimeProvider? _readClock;

    public VirtualTimeTests() => _engine = new InMemoryJetStream(_clock);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask DisposeAsync() => _engine.DisposeAsync();

    [Fact]
    public async Task Handler_HeartbeatEvery400msFor2point5sWithAckWait1s_ThenAck_DeliveredOnce()
    {
        var consumer = await SetUpAsync(c => c.AckWait = TimeSpan.FromSeconds(1));
        var deliveries = new ConcurrentQueue<ulong>();
        using var cts = new CancellationTokenSource();
        await using var subscriber = new InMemorySubscriber<string>(consumer, new Utf8Codec(), new SubscriberOptions { ManualAck = true });
        var run = subscriber.SubscribeAsync("s.>", async (m, ct) =>
        {
            deliveries.Enqueue(m.Delivery!.Value.NumDelivered);
            var started = _engine.TimeProvider.GetTimestamp();
            while (_engine.TimeProvider.GetElapsedTime(started) < TimeSpan.FromSeconds(2.5))
            {
                await Task.Delay(TimeSpan.FromMilliseconds(400), _engine.TimeProvider, ct);
                await m.InProgressAsync(ct);
            }

            await m.AckAsync(ct);
        }, cts.Token);
        await _engine.PublishAsync("s.a", Payload, cancellationToken: Ct);

        await _engine.AdvanceAsync(TimeSpan.FromSeconds(5), Ct);

        deliveries.Should().Equal([1UL], "every heartbeat restarted the 1 s ack wait (S-82)");
        _clock.GetUtcNow().Should().Be(Start + TimeSpan.FromSeconds(5));
        var info = await consumer.GetInfoAsync(Ct);
        (info.NumAckPending, info.AckFloor!.StreamSeq, info.NumRedelivered).Should().Be((0, 1UL, 0));
        _engine.Events.Count(e => e.Kind == InMemoryEventKind.InProgress).Should().Be(7);
        await cts.CancelAsync();
        await run;
    }

    [Fact]
    public async Task Handler_DelayOnTheEngineClock_WaitForIdleDoesNotWaitForIt_AdvanceRunsItToTheEnd()
    {
        var consumer = await SetUpAsync();
        var finished = new TaskCompletionSource<DateTimeOffset>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var cts = new CancellationTokenSource();
        await using var subscriber = new InMemorySubscriber<string>(consumer, new Utf8Codec());
        var run = subscriber.SubscribeAsync("s.>", async (_, ct) =>
        {
            await Task.Delay(TimeSpan.FromSeconds(2), _engine.TimeProvider, ct);
            finished.TrySetResult(_engine.TimeProvider.GetUtcNow());
        }, cts.Token);
        await _engine.PublishAsync("s.a", Payload, cancellationToken: Ct);

        await _engine.WaitForIdleAsync(Ct);
        finished.Task.IsCompleted.Should().BeFalse("the handler waits for virtual time");
        await _engine.AdvanceAsync(TimeSpan.FromSeconds(10), Ct);

        (await finished.Task).Should().Be(Start + TimeSpan.FromSeconds(2), "AdvanceAsync stopped at the handler's timer");
        (await consumer.GetInfoAsync(Ct)).NumAckPending.Should().Be(0);
        await cts.CancelAsync();
        await run;
    }

    [Fact]
    public async Task Handler_DelaysOnTheEngineClock_WhileOtherThreadsReadIt_300Rounds_EachDelayEndsAtItsDue()
    {
        // Reading a FakeTimeProvider runs its due timers, one thread at a time: an Advance made while another thread is
        // in there returns before its timers ran. And a handler arming a timer reads the clock before its timer does.
        // Neither may let AdvanceAsync pass a handler's deadline before its continuation has run.
        using var stop = new CancellationTokenSource();
        var readers = Enumerable.Range(0, 2).Select(_ => Task.Run(() => ReadClock(stop.Token), Ct)).ToArray();
        try
        {
            for (var round = 0; round < 300; round++)
            {
                var clock = new FakeTimeProvider(Start);
                _readClock = clock;
                await using var engine = new InMemoryJetStream(clock);
                await engine.CreateStreamAsync(new StreamConfig("S", ["s.>"]) { Storage = StreamConfigStorage.Memory }, Ct);
                var consumer = await engine.CreateOrUpdateConsumerAsync("S", new ConsumerConfig("c"), Ct);
                var ends = new ConcurrentQueue<TimeSpan>();
                using var cts = new CancellationTokenSource();
                await using var subscriber = new InMemorySubscriber<string>(consumer, new Utf8Codec(), new SubscriberOptions { EnableTelemetry = false });
                var run = subscriber.SubscribeAsync("s.>", async (_, ct) =>
                {
                    await Task.Delay(TimeSpan.FromSeconds(2), engine.TimeProvider, ct);
                    ends.Enqueue(engine.TimeProvider.GetUtcNow() - Start);
                    await Task.Delay(TimeSpan.FromSeconds(3), engine.TimeProvider, ct);
                    ends.Enqueue(engine.TimeProvider.GetUtcNow() - Start);
                }, cts.Token);
                await engine.PublishAsync("s.a", Payload, cancellationToken: Ct);

                await engine.AdvanceAsync(TimeSpan.FromSeconds(10), Ct);

                ends.Should().Equal([TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(5)], $"each delay ends at its own due (round {round})");
                clock.GetUtcNow().Should().Be(Start + TimeSpan.FromSeconds(10));
                await cts.CancelAsync();
                await run;
            }
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(readers);
        }
    }

    [Fact]
    public async Task RedeliveryFallsDue_EventNamesItsCause_AckWaitNakDelayBackOff()
    {
        await _engine.CreateStreamAsync(new StreamConfig("S", ["s.>"]) { Storage = StreamConfigStorage.Memory }, Ct);
        var plain = await _engine.CreateOrUpdateConsumerAsync("S", new ConsumerConfig("plain") { AckWait = TimeSpan.FromSeconds(10) }, Ct);
        var backoff = await _engine.CreateOrUpdateConsumerAsync("S", new ConsumerConfig("backoff") { Backoff = [TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(6)], MaxDeliver = 5 }, Ct);
        await _engine.PublishAsync("s.a", Payload, cancellationToken: Ct);
        await _engine.PublishAsync("s.b", Payload, cancellationToken: Ct);
        var p = await plain.FetchAsync(2, cancellationToken: Ct);
        (await backoff.FetchAsync(2, cancellationToken: Ct)).Should().HaveCount(2);
        await p[1].NakAsync(TimeSpan.FromSeconds(4), Ct);

        await _engine.AdvanceAsync(TimeSpan.FromSeconds(10), Ct);

        _engine.Events.Where(e => e.Kind is InMemoryEventKind.AckWaitExpired or InMemoryEventKind.NakDelayExpired or InMemoryEventKind.BackOffExpired)
            .Select(e => (e.Consumer, e.StreamSequence, e.Kind, e.Time - Start))
            .Should().BeEquivalentTo(new[]
            {
                // A delivery arms the check 1 ms after its deadline (the server's ackWaitDelay); a check re-armed by
                // an earlier check (here after the nak's 10 ms recheck) runs at the deadline itself (S-92).
                ("backoff", 1UL, InMemoryEventKind.BackOffExpired, TimeSpan.FromMilliseconds(3001)),
                ("backoff", 2UL, InMemoryEventKind.BackOffExpired, TimeSpan.FromMilliseconds(3001)),
                ("plain", 2UL, InMemoryEventKind.NakDelayExpired, TimeSpan.FromSeconds(4)),
                ("plain", 1UL, InMemoryEventKind.AckWaitExpired, TimeSpan.FromSeconds(10)),
            });
    }

    private void ReadClock(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            _ = Volatile.Read(ref _readClock)?.GetUtcNow();
        }
    }

    private async Task<InMemoryConsumer> SetUpAsync(Action<ConsumerConfig>? configure = null)
    {
        await _engine.CreateStreamAsync(new StreamConfig("S", ["s.>"]) { Storage = StreamConfigStorage.Memory }, Ct);
        var config = new ConsumerConfig("c");
        configure?.Invoke(config);
        return await _engine.CreateOrUpdateConsumerAsync("S", config, Ct);
    }
}
