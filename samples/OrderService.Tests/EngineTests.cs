using FluentAssertions;
using FluentAssertions.Extensions;
using Goflux;
using Goflux.Testing;
using NATS.Client.JetStream.Models;
using Xunit;

namespace OrderService.Tests;

/// <summary>Recipe 2: a full test on the in-memory engine, moving virtual time by hand.</summary>
public sealed class EngineTests
{
    // begin-snippet: engine
    [Fact]
    public async Task OrderPlaced_GatewayTimesOut_RedeliveredAfter30VirtualSeconds()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync(TestBackendKind.InMemory, cancellationToken: ct);
        var orders = await backend.CreateStreamAsync(new StreamConfig("ORDERS", ["orders.>"]), ct);
        var billing = await backend.CreateConsumerAsync(orders, new ConsumerConfig("billing") { AckPolicy = ConsumerConfigAckPolicy.Explicit }, ct);
        var handler = new OrderPlacedHandler(new FlakyPaymentGateway(failures: 1));
        await backend.SubscribeAsync<OrderPlaced>(billing, handler.HandleAsync, Middleware.RetryAck<OrderPlaced>(OrderPlacedHandler.Retry), cancellationToken: ct);

        await using var publisher = backend.CreatePublisher<OrderPlaced>();
        await publisher.PublishAsync(backend.Subject("orders.placed"), new OrderPlaced("o-1", 42m), new PublishOptions { MessageId = "o-1" }, ct);
        await backend.WaitForOutcomeAsync("o-1", AckOutcome.NakedWithDelay, ct);

        await backend.LetTimePassAsync(29.Seconds(), ct);    // virtual: no wall time passes
        backend.Ledger.History("o-1").Should().HaveDeliveries(1, "the nak delay has not run out yet");
        await backend.LetTimePassAsync(1.Seconds(), ct);

        var history = backend.Ledger.History("o-1");
        history.Should().BeNakedWithDelay(30.Seconds()).Then.BeAcked().AndNoMore();
        history[1].Elapsed.Should().Be(30.Seconds());
        TestContext.Current.TestOutputHelper?.WriteLine(history.ToString());
    }
    // end-snippet
}
