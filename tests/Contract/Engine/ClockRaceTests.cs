using System.Collections.Concurrent;
using System.Text;
using FluentAssertions;
using Goflux.InMemory;
using Microsoft.Extensions.Time.Testing;
using NATS.Client.JetStream.Models;
using Xunit;

namespace Goflux.Contract.Tests.Engine;

/// <summary>
/// A clock moved from another thread while the engine publishes and delivers. A FakeTimeProvider fires an already-due
/// timer synchronously inside <c>ITimer.Change</c>; the engine must never change a timer under its lock, so such a
/// firing cannot re-enter half-changed state (S-91 ack wait, S-75 pull requests).
/// </summary>
public sealed class ClockRaceTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly byte[] Payload = Encoding.UTF8.GetBytes("x");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ClockAdvancedFromAnotherThread_DuringPublishIntoAWaitingFetch_2000Rounds_OneDeliveryNoError()
    {
        for (var round = 0; round < 2000; round++)
        {
            var clock = new FakeTimeProvider(Start);
            await using var engine = await EngineAsync(clock);
            var fetch = engine.FetchAsync("S", "c", 1, TimeSpan.FromDays(1), Ct).AsTask();
            using var go = new Barrier(2);
            var publish = Task.Run(
                () =>
                {
                    go.SignalAndWait(Ct);
                    for (var i = 0; i < 3; i++)
                    {
                        engine.PublishAsync("s.a", Payload, cancellationToken: Ct).AsTask().GetAwaiter().GetResult();
                    }
                },
                Ct);
            var advance = Task.Run(
                () =>
                {
                    go.SignalAndWait(Ct);
                    for (var i = 0; i < 3; i++)
                    {
                        clock.Advance(TimeSpan.FromSeconds(31));
                    }
                },
                Ct);

            await Task.WhenAll(publish, advance);
            var got = await fetch;

            got.Should().ContainSingle($"FetchAsync(1) takes one delivery (round {round})")
                .Which.Metadata.StreamSequence.Should().Be(1);
            (await engine.GetStreamInfoAsync("S", Ct)).State.LastSeq.Should().Be(3, "every publish was stored once");
        }
    }

    [Fact]
    public async Task ClockAdvancedFromAnotherThread_WhileASubscriberHandles_500Rounds_HandOffsInOrderWithoutDuplicates()
    {
        for (var round = 0; round < 500; round++)
        {
            var clock = new FakeTimeProvider(Start);
            await using var engine = await EngineAsync(clock);
            var consumer = await engine.GetConsumerAsync("S", "c", Ct);
            var seen = new ConcurrentQueue<DeliveryInfo>();
            using var cts = new CancellationTokenSource();
            await using var subscriber = new InMemorySubscriber<string>(consumer, new Utf8Codec(), new SubscriberOptions { ManualAck = true, EnableTelemetry = false });
            var run = subscriber.SubscribeAsync("s.>", (m, _) =>
            {
                seen.Enqueue(m.Delivery!.Value);
                return ValueTask.CompletedTask;
            }, cts.Token);
            await subscriber.Status.WaitForListeningAsync(Ct);

            using var go = new Barrier(2);
            var publish = Task.Run(
                () =>
                {
                    go.SignalAndWait(Ct);
                    for (var i = 0; i < 5; i++)
                    {
                        engine.PublishAsync("s.a", Payload, cancellationToken: Ct).AsTask().GetAwaiter().GetResult();
                    }
                },
                Ct);
            var advance = Task.Run(
                () =>
                {
                    go.SignalAndWait(Ct);
                    for (var i = 0; i < 3; i++)
                    {
                        clock.Advance(TimeSpan.FromSeconds(31));
                    }
                },
                Ct);
            await Task.WhenAll(publish, advance);
            await engine.WaitForIdleAsync(Ct);

            // Deliveries handed off and handled are counted from different threads; a lost update once left the count
            // at -1, so WaitForIdleAsync returned with a first delivery still on its way to the handler.
            engine.InFlight.Should().Be(0, $"every hand-off was handled and counted once (round {round})");
            var deliveries = seen.ToArray();
            deliveries.Select(d => d.ConsumerSequence).Should().BeInAscendingOrder($"hand-offs keep their order (round {round})")
                .And.OnlyHaveUniqueItems();
            deliveries.Select(d => (d.StreamSequence, d.NumDelivered)).Should().OnlyHaveUniqueItems();
            deliveries.Where(d => d.NumDelivered == 1).Select(d => d.StreamSequence).Should().Equal(1UL, 2UL, 3UL, 4UL, 5UL);
            await cts.CancelAsync();
            await run;
        }
    }

    private static async Task<InMemoryJetStream> EngineAsync(FakeTimeProvider clock)
    {
        var engine = new InMemoryJetStream(new InMemoryJetStreamOptions { TimeProvider = clock, RecordEvents = false });
        await engine.CreateStreamAsync(new StreamConfig("S", ["s.>"]) { Storage = StreamConfigStorage.Memory }, Ct);
        await engine.CreateOrUpdateConsumerAsync("S", new ConsumerConfig("c") { AckWait = TimeSpan.FromSeconds(30) }, Ct);
        return engine;
    }
}
