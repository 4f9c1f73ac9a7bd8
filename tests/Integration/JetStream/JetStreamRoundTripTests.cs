using FluentAssertions;
using Goflux.JetStream;
using Goflux.Testing;
using NATS.Client.Core;
using NATS.Client.JetStream;
using Xunit;

namespace Goflux.Integration.Tests.JetStream;

public sealed class JetStreamRoundTripTests(NatsServerFixture server)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task PublishAsync_EventThenSubscribe_DeliversEventWithDeliveryInfo()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var scope = await JetStreamScope.CreateAsync(server, ct);
        var consumer = await scope.ConsumerAsync(cancellationToken: ct);
        await using var publisher = new JetStreamPublisher<Event>(scope.Js, EventJsonContext.Codec);
        await using var subscriber = new JetStreamSubscriber<Event>(consumer, EventJsonContext.Codec);

        var result = await publisher.PublishAsync(scope.Subject(), new Event("1", "created"), cancellationToken: ct);
        await using var subscription = Subscription<Event>.Start(subscriber, scope.Subject(), ct);
        var message = await subscription.NextAsync(Wait);

        result.Should().Be(new PublishResult(scope.Stream, 1, false));
        message.Payload.Should().Be(new Event("1", "created"));
        message.Subject.Should().Be(scope.Subject());
        message.Delivery.Should().NotBeNull();
        var delivery = message.Delivery!.Value;
        delivery.Stream.Should().Be(scope.Stream);
        delivery.Consumer.Should().Be("c");
        delivery.StreamSequence.Should().Be(1);
        delivery.ConsumerSequence.Should().Be(1);
        delivery.NumDelivered.Should().Be(1);
        delivery.NumPending.Should().Be(0);
        delivery.Timestamp.Should().BeCloseTo(DateTimeOffset.UtcNow, TimeSpan.FromMinutes(1));
    }

    [Fact]
    public async Task SubscribeAsync_HandlerReturns_AcksMessage()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var scope = await JetStreamScope.CreateAsync(server, ct);
        var consumer = await scope.ConsumerAsync(cancellationToken: ct);
        await using var publisher = new JetStreamPublisher<Event>(scope.Js, EventJsonContext.Codec);
        await using var subscriber = new JetStreamSubscriber<Event>(consumer, EventJsonContext.Codec);
        await publisher.PublishAsync(scope.Subject(), new Event("1", "a"), cancellationToken: ct);
        await publisher.PublishAsync(scope.Subject(), new Event("2", "b"), cancellationToken: ct);

        await using var subscription = Subscription<Event>.Start(subscriber, scope.Subject(), ct);
        await subscription.NextAsync(Wait);
        await subscription.NextAsync(Wait);

        var acked = await Eventually.TrueAsync(
            async () =>
            {
                var info = await scope.ConsumerInfoAsync("c", ct);
                return info.NumAckPending == 0 && info.AckFloor?.StreamSeq == 2;
            },
            Wait,
            ct);
        acked.Should().BeTrue("both messages are acked: nothing pending and the ack floor at stream sequence 2");
        var final = await scope.ConsumerInfoAsync("c", ct);
        final.NumRedelivered.Should().Be(0);
    }

    [Fact]
    public async Task SubscribeAsync_HandlerThrows_NaksAndRedeliversWithNumDelivered2()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var scope = await JetStreamScope.CreateAsync(server, ct);
        var consumer = await scope.ConsumerAsync(cancellationToken: ct);
        await using var publisher = new JetStreamPublisher<Event>(scope.Js, EventJsonContext.Codec);
        await using var subscriber = new JetStreamSubscriber<Event>(consumer, EventJsonContext.Codec);
        await publisher.PublishAsync(scope.Subject(), new Event("1", "fails once"), cancellationToken: ct);

        var calls = 0;
        await using var subscription = Subscription<Event>.Start(
            subscriber,
            scope.Subject(),
            ct,
            (_, _) => Interlocked.Increment(ref calls) == 1 ? throw new InvalidOperationException("boom") : ValueTask.CompletedTask);
        var first = await subscription.NextAsync(Wait);
        var second = await subscription.NextAsync(Wait);

        first.Outcome.Should().Be(AckOutcome.Naked);
        first.Delivery!.Value.NumDelivered.Should().Be(1);
        second.Delivery!.Value.NumDelivered.Should().Be(2);
        second.Delivery!.Value.Redelivered.Should().BeTrue();
        second.Delivery!.Value.StreamSequence.Should().Be(1);
        second.Outcome.Should().Be(AckOutcome.Acked);
    }

    [Fact]
    public async Task PublishAsync_HeadersAndMessageId_ArriveStrippedWithSpellingAndValuesKept()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var scope = await JetStreamScope.CreateAsync(server, ct);
        var consumer = await scope.ConsumerAsync(cancellationToken: ct);
        await using var publisher = new JetStreamPublisher<Event>(scope.Js, EventJsonContext.Codec);
        await using var subscriber = new JetStreamSubscriber<Event>(consumer, EventJsonContext.Codec);
        await using var wire = await scope.Connection.SubscribeCoreAsync<byte[]>(scope.Subject(), cancellationToken: ct);
        var headers = new MessageHeaders()
            .Add("Tenant-ID", "acme")
            .Add("trace-Flag", "one")
            .Add("trace-Flag", "two");

        await publisher.PublishAsync(scope.Subject(), new Event("1", "h"), new PublishOptions { MessageId = "msg-1", Headers = headers }, ct);
        await using var subscription = Subscription<Event>.Start(subscriber, scope.Subject(), ct);
        var message = await subscription.NextAsync(Wait);
        var raw = await ReadWithin(wire, ct);

        message.MessageId.Should().Be("msg-1");
        message.Headers.Names.Should().Equal("Tenant-ID", "trace-Flag");
        message.Headers["Tenant-ID"].Should().Be("acme");
        message.Headers.TryGetValues("trace-Flag", out var values).Should().BeTrue();
        values.Should().Equal("one", "two");
        message.Headers.Contains("tenant-id").Should().BeFalse("lookups are exact: a name keeps its spelling");
        raw.Headers.Should().NotBeNull();
        raw.Headers!.Keys.Should().Contain(["X-Goflux-Tenant-ID", "X-Goflux-trace-Flag", "X-Message-ID"]);
        raw.Headers!.Keys.Should().NotContain("Nats-Msg-Id", "deduplication is opt-in");
        raw.Headers!["X-Goflux-trace-Flag"].ToArray().Should().Equal("one", "two");
    }

    [Fact]
    public async Task PublishAsync_SameMessageIdWithDeduplication_ReportsDuplicate()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var scope = await JetStreamScope.CreateAsync(server, ct);
        await using var publisher = new JetStreamPublisher<Event>(scope.Js, EventJsonContext.Codec, new PublisherOptions { DeduplicateByMessageId = true });
        var options = new PublishOptions { MessageId = "order-42" };

        var first = await publisher.PublishAsync(scope.Subject(), new Event("42", "first"), options, ct);
        var second = await publisher.PublishAsync(scope.Subject(), new Event("42", "retry"), options, ct);

        first.Should().Be(new PublishResult(scope.Stream, 1, false));
        second.Should().Be(new PublishResult(scope.Stream, 1, true));
        (await scope.MessageCountAsync(ct)).Should().Be(1);
    }

    [Fact]
    public async Task PublishAsync_SameMessageIdWithoutDeduplication_StoresBoth()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var scope = await JetStreamScope.CreateAsync(server, ct);
        await using var publisher = new JetStreamPublisher<Event>(scope.Js, EventJsonContext.Codec);
        var options = new PublishOptions { MessageId = "order-42" };

        var first = await publisher.PublishAsync(scope.Subject(), new Event("42", "first"), options, ct);
        var second = await publisher.PublishAsync(scope.Subject(), new Event("42", "again"), options, ct);

        first.Duplicate.Should().BeFalse();
        second.Should().Be(new PublishResult(scope.Stream, 2, false));
        (await scope.MessageCountAsync(ct)).Should().Be(2);
    }

    [Fact]
    public async Task SubscribeAsync_Cancelled_CompletesNormally()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var scope = await JetStreamScope.CreateAsync(server, ct);
        var consumer = await scope.ConsumerAsync(cancellationToken: ct);
        await using var publisher = new JetStreamPublisher<Event>(scope.Js, EventJsonContext.Codec);
        await using var subscriber = new JetStreamSubscriber<Event>(consumer, EventJsonContext.Codec);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var delivered = new TaskCompletionSource();

        var task = subscriber.SubscribeAsync(scope.Subject(), (_, _) => { delivered.TrySetResult(); return ValueTask.CompletedTask; }, stop.Token);
        await publisher.PublishAsync(scope.Subject(), new Event("1", "x"), cancellationToken: ct);
        await delivered.Task.WaitAsync(Wait, ct);
        await stop.CancelAsync();

        await task.WaitAsync(Wait, ct);
        task.IsCompletedSuccessfully.Should().BeTrue();
    }

    [Fact]
    public async Task DisposeAsync_Subscriber_StopsSubscriptionAndLeavesConnectionOpen()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var scope = await JetStreamScope.CreateAsync(server, ct);
        var consumer = await scope.ConsumerAsync(cancellationToken: ct);
        await using var publisher = new JetStreamPublisher<Event>(scope.Js, EventJsonContext.Codec);
        var subscriber = new JetStreamSubscriber<Event>(consumer, EventJsonContext.Codec);
        var delivered = new TaskCompletionSource();
        var task = subscriber.SubscribeAsync(scope.Subject(), (_, _) => { delivered.TrySetResult(); return ValueTask.CompletedTask; }, ct);
        await publisher.PublishAsync(scope.Subject(), new Event("1", "x"), cancellationToken: ct);
        await delivered.Task.WaitAsync(Wait, ct);

        await subscriber.DisposeAsync();

        await task.WaitAsync(Wait, ct);
        task.IsCompletedSuccessfully.Should().BeTrue();
        scope.Connection.ConnectionState.Should().Be(NatsConnectionState.Open);
        await scope.Connection.PingAsync(ct);
        var act = () => subscriber.SubscribeAsync(scope.Subject(), (_, _) => ValueTask.CompletedTask, ct);
        await act.Should().ThrowAsync<ObjectDisposedException>();
        (await scope.ConsumerInfoAsync("c", ct)).Name.Should().Be("c", "the caller owns the consumer");
    }

    [Fact]
    public async Task DisposeAsync_Publisher_LeavesConnectionOpen()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var scope = await JetStreamScope.CreateAsync(server, ct);
        var publisher = new JetStreamPublisher<Event>(scope.Js, EventJsonContext.Codec);
        await publisher.PublishAsync(scope.Subject(), new Event("1", "x"), cancellationToken: ct);

        await publisher.DisposeAsync();

        scope.Connection.ConnectionState.Should().Be(NatsConnectionState.Open);
        await scope.Connection.PingAsync(ct);
        var act = async () => await publisher.PublishAsync(scope.Subject(), new Event("2", "y"), cancellationToken: ct);
        await act.Should().ThrowAsync<ObjectDisposedException>();
        await using var another = new JetStreamPublisher<Event>(scope.Js, EventJsonContext.Codec);
        (await another.PublishAsync(scope.Subject(), new Event("3", "z"), cancellationToken: ct)).Sequence.Should().Be(2);
    }

    private static async Task<NatsMsg<byte[]>> ReadWithin(INatsSub<byte[]> sub, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(Wait);
        return await sub.Msgs.ReadAsync(cts.Token);
    }
}
