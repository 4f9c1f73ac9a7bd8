using System.Collections.Concurrent;
using System.Text;
using FluentAssertions;
using Goflux.Codecs;
using Goflux.InMemory;
using Microsoft.Extensions.Time.Testing;
using NATS.Client.JetStream.Models;
using Xunit;

namespace Goflux.Contract.Tests;

/// <summary>
/// What only the in-memory engine offers a test: the event log, virtual time (AdvanceAsync, WaitForIdleAsync) and fault
/// injection. The JetStream semantics themselves are pinned by the contract suite against a real server.
/// </summary>
public sealed class InMemoryEngineTests : IAsyncDisposable
{
    private static readonly JsonCodec<Event> Codec = new(ContractJson.Default.Event);
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly InMemoryJetStream _engine;

    public InMemoryEngineTests() => _engine = new InMemoryJetStream(_clock);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask DisposeAsync() => _engine.DisposeAsync();

    [Fact]
    public async Task AdvanceAsync_ThirtySecondAckWait_RedeliversInVirtualTimeAndLogsEveryStep()
    {
        var consumer = await SetUpAsync(c => c.AckWait = TimeSpan.FromSeconds(30));
        await PublishAsync("orders.a", new Event("1", "created"));
        var deliveries = new ConcurrentQueue<ulong>();
        using var cts = new CancellationTokenSource();
        await using var subscriber = new InMemorySubscriber<Event>(consumer, Codec, new SubscriberOptions { ManualAck = true });
        var run = subscriber.SubscribeAsync("orders.>", async (m, ct) =>
        {
            deliveries.Enqueue(m.Delivery!.Value.NumDelivered);
            if (m.Delivery!.Value.NumDelivered == 2)
            {
                await m.AckAsync(ct);
            }
        }, cts.Token);

        await _engine.WaitForIdleAsync(Ct);
        deliveries.Should().Equal(1UL);
        await _engine.AdvanceAsync(TimeSpan.FromSeconds(29.9), Ct);
        deliveries.Should().Equal([1UL], "the ack wait has not run out yet");
        await _engine.AdvanceAsync(TimeSpan.FromSeconds(0.2), Ct);
        deliveries.Should().Equal(1UL, 2UL);

        _engine.Events.Select(e => e.Kind).Should().Equal(
            InMemoryEventKind.Published,
            InMemoryEventKind.Delivered,
            InMemoryEventKind.AckWaitExpired,
            InMemoryEventKind.Delivered,
            InMemoryEventKind.Acked);
        // The server's pending check runs 1 ms after the ack wait (its ackWaitDelay, S-92).
        _engine.Events[2].Time.Should().Be(new DateTimeOffset(2026, 1, 1, 0, 0, 30, 1, TimeSpan.Zero));
        await cts.CancelAsync();
        await run;
    }

    [Fact]
    public async Task Events_NakWithDelayAndTerm_RecordOutcomesWithDelayAndReason()
    {
        var consumer = await SetUpAsync();
        await PublishAsync("orders.a", new Event("1", "x"));
        await PublishAsync("orders.b", new Event("2", "y"));
        var batch = await consumer.FetchAsync(2, cancellationToken: Ct);
        await batch[0].NakAsync(TimeSpan.FromSeconds(5), Ct);
        await batch[1].TermAsync("poison", Ct);

        var nak = _engine.Events.Single(e => e.Kind == InMemoryEventKind.NakedWithDelay);
        nak.StreamSequence.Should().Be(1);
        nak.Delay.Should().Be(TimeSpan.FromSeconds(5));
        var term = _engine.Events.Single(e => e.Kind == InMemoryEventKind.Terminated);
        term.StreamSequence.Should().Be(2);
        term.Reason.Should().Be("poison");
        _engine.Advisories.Should().Contain(a => a.Type == JetStreamAdvisory.TerminatedType && a.Reason == "poison");
    }

    [Fact]
    public async Task FailNextPublish_FailsExactlyOnePublishWithTheGivenError_StoresNothing()
    {
        await SetUpAsync();
        var error = new GofluxException(GofluxStage.Transport, "link down");
        _engine.FailNextPublish(error);
        await using var publisher = new InMemoryPublisher<Event>(_engine, Codec);

        var first = () => publisher.PublishAsync("orders.a", new Event("1", "x"), cancellationToken: Ct).AsTask();
        (await first.Should().ThrowAsync<GofluxException>()).Which.Should().BeSameAs(error);
        var second = await publisher.PublishAsync("orders.a", new Event("2", "y"), cancellationToken: Ct);

        second.Sequence.Should().Be(1, "the failed publish consumed no sequence");
        (await _engine.GetStreamInfoAsync("ORDERS", Ct)).State.Messages.Should().Be(1);
    }

    [Fact]
    public async Task RejectPublishes_FailsEveryPublishAsTransportUntilCleared()
    {
        await SetUpAsync();
        _engine.RejectPublishes = true;
        var act = () => PublishAsync("orders.a", new Event("1", "x"));
        (await act.Should().ThrowAsync<GofluxException>()).Which.Stage.Should().Be(GofluxStage.Transport);
        (await act.Should().ThrowAsync<GofluxException>()).Which.Stage.Should().Be(GofluxStage.Transport);

        _engine.RejectPublishes = false;
        (await PublishAsync("orders.a", new Event("1", "x"))).Sequence.Should().Be(1);
    }

