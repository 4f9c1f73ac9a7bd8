using FluentAssertions;
using FluentAssertions.Extensions;
using Goflux;
using Goflux.Testing;
using Xunit;

namespace OrderService.Tests;

/// <summary>Recipe 1: the handler alone, on a message with no transport: no engine, no server.</summary>
public sealed class PureHandlerTests
{
    // begin-snippet: pure-handler
    [Fact]
    public async Task HandleAsync_GatewayTimesOut_NakedFor30Seconds()
    {
        var handler = new OrderPlacedHandler(new FlakyPaymentGateway(failures: 1)).WithRetry();
        var message = TestMessage.Create(new OrderPlaced("o-1", 42m), messageId: "o-1");

        await handler(message, TestContext.Current.CancellationToken);

        message.Outcome.Should().Be(AckOutcome.NakedWithDelay);
        message.NakDelay.Should().Be(30.Seconds());
    }
    // end-snippet

    [Fact]
    public async Task HandleAsync_FifthAttemptFails_TerminatedWithTheReason()
    {
        var handler = new OrderPlacedHandler(new FlakyPaymentGateway(failures: 5)).WithRetry();
        var message = TestMessage.Create(new OrderPlaced("o-2", 7m), messageId: "o-2", numDelivered: 5);

        await handler(message, TestContext.Current.CancellationToken);

        message.Outcome.Should().Be(AckOutcome.Terminated);
        message.TermReason.Should().StartWith("gave up after 5 attempts");
    }
}
