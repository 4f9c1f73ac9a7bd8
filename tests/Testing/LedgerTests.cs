using FluentAssertions.Execution;
using Goflux.InMemory;
using NATS.Client.JetStream.Models;

namespace Goflux.Testing.Tests;

/// <summary>The ledger, the waits on it and the assertions, on the engine (deterministic, virtual time).</summary>
public sealed class LedgerTests
{
    private static readonly ConsumerConfig Explicit = new("worker") { AckPolicy = ConsumerConfigAckPolicy.Explicit, AckWait = TimeSpan.FromSeconds(30), MaxDeliver = 3 };

    [Fact]
    public async Task Ledger_HandlerThrowsThenSucceeds_RecordsEachDeliveryExceptionOutcomeAndVirtualTime()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync(TestBackendKind.InMemory, cancellationToken: ct);
        var (consumer, publisher) = await SetUpAsync(backend, ct);
        var calls = 0;
        await backend.SubscribeAsync<Event>(consumer, (m, _) => ++calls == 1 ? throw new InvalidOperationException("boom") : ValueTask.CompletedTask, cancellationToken: ct);

        await publisher.PublishAsync(backend.Subject("events.a"), new Event("1", "a"), new PublishOptions { MessageId = "m-1" }, ct);
        var history = await backend.WaitForOutcomeAsync("m-1", AckOutcome.Acked, ct);

