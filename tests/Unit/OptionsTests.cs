namespace Goflux.Tests;

public class OptionsTests
{
    [Fact]
    public void SubscriberOptionsDefault_Values_AreDocumented()
    {
        // Act
        var options = SubscriberOptions.Default;

        // Assert
        options.ManualAck.Should().BeFalse();
        options.EnableTelemetry.Should().BeTrue();
        options.MaxMessages.Should().Be(1000);
        options.IdleHeartbeat.Should().Be(TimeSpan.FromSeconds(1));
        options.Expires.Should().Be(TimeSpan.FromSeconds(30));
        options.Logger.Should().BeNull();
        options.TimeProvider.Should().BeSameAs(TimeProvider.System);
        options.Invoking(o => o.Validate()).Should().NotThrow();
    }

    [Fact]
    public void SubscriberOptionsValidate_EveryOptionInvalid_ListsEveryErrorInOneMessage()
    {
        // Arrange
        var options = SubscriberOptions.Default with
        {
            MaxMessages = -5,
            TimeProvider = null!,
            IdleHeartbeat = TimeSpan.FromMilliseconds(100),
            Expires = TimeSpan.FromMilliseconds(500),
        };

        // Act
        var act = options.Validate;

        // Assert
        act.Should().Throw<ArgumentException>()
            .WithParameterName("options")
            .Which.Message.Should().Contain("MaxMessages must be at least 1 (was -5)").And.Contain("TimeProvider must not be null")
            .And.Contain("IdleHeartbeat must be between 0.5 and 30 seconds").And.Contain("Expires must be at least 1 second");
    }

    [Fact]
    public void SubscriberOptionsValidate_ExpiresUnderTwiceTheHeartbeat_Rejected()
    {
        // Arrange
        var options = SubscriberOptions.Default with { IdleHeartbeat = TimeSpan.FromSeconds(5), Expires = TimeSpan.FromSeconds(9) };

        // Act
        var act = options.Validate;

        // Assert
        act.Should().Throw<ArgumentException>().WithMessage("*at least twice IdleHeartbeat*");
    }

    [Fact]
    public void PublisherOptionsValidate_EveryOptionInvalid_ListsEveryErrorInOneMessage()
    {
        // Arrange
        var options = PublisherOptions.Default with { PublishTimeout = TimeSpan.Zero, TimeProvider = null! };

        // Act
        var act = options.Validate;

        // Assert
        act.Should().Throw<ArgumentException>()
            .WithParameterName("options")
            .Which.Message.Should().Contain("PublishTimeout must be positive").And.Contain("TimeProvider must not be null");
    }

    [Fact]
    public void PublisherOptionsDefault_Values_AreDocumented()
    {
        // Act
        var options = PublisherOptions.Default;

        // Assert
        options.EnableTelemetry.Should().BeTrue();
        options.DeduplicateByMessageId.Should().BeFalse();
        options.PublishTimeout.Should().Be(TimeSpan.FromSeconds(5));
        options.Logger.Should().BeNull();
        options.TimeProvider.Should().BeSameAs(TimeProvider.System);
        options.Invoking(o => o.Validate()).Should().NotThrow();
    }

    [Fact]
    public void GofluxException_Constructors_CarryStageSubjectCodeAndCause()
    {
        // Arrange
        var cause = new IOException("io");

        // Act
        var full = new GofluxException(GofluxStage.Decode, "m", cause, "a.b", 10059);
        var plain = new GofluxException();
        var withMessage = new GofluxException("m2", cause);

        // Assert
        full.Stage.Should().Be(GofluxStage.Decode);
        full.Subject.Should().Be("a.b");
        full.ErrorCode.Should().Be(10059);
        full.InnerException.Should().BeSameAs(cause);
        plain.Stage.Should().Be(GofluxStage.Transport);
        plain.ErrorCode.Should().BeNull();
        withMessage.Message.Should().Be("m2");
        withMessage.InnerException.Should().BeSameAs(cause);
    }
}
