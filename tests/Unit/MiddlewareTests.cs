using Goflux.Tests.Fakes;
using Goflux.Transport;

namespace Goflux.Tests;

public class MiddlewareTests
{
    private readonly RecordingAcker _acker = new();

    [Fact]
    public async Task Chain_ThreeMiddlewares_FirstIsOutermost()
    {
        // Arrange
        var trace = new List<string>();
        var chain = Middleware.Chain(Recording<string>("A", trace), Recording<string>("B", trace), Recording<string>("C", trace));
        var handler = chain((_, _) =>
        {
            trace.Add("handler");
            return ValueTask.CompletedTask;
        });

        // Act
        await handler(CreateMessage(), TestContext.Current.CancellationToken);

        // Assert
        trace.Should().Equal("enter A", "enter B", "enter C", "handler", "exit C", "exit B", "exit A");
    }

    [Fact]
    public async Task Apply_TwoMiddlewares_WrapsHandlerFirstOutermost()
    {
        // Arrange
        var trace = new List<string>();
        var handler = Middleware.Apply<string>(
            (_, _) =>
            {
                trace.Add("handler");
                return ValueTask.CompletedTask;
            },
            Recording<string>("outer", trace),
            Recording<string>("inner", trace));

        // Act
        await handler(CreateMessage(), TestContext.Current.CancellationToken);

        // Assert
        trace.Should().Equal("enter outer", "enter inner", "handler", "exit inner", "exit outer");
    }

