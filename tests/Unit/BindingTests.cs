using Goflux.Tests.Fakes;

namespace Goflux.Tests;

public class BindingTests
{
    private readonly FakePublisher<string> _publisher = new();
    private readonly PipelineSubscriber<string> _subscriber = new(Utf8Codec.Instance);

    [Fact]
    public async Task BoundPublisherPublishAsync_Value_ForwardsSubjectValueOptionsAndToken()
    {
        // Arrange
        using var cts = new CancellationTokenSource();
        var sut = new BoundPublisher<string>(_publisher, "orders.created");
        var options = new PublishOptions { MessageId = "id-1" };

        // Act
        var result = await sut.PublishAsync("v", options, cts.Token);

        // Assert
        result.Sequence.Should().Be(1);
        _publisher.Calls.Should().Equal(new PublishCall<string>("orders.created", "v", options, cts.Token));
        sut.Subject.Should().Be("orders.created");
    }

    [Theory]
    [InlineData("orders.*")]
    [InlineData("orders.>")]
    [InlineData("orders..created")]
    [InlineData("")]
    public void BoundPublisherConstructor_NotALiteralSubject_ThrowsArgumentException(string subject)
    {
        // Act
        var act = () => new BoundPublisher<string>(_publisher, subject);

        // Assert
        act.Should().Throw<ArgumentException>().WithParameterName("subject");
    }

    [Fact]
    public void BoundPublisherConstructor_NullPublisher_Throws()
    {
        // Act
        var act = () => new BoundPublisher<string>(null!, "a");

        // Assert
        act.Should().Throw<ArgumentNullException>();
    }

    [Fact]
    public async Task BoundSubscriberSubscribeAsync_Handler_ForwardsSubjectHandlerAndToken()
    {
        // Arrange
        using var cts = new CancellationTokenSource();
        var sut = new BoundSubscriber<string>(_subscriber, "orders.>");
        MessageHandler<string> handler = (_, _) => ValueTask.CompletedTask;

        // Act
        var running = sut.SubscribeAsync(handler, cts.Token);
        await cts.CancelAsync();
        await running;

        // Assert
        var call = _subscriber.Calls.Should().ContainSingle().Subject;
        call.Subject.Should().Be("orders.>");
        call.Handler.Should().BeSameAs(handler);
        call.CancellationToken.Should().Be(cts.Token);
        sut.Subject.Should().Be("orders.>");
    }

    [Theory]
    [InlineData("orders.>.x")]
    [InlineData("orders. x")]
    [InlineData("")]
    public void BoundSubscriberConstructor_InvalidPattern_ThrowsArgumentException(string subject)
    {
        // Act
        var act = () => new BoundSubscriber<string>(_subscriber, subject);

        // Assert
        act.Should().Throw<ArgumentException>().WithParameterName("subject");
    }

    [Fact]
    public async Task TopicPublishAndSubscribe_SameSubject_BothUseIt()
    {
        // Arrange
        var ct = TestContext.Current.CancellationToken;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var sut = new Topic<string>(_publisher, _subscriber, "orders.created");

        // Act
        await sut.PublishAsync("v", cancellationToken: ct);
        var running = sut.SubscribeAsync((_, _) => ValueTask.CompletedTask, cts.Token);
        await cts.CancelAsync();
        await running;

        // Assert
        sut.Subject.Should().Be("orders.created");
        sut.Publisher.Subject.Should().Be("orders.created");
        sut.Subscriber.Subject.Should().Be("orders.created");
        _publisher.Calls.Should().ContainSingle().Which.Subject.Should().Be("orders.created");
        _subscriber.Calls.Should().ContainSingle().Which.Subject.Should().Be("orders.created");
    }

    [Fact]
    public void TopicConstructor_WildcardSubject_ThrowsBecauseItCannotBePublishedTo()
    {
        // Act
        var act = () => new Topic<string>(_publisher, _subscriber, "orders.*");

        // Assert
        act.Should().Throw<ArgumentException>().WithMessage("*wildcard*");
    }
}
