using System.Diagnostics;
using FluentAssertions;
using Goflux.JetStream;
using Goflux.Testing;
using Goflux.Transport;
using NATS.Client.Core;
using Xunit;

namespace Goflux.Integration.Tests.JetStream;

public sealed class JetStreamAckTests(NatsServerFixture server)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private static readonly SubscriberOptions Manual = new() { ManualAck = true };

    [Fact]
    public async Task NakAsync_WithDelay_RedeliversAfterTheDelayNotBefore()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var scope = await JetStreamScope.CreateAsync(server, ct);
        var consumer = await scope.ConsumerAsync(cancellationToken: ct);
        await using var publisher = new JetStreamPublisher<Event>(scope.Js, EventJsonContext.Codec);
        await using var subscriber = new JetStreamSubscriber<Event>(consumer, EventJsonContext.Codec, Manual);
        await publisher.PublishAsync(scope.Subject(), new Event("1", "later"), cancellationToken: ct);
        await using var subscription = Subscription<Event>.Start(subscriber, scope.Subject(), ct);
        var first = await subscription.NextAsync(Wait);

        var clock = Stopwatch.StartNew();
        (await first.NakAsync(TimeSpan.FromSeconds(1), ct)).Should().BeTrue();
        var early = await subscription.TryNextAsync(TimeSpan.FromMilliseconds(500));
        var second = await subscription.NextAsync(Wait);
        await second.AckAsync(ct);

        first.Outcome.Should().Be(AckOutcome.NakedWithDelay);
        first.NakDelay.Should().Be(TimeSpan.FromSeconds(1));
        early.Should().BeNull("the message must not come back before its 1 s delay");
        clock.Elapsed.Should().BeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(900));
        second.Delivery!.Value.NumDelivered.Should().Be(2);
        second.Payload.Should().Be(new Event("1", "later"));
    }

    [Fact]
    public async Task TermAsync_WithReason_StopsRedeliveryAndPublishesAdvisoryWithReason()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var scope = await JetStreamScope.CreateAsync(server, ct);
        var consumer = await scope.ConsumerAsync(ackWait: TimeSpan.FromMilliseconds(300), cancellationToken: ct);
        await using var advisories = await Advisories.TerminatedAsync(scope.Connection, scope.Stream, "c", ct);
        await using var publisher = new JetStreamPublisher<Event>(scope.Js, EventJsonContext.Codec);
        await using var subscriber = new JetStreamSubscriber<Event>(consumer, EventJsonContext.Codec, Manual);
        await publisher.PublishAsync(scope.Subject(), new Event("1", "poison"), cancellationToken: ct);
        await using var subscription = Subscription<Event>.Start(subscriber, scope.Subject(), ct);
        var message = await subscription.NextAsync(Wait);

        (await message.TermAsync("invalid order", ct)).Should().BeTrue();
        var advisory = await advisories.NextAsync(Wait, ct);
        var redelivered = await subscription.TryNextAsync(TimeSpan.FromSeconds(1));

        // Servers before 2.10.4 do not read a reason after +TERM (they would redeliver), so none is sent to them.
        var readsReason = NatsServerVersion.Parse(server.ServerVersion) >= new Version(2, 10, 4);
        message.Capabilities.HasFlag(AckCapabilities.TermReason).Should().Be(readsReason, "the server is {0}", server.ServerVersion);
        message.Outcome.Should().Be(AckOutcome.Terminated);
        advisory.Should().NotBeNull("the server publishes a MSG_TERMINATED advisory");
        advisory!.Value.GetProperty("stream_seq").GetUInt64().Should().Be(1);
        if (readsReason)
        {
            advisory!.Value.GetProperty("reason").GetString().Should().Be("invalid order");
        }

        redelivered.Should().BeNull("a terminated message is never redelivered, even after its ack wait of 300 ms");
        (await scope.ConsumerInfoAsync("c", ct)).NumAckPending.Should().Be(0);
    }

    [Fact]
    public async Task SubscribeAsync_UndecodablePayload_TermsWithoutCallingHandler()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var scope = await JetStreamScope.CreateAsync(server, ct);
        var consumer = await scope.ConsumerAsync(ackWait: TimeSpan.FromMilliseconds(300), cancellationToken: ct);
        await using var advisories = await Advisories.TerminatedAsync(scope.Connection, scope.Stream, "c", ct);
        await using var publisher = new JetStreamPublisher<Event>(scope.Js, EventJsonContext.Codec);
        await using var subscriber = new JetStreamSubscriber<Event>(consumer, EventJsonContext.Codec);
        await scope.Js.PublishAsync<byte[]>(scope.Subject(), "not json"u8.ToArray(), cancellationToken: ct);
        await publisher.PublishAsync(scope.Subject(), new Event("2", "valid"), cancellationToken: ct);

        await using var subscription = Subscription<Event>.Start(subscriber, scope.Subject(), ct);
        var handled = await subscription.NextAsync(Wait);
        var advisory = await advisories.NextAsync(Wait, ct);
        var more = await subscription.TryNextAsync(TimeSpan.FromSeconds(1));

        handled.Payload.Should().Be(new Event("2", "valid"), "the handler only sees the decodable message");
        handled.Delivery!.Value.StreamSequence.Should().Be(2);
        advisory.Should().NotBeNull();
        advisory!.Value.GetProperty("stream_seq").GetUInt64().Should().Be(1);
        if (NatsServerVersion.Parse(server.ServerVersion) >= new Version(2, 10, 4))
        {
            advisory!.Value.GetProperty("reason").GetString().Should().StartWith("decode failed: ");
        }

        more.Should().BeNull("the undecodable message was terminated, not redelivered");
    }

    [Fact]
    public async Task InProgressAsync_DuringLongHandler_KeepsMessageFromRedelivery()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var scope = await JetStreamScope.CreateAsync(server, ct);
        var consumer = await scope.ConsumerAsync(ackWait: TimeSpan.FromMilliseconds(500), cancellationToken: ct);
        await using var publisher = new JetStreamPublisher<Event>(scope.Js, EventJsonContext.Codec);
        await using var subscriber = new JetStreamSubscriber<Event>(consumer, EventJsonContext.Codec, Manual);
        await publisher.PublishAsync(scope.Subject(), new Event("1", "slow"), cancellationToken: ct);
        await using var subscription = Subscription<Event>.Start(subscriber, scope.Subject(), ct);
        var message = await subscription.NextAsync(Wait);

        var signals = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(1.5))
        {
            (await message.InProgressAsync(ct)).Should().BeTrue();
            signals++;
            (await subscription.TryNextAsync(TimeSpan.FromMilliseconds(200))).Should().BeNull("in-progress resets the 500 ms ack wait");
        }

        await message.AckAsync(ct);

        signals.Should().BeGreaterThan(3);
        var info = await scope.ConsumerInfoAsync("c", ct);
        info.NumRedelivered.Should().Be(0);
        (await message.InProgressAsync(ct)).Should().BeFalse("a settled message sends no more signals");
    }
}