    [Fact]
    public async Task Chain_NoMiddlewares_ReturnsHandlerUnchanged()
    {
        // Arrange
        MessageHandler<string> handler = (_, _) => ValueTask.CompletedTask;

        // Act
        var wrapped = Middleware.Chain<string>()(handler);

        // Assert
        wrapped.Should().BeSameAs(handler);
        await wrapped(CreateMessage(), TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Chain_ArrayMutatedAfterChaining_UsesTheOriginalMiddlewares()
    {
        // Arrange
        var trace = new List<string>();
        var middlewares = new[] { Recording<string>("A", trace) };
        var chain = Middleware.Chain(middlewares);
        middlewares[0] = Recording<string>("replaced", trace);

        // Act
        await chain((_, _) => ValueTask.CompletedTask)(CreateMessage(), TestContext.Current.CancellationToken);

        // Assert
        trace.Should().Equal("enter A", "exit A");
    }

    [Fact]
    public void Chain_NullArrayOrNullItem_ThrowsArgumentNullException()
    {
        // Act
        var nullArray = () => Middleware.Chain<string>(null!);
        var nullItem = () => Middleware.Chain(Recording<string>("A", []), null!);

        // Assert
        nullArray.Should().Throw<ArgumentNullException>().WithParameterName("middlewares");
        nullItem.Should().Throw<ArgumentNullException>().WithParameterName("middlewares").Which.Message.Should().Contain("index 1");
    }

    [Fact]
    public void Chain_NullHandlerOrMiddlewareReturningNull_Throws()
    {
        // Arrange
        var chain = Middleware.Chain<string>(_ => null!);

        // Act
        var nullHandler = () => Middleware.Chain<string>()(null!);
        var nullResult = () => chain((_, _) => ValueTask.CompletedTask);
        var applyNull = () => Middleware.Apply<string>(null!);

        // Assert
        nullHandler.Should().Throw<ArgumentNullException>();
        nullResult.Should().Throw<InvalidOperationException>().WithMessage("*index 0*");
        applyNull.Should().Throw<ArgumentNullException>().WithParameterName("handler");
    }

    [Fact]
    public async Task AutoAck_HandlerReturns_Acks()
    {
        // Arrange
        var message = CreateMessage();
        var handler = Middleware.AutoAck<string>()((_, _) => ValueTask.CompletedTask);

        // Act
        await handler(message, TestContext.Current.CancellationToken);

        // Assert
        _acker.Calls.Should().Equal(new AckCall(AckKind.Ack));
        message.Outcome.Should().Be(AckOutcome.Acked);
    }

    [Fact]
    public async Task AutoAck_HandlerThrows_NaksAndRethrows()
    {
        // Arrange
        var message = CreateMessage();
        var error = new InvalidOperationException("boom");
        var handler = Middleware.AutoAck<string>()((_, _) => throw error);

        // Act
        var act = () => handler(message, TestContext.Current.CancellationToken).AsTask();

        // Assert
        (await act.Should().ThrowAsync<InvalidOperationException>()).Which.Should().BeSameAs(error);
        _acker.Calls.Should().Equal(new AckCall(AckKind.Nak));
    }

    [Fact]
    public async Task AutoAck_HandlerSettledItself_LeavesMessageAlone()
    {
        // Arrange
        var message = CreateMessage();
        var handler = Middleware.AutoAck<string>()(async (m, ct) => await m.TermAsync("done", ct));

        // Act
        await handler(message, TestContext.Current.CancellationToken);

        // Assert
        _acker.Calls.Should().Equal(new AckCall(AckKind.Term, Reason: "done"));
    }

    [Fact]
    public async Task AutoAck_HandlerSettledThenThrows_RethrowsWithoutNak()
    {
        // Arrange
        var message = CreateMessage();
        var handler = Middleware.AutoAck<string>()(async (m, ct) =>
        {
            await m.AckAsync(ct);
            throw new InvalidOperationException("after ack");
        });

        // Act
        var act = () => handler(message, TestContext.Current.CancellationToken).AsTask();

        // Assert
        await act.Should().ThrowAsync<InvalidOperationException>();
        _acker.Calls.Should().Equal(new AckCall(AckKind.Ack));
    }

    [Fact]
    public async Task RetryAck_HandlerReturns_Acks()
    {
        // Arrange
        var message = CreateMessage(numDelivered: 3);
        var handler = Middleware.RetryAck<string>(RetryPolicy.Default)((_, _) => ValueTask.CompletedTask);

        // Act
        await handler(message, TestContext.Current.CancellationToken);

        // Assert
        _acker.Calls.Should().Equal(new AckCall(AckKind.Ack));
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(3, 4)]
    [InlineData(4, 8)]
    public async Task RetryAck_RetryableError_NaksWithPolicyDelayForDeliveryCount(ulong numDelivered, int expectedSeconds)
    {
        // Arrange
        var message = CreateMessage(numDelivered);
        var policy = RetryPolicy.Default with { MaxAttempts = 10 };
        var handler = Middleware.RetryAck<string>(policy)((_, _) => throw new TimeoutException("slow"));

        // Act
        await handler(message, TestContext.Current.CancellationToken);

        // Assert
        _acker.Calls.Should().Equal(new AckCall(AckKind.Nak, Delay: TimeSpan.FromSeconds(expectedSeconds)));
        message.Outcome.Should().Be(AckOutcome.NakedWithDelay);
    }

    [Fact]
    public async Task RetryAck_HandlerSettlesThenThrows_KeepsItsDecisionAndDoesNotRethrow()
    {
        // Arrange
        var acker = new RecordingAcker();
        var message = new Message<string>("s", "p", acker: acker);
        var handler = Middleware.RetryAck<string>(RetryPolicy.Default)(async (m, ct) =>
        {
            await m.TermAsync("handled", ct);
            throw new InvalidOperationException("after settling");
        });

        // Act
        var act = () => handler(message, TestContext.Current.CancellationToken).AsTask();

        // Assert
        await act.Should().NotThrowAsync();
        message.Outcome.Should().Be(AckOutcome.Terminated);
        message.TermReason.Should().Be("handled");
    }

    [Fact]
    public async Task RetryAck_NoDeliveryInfo_TreatsItAsFirstAttempt()
    {
        // Arrange
        var message = new Message<string>("orders.created", "p", acker: _acker);
        var policy = RetryPolicy.Default with { DelayGenerator = n => TimeSpan.FromMinutes(n) };
        var handler = Middleware.RetryAck<string>(policy)((_, _) => throw new TimeoutException());

        // Act
        await handler(message, TestContext.Current.CancellationToken);

        // Assert
        _acker.Calls.Should().Equal(new AckCall(AckKind.Nak, Delay: TimeSpan.FromMinutes(1)));
    }

    [Fact]
    public async Task RetryAck_NonRetryableException_TermsWithReason()
    {
        // Arrange
        var message = CreateMessage(numDelivered: 1);
        var handler = Middleware.RetryAck<string>(RetryPolicy.Default)((_, _) => throw new NonRetryableException("bad input"));

        // Act
        await handler(message, TestContext.Current.CancellationToken);

        // Assert
        _acker.Calls.Should().ContainSingle().Which.Should().Be(new AckCall(AckKind.Term, Reason: "non-retryable: bad input"));
    }

    [Fact]
    public async Task RetryAck_NonRetryableDeepInTheChain_Terms()
    {
        // Arrange
        var message = CreateMessage(numDelivered: 1);
        var error = new InvalidOperationException("outer", new AggregateException("middle", NonRetryableException.Wrap(new FormatException("root"))));
        var policy = RetryPolicy.Default with { ShouldRetry = _ => true };
        var handler = Middleware.RetryAck<string>(policy)((_, _) => throw error);

        // Act
        await handler(message, TestContext.Current.CancellationToken);

        // Assert
        _acker.Calls.Should().ContainSingle().Which.Kind.Should().Be(AckKind.Term);
        _acker.Calls[0].Reason.Should().Be("non-retryable: outer");
    }

    [Fact]
    public async Task RetryAck_ShouldRetryFalse_TermsWithReason()
    {
        // Arrange
        var message = CreateMessage(numDelivered: 1);
        var policy = RetryPolicy.Default with { ShouldRetry = ex => ex is not FormatException };
        var handler = Middleware.RetryAck<string>(policy)((_, _) => throw new FormatException("not a number"));

        // Act
        await handler(message, TestContext.Current.CancellationToken);

        // Assert
        _acker.Calls.Should().Equal(new AckCall(AckKind.Term, Reason: "non-retryable: not a number"));
    }

    [Fact]
    public async Task RetryAck_MessageWithLineBreaks_TermReasonIsOneLine()
    {
        // Arrange
        var message = CreateMessage(numDelivered: 1);
        var handler = Middleware.RetryAck<string>(RetryPolicy.Default)((_, _) => throw new NonRetryableException("line1\r\nline2\nline3"));

        // Act
        await handler(message, TestContext.Current.CancellationToken);

        // Assert
        _acker.Calls.Should().Equal(new AckCall(AckKind.Term, Reason: "non-retryable: line1 line2 line3"));
    }

    [Theory]
    [InlineData(5UL)]
    [InlineData(6UL)]
    public async Task RetryAck_MaxAttemptsReached_TermsWithGaveUpReason(ulong numDelivered)
    {
        // Arrange
        var message = CreateMessage(numDelivered);
        var handler = Middleware.RetryAck<string>(RetryPolicy.Default with { MaxAttempts = 5 })((_, _) => throw new TimeoutException("still slow"));

        // Act
        await handler(message, TestContext.Current.CancellationToken);

        // Assert
        _acker.Calls.Should().Equal(new AckCall(AckKind.Term, Reason: $"gave up after {numDelivered} attempts: still slow"));
    }

    [Fact]
    public async Task RetryAck_BelowMaxAttempts_StillNaks()
    {
        // Arrange
        var message = CreateMessage(numDelivered: 4);
        var handler = Middleware.RetryAck<string>(RetryPolicy.Default with { MaxAttempts = 5 })((_, _) => throw new TimeoutException());

        // Act
        await handler(message, TestContext.Current.CancellationToken);

        // Assert
        _acker.Calls.Should().ContainSingle().Which.Kind.Should().Be(AckKind.Nak);
    }

    [Fact]
    public async Task RetryAck_UnlimitedAttempts_NaksEvenAfterManyDeliveries()
    {
        // Arrange
        var message = CreateMessage(numDelivered: 1000);
        var handler = Middleware.RetryAck<string>(RetryPolicy.Default with { MaxAttempts = 0 })((_, _) => throw new TimeoutException());

        // Act
        await handler(message, TestContext.Current.CancellationToken);

        // Assert
        _acker.Calls.Should().Equal(new AckCall(AckKind.Nak, Delay: TimeSpan.FromMinutes(1)));
    }

    [Fact]
    public async Task RetryAck_HandlerSettledItself_LeavesMessageAlone()
    {
        // Arrange
        var message = CreateMessage(numDelivered: 1);
        var handler = Middleware.RetryAck<string>(RetryPolicy.Default)(async (m, ct) => await m.NakAsync(ct));

        // Act
        await handler(message, TestContext.Current.CancellationToken);

        // Assert
        _acker.Calls.Should().Equal(new AckCall(AckKind.Nak));
    }

    [Fact]
    public void RetryAck_InvalidPolicy_ThrowsWhenCreated()
    {
        // Act
        var act = () => Middleware.RetryAck<string>(RetryPolicy.Default with { Multiplier = 0.5 });
        var nullPolicy = () => Middleware.RetryAck<string>(null!);

        // Assert
        act.Should().Throw<ArgumentException>().WithMessage("*Multiplier*");
        nullPolicy.Should().Throw<ArgumentNullException>();
    }

    private static Middleware<T> Recording<T>(string name, List<string> trace) => next => async (message, ct) =>
    {
        trace.Add("enter " + name);
        await next(message, ct);
        trace.Add("exit " + name);
    };

    private Message<string> CreateMessage(ulong numDelivered = 1) => new(
        "orders.created",
        "payload",
        delivery: new DeliveryInfo("ORDERS", "worker", 1, 1, numDelivered, 0, default),
        acker: _acker);
}