    [Fact]
    public async Task RetryingPublisher_OverRejectedPublishes_SucceedsOnceTheServerIsBack()
    {
        await SetUpAsync();
        _engine.FailNextPublish(new GofluxException(GofluxStage.Transport, "down"));
        _engine.FailNextPublish(new GofluxException(GofluxStage.Transport, "down"));
        await using var publisher = new RetryingPublisher<Event>(new InMemoryPublisher<Event>(_engine, Codec), 5, _ => TimeSpan.FromSeconds(1), _clock);

        var publish = publisher.PublishAsync("orders.a", new Event("1", "x"), cancellationToken: Ct).AsTask();
        while (!publish.IsCompleted)
        {
            await Task.Yield();
            _clock.Advance(TimeSpan.FromSeconds(1));
        }

        (await publish).Sequence.Should().Be(1);
    }

    [Fact]
    public async Task DropNextAck_LosesTheAck_MessageIsRedeliveredAfterAckWait()
    {
        var consumer = await SetUpAsync(c => c.AckWait = TimeSpan.FromSeconds(10));
        await PublishAsync("orders.a", new Event("1", "x"));
        var first = (await consumer.FetchAsync(1, cancellationToken: Ct)).Single();
        _engine.DropNextAck();
        await first.AckAsync(Ct);

        (await consumer.GetInfoAsync(Ct)).NumAckPending.Should().Be(1, "the ack was lost on the way");
        await _engine.AdvanceAsync(TimeSpan.FromSeconds(11), Ct); // past the ack wait and the server's 1 ms check delay
        var again = (await consumer.FetchAsync(1, cancellationToken: Ct)).Single();
        again.Metadata.NumDelivered.Should().Be(2);
        await again.AckAsync(Ct);
        (await consumer.GetInfoAsync(Ct)).NumAckPending.Should().Be(0);
    }

    [Fact]
    public async Task DuplicateNextDelivery_HandlerSeesTheMessageTwice_SecondSettleIsANoOp()
    {
        var consumer = await SetUpAsync();
        await PublishAsync("orders.a", new Event("1", "x"));
        _engine.DuplicateNextDelivery();
        var seen = new ConcurrentQueue<(ulong Seq, ulong Delivered)>();
        using var cts = new CancellationTokenSource();
        await using var subscriber = new InMemorySubscriber<Event>(consumer, Codec);
        var run = subscriber.SubscribeAsync("orders.>", (m, _) =>
        {
            seen.Enqueue((m.Delivery!.Value.StreamSequence, m.Delivery!.Value.NumDelivered));
            return ValueTask.CompletedTask;
        }, cts.Token);

        await _engine.WaitForIdleAsync(Ct);
        seen.Should().Equal((1UL, 1UL), (1UL, 1UL));
        _engine.Events.Count(e => e.Kind == InMemoryEventKind.Acked).Should().Be(1, "the second ack finds nothing pending (S-84)");
        (await consumer.GetInfoAsync(Ct)).NumAckPending.Should().Be(0);
        await cts.CancelAsync();
        await run;
    }

    [Fact]
    public async Task AdvanceAsync_HundredThousandDelayedNaks_AllRedeliveredInOrderOfTheirDelay()
    {
        const int count = 100_000;
        await using var engine = new InMemoryJetStream(new InMemoryJetStreamOptions { TimeProvider = _clock, RecordEvents = false });
        await engine.CreateStreamAsync(new StreamConfig("BULK", ["bulk.>"]) { Storage = StreamConfigStorage.Memory }, Ct);
        var consumer = await engine.CreateOrUpdateConsumerAsync("BULK", new ConsumerConfig("c") { AckWait = TimeSpan.FromMinutes(30), MaxAckPending = -1 }, Ct);
        var payload = Encoding.UTF8.GetBytes("x");
        for (var i = 0; i < count; i++)
        {
            await engine.PublishAsync("bulk.a", payload, cancellationToken: Ct);
        }

        var first = await consumer.FetchAsync(count, cancellationToken: Ct);
        first.Should().HaveCount(count);
        for (var i = 0; i < count; i++)
        {
            // Delays spread over 10 minutes, in reverse order of sequence.
            await first[i].NakAsync(TimeSpan.FromMilliseconds(600_000.0 * (count - i) / count), Ct);
        }

        await engine.AdvanceAsync(TimeSpan.FromMinutes(10), Ct);
        var again = await consumer.FetchAsync(count, cancellationToken: Ct);

        again.Should().HaveCount(count);
        again.Select(d => d.Metadata.StreamSequence).Should().BeInDescendingOrder("the shortest delay was the last sequence's");
        again.Should().OnlyContain(d => d.Metadata.NumDelivered == 2);
    }

    private async Task<InMemoryConsumer> SetUpAsync(Action<ConsumerConfig>? configure = null)
    {
        await _engine.CreateStreamAsync(new StreamConfig("ORDERS", ["orders.>"]) { Storage = StreamConfigStorage.Memory }, Ct);
        var config = new ConsumerConfig("c");
        configure?.Invoke(config);
        return await _engine.CreateOrUpdateConsumerAsync("ORDERS", config, Ct);
    }

    private async Task<PublishResult> PublishAsync(string subject, Event value)
    {
        await using var publisher = new InMemoryPublisher<Event>(_engine, Codec);
        return await publisher.PublishAsync(subject, value, cancellationToken: Ct);
    }
}