        history.Should().HaveThrown<InvalidOperationException>().BeNaked().Then.BeAcked().AndNoMore();
        history[0].Exception!.Message.Should().Be("boom");
        history[1].NumDelivered.Should().Be(2);
        history[0].Stream.Should().Be(backend.StreamName("EVENTS"));
        history[0].Consumer.Should().Be("worker");
        history[0].ConsumerSpanId.Should().NotBeNull();
        history[0].ProducerSpanId.Should().Be(backend.Telemetry.ProducerSpans("m-1").Single().SpanId);
        history[0].ConsumerParentSpanId.Should().BeNull("goflux consumer spans are roots");
    }

    [Fact]
    public async Task WaitForOutcomeAsync_OnlyAckWaitCanRedeliver_MovesVirtualTimeToTheExactDeadline()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync(TestBackendKind.InMemory, cancellationToken: ct);
        var (consumer, publisher) = await SetUpAsync(backend, ct);
        var calls = 0;
        await backend.SubscribeAsync<Event>(
            consumer,
            async (m, c) =>
            {
                if (++calls == 2)
                {
                    await m.AckAsync(c);
                }
            },
            options: SubscriberOptions.Default with { ManualAck = true },
            cancellationToken: ct);

        await publisher.PublishAsync(backend.Subject("events.a"), new Event("1", "a"), new PublishOptions { MessageId = "m-1" }, ct);
        var history = await backend.WaitForOutcomeAsync("m-1", AckOutcome.Acked, ct);

        history.Should().HaveDeliveries(2);
        history[0].Outcome.Should().Be(AckOutcome.None, "the first delivery was left to its ack wait");
        history[1].Elapsed.Should().Be(30.Seconds() + 1.Milliseconds(), "the redelivery comes when the 30 s ack wait runs out, at the server's pending check 1 ms later (S-92)");
    }

    [Fact]
    public async Task WaitForAsync_ConditionNeverHolds_FailsAfterVirtualPatienceListingTheLedger()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync(TestBackendKind.InMemory, new TestBackendOptions { VirtualPatience = 5.Minutes(), VirtualStep = 1.Minutes() }, ct);
        var (consumer, publisher) = await SetUpAsync(backend, ct);
        await backend.SubscribeAsync<Event>(consumer, (_, _) => ValueTask.CompletedTask, cancellationToken: ct);
        await publisher.PublishAsync(backend.Subject("events.a"), new Event("1", "a"), new PublishOptions { MessageId = "m-1" }, ct);

        var wait = () => backend.WaitForOutcomeAsync("m-1", AckOutcome.Terminated, ct);

        (await wait.Should().ThrowAsync<TimeoutException>())
            .Which.Message.Should().Contain("virtual time").And.Contain("delivery #1 of m-1").And.Contain("-> Acked");
        backend.Elapsed.Should().Be(5.Minutes());
    }

    [Fact]
    public async Task MessageHistoryAssertions_WrongOutcome_FailureShowsTheWholeHistory()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync(TestBackendKind.InMemory, cancellationToken: ct);
        var (consumer, publisher) = await SetUpAsync(backend, ct);
        await backend.SubscribeAsync<Event>(consumer, async (m, c) => await m.NakAsync(TimeSpan.FromSeconds(5), c), options: SubscriberOptions.Default with { ManualAck = true }, cancellationToken: ct);
        await publisher.PublishAsync(backend.Subject("events.a"), new Event("1", "a"), new PublishOptions { MessageId = "m-1" }, ct);
        await backend.WaitForAsync(l => l.History("m-1").Count == 3, cancellationToken: ct);

        var assert = () => backend.Ledger.History("m-1").Should().BeNakedWithDelay(5.Seconds()).Then.BeAcked();

        assert.Should().Throw<Exception>()
            .Which.Message.Should().Contain("Expected delivery #2 of message to be acked")
            .And.Contain("message m-1: 3 deliveries")
            .And.Contain("t=+0.000s delivery #1").And.Contain("t=+5.000s delivery #2").And.Contain("t=+10.000s delivery #3")
            .And.Contain("NakedWithDelay(5 s)");
    }

    [Fact]
    public async Task Advisories_MaxDeliveriesOnTheEngine_AreListedForTheTest()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync(TestBackendKind.InMemory, cancellationToken: ct);
        var (consumer, publisher) = await SetUpAsync(backend, ct);
        await backend.SubscribeAsync<Event>(consumer, (_, _) => throw new TimeoutException(), cancellationToken: ct);

        await publisher.PublishAsync(backend.Subject("events.a"), new Event("1", "a"), new PublishOptions { MessageId = "m-1" }, ct);
        var advisories = await backend.WaitForAdvisoriesAsync(JetStreamAdvisory.MaxDeliverType, cancellationToken: ct);

        advisories.Should().ContainSingle().Which.Stream.Should().Be(consumer.Stream.Name);
        backend.Ledger.History("m-1").Should().HaveBeenRedelivered(2);
    }

    [Fact]
    public async Task Telemetry_TwoBackendsInParallel_EachSeesOnlyItsOwnSpansAndMetrics()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var a = await TestBackend.StartAsync(TestBackendKind.InMemory, cancellationToken: ct);
        await using var b = await TestBackend.StartAsync(TestBackendKind.InMemory, cancellationToken: ct);

        await Task.WhenAll(RunAsync(a, 2), RunAsync(b, 3));

        a.Telemetry.ProducerSpans().Should().HaveCount(2);
        b.Telemetry.ProducerSpans().Should().HaveCount(3);
        a.Telemetry.AckOutcomes(AckOutcome.Acked).Should().Be(2);
        b.Telemetry.AckOutcomes(AckOutcome.Acked).Should().Be(3);
        a.Telemetry.Sum(GofluxTelemetry.Metrics.SentMessages, (GofluxTelemetry.Attributes.Stream, a.StreamName("EVENTS"))).Should().Be(2);
        a.Telemetry.Counter(GofluxTelemetry.Metrics.AckOutcome).GetMeasurementSnapshot()
            .Should().OnlyContain(m => Equals(m.Tags[GofluxTelemetry.Attributes.ConsumerGroup], "worker") && Equals(m.Tags[GofluxTelemetry.Attributes.Stream], a.StreamName("EVENTS")));

        async Task RunAsync(TestBackend backend, int count)
        {
            var (consumer, publisher) = await SetUpAsync(backend, ct);
            await backend.SubscribeAsync<Event>(consumer, (_, _) => ValueTask.CompletedTask, cancellationToken: ct);
            for (var i = 0; i < count; i++)
            {
                await publisher.PublishAsync(backend.Subject("events.a"), new Event($"{i}", "a"), new PublishOptions { MessageId = $"m-{i}" }, ct);
            }

            await backend.WaitForAsync(l => l.Deliveries.Count(d => d.Outcome == AckOutcome.Acked) == count, cancellationToken: ct);
        }
    }

    [Fact]
    public async Task PushConsumer_DeliverSubjectUnderTheTestsPrefix_SubscriptionLandsInTheLedger()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync(TestBackendKind.InMemory, cancellationToken: ct);
        var stream = await backend.CreateStreamAsync(new StreamConfig("EVENTS", ["events.>"]), ct);
        var consumer = await backend.CreateConsumerAsync(stream, new ConsumerConfig("pusher") { AckPolicy = ConsumerConfigAckPolicy.Explicit, DeliverSubject = "deliver.pusher" }, ct);
        consumer.Info.Config.DeliverSubject.Should().Be(backend.Subject("deliver.pusher"), "a deliver subject of the test's own");
        var calls = 0;
        await backend.SubscribeAsync<Event>(consumer, (_, _) => ++calls == 1 ? throw new TimeoutException("slow") : ValueTask.CompletedTask, cancellationToken: ct);
        (await backend.GetConsumerInfoAsync(consumer, ct)).PushBound.Should().BeTrue("the subscription listens on the deliver subject");

        await using var publisher = backend.CreatePublisher<Event>();
        await publisher.PublishAsync(backend.Subject("events.a"), new Event("1", "a"), new PublishOptions { MessageId = "m-1" }, ct);
        await backend.WaitForAsync(l => l.History("m-1").Count == 2, cancellationToken: ct);

        backend.Ledger.History("m-1").Should().HaveThrown<TimeoutException>().BeNaked().Then.BeAcked().AndNoMore();
    }

    [Fact]
    public void TestMessage_Create_SettlesLocallyAndCarriesTheDeliveryCount()
    {
        var message = TestMessage.Create(new Event("1", "a"), subject: "events.a", messageId: "m-1", numDelivered: 3);

        message.Delivery!.Value.NumDelivered.Should().Be(3);
        message.MessageId.Should().Be("m-1");
        message.Capabilities.Should().Be(Goflux.Transport.AckCapabilities.None);
    }

    private static async Task<(TestConsumer Consumer, IPublisher<Event> Publisher)> SetUpAsync(TestBackend backend, CancellationToken ct)
    {
        var stream = await backend.CreateStreamAsync(new StreamConfig("EVENTS", ["events.>"]), ct);
        var consumer = await backend.CreateConsumerAsync(stream, Explicit, ct);
        return (consumer, backend.CreatePublisher<Event>());
    }
}
