using FluentAssertions;
using FluentAssertions.Extensions;
using Goflux;
using Goflux.Testing;
using Goflux.Testing.Xunit;
using NATS.Client.JetStream.Models;
using Xunit;

namespace OrderService.Tests;

/// <summary>Recipe 3: one test body, run on the in-memory engine and on a real nats-server.</summary>
public sealed class BothBackendsTests
{
    // begin-snippet: both-backends
    [Theory, Backends]
    public async Task OrderPlaced_GatewayTimesOutOnce_NakedFor30sThenRedeliveredAndAcked(TestBackendKind kind)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync(kind, cancellationToken: ct);
        var orders = await backend.CreateStreamAsync(new StreamConfig("ORDERS", ["orders.>"]), ct);
        var billing = await backend.CreateConsumerAsync(orders, new ConsumerConfig("billing") { AckPolicy = ConsumerConfigAckPolicy.Explicit }, ct);
        var handler = new OrderPlacedHandler(new FlakyPaymentGateway(failures: 1));
        await backend.SubscribeAsync<OrderPlaced>(billing, handler.HandleAsync, Middleware.RetryAck<OrderPlaced>(OrderPlacedHandler.Retry), cancellationToken: ct);

        await using var publisher = backend.CreatePublisher<OrderPlaced>();
        await publisher.PublishAsync(backend.Subject("orders.placed"), new OrderPlaced("o-1", 42m), new PublishOptions { MessageId = "o-1" }, ct);
        var history = await backend.WaitForOutcomeAsync("o-1", AckOutcome.Acked, ct);

        history.Should().HaveThrown<TimeoutException>().BeNakedWithDelay(30.Seconds()).Then.BeAcked().AndNoMore();
        history.Should().HaveBeenRedelivered(1);
        history[1].Elapsed.Should().BeGreaterThanOrEqualTo(30.Seconds());
        (await backend.GetCountersAsync(billing, c => c.AckPending == 0, ct)).Should().Be(new ConsumerCounters(Delivered: 2, AckFloor: 2, AckPending: 0, Pending: 0, Redelivered: 0));
        backend.Telemetry.AckOutcomes(AckOutcome.NakedWithDelay).Should().Be(1);
        backend.Telemetry.AckOutcomes(AckOutcome.Acked).Should().Be(1);
        var producer = backend.Telemetry.ProducerSpans("o-1").Should().ContainSingle().Subject;
        backend.Telemetry.ConsumerSpans("o-1").Should().HaveCount(2).And.AllSatisfy(span => span.Should().BeLinkedTo(producer).And.BeRoot());
        TestContext.Current.TestOutputHelper?.WriteLine(history.ToString());
    }
    // end-snippet
}
