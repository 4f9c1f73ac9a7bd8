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
        options.Logger.Should().BeNull();
        options.TimeProvider.Should().BeSameAs(TimeProvider.System);
        options.Invoking(o => o.Validate()).Should().NotThrow();
    }

    [Fact]
    public void SubscriberOptionsValidate_EveryOptionInvalid_ListsEveryErrorInOneMessage()
    {
        // Arrange
        var options = SubscriberOptions.Default with { MaxMessages = -5, TimeProvider = null! };

        // Act
        var act = options.Validate;

        // Assert
        act.Should().Throw<ArgumentException>()
            .WithParameterName("options")
            .Which.Message.Should().Contain("MaxMessages must be at least 1 (was -5)").And.Contain("TimeProvider must not be null");
    }

    [Fact]
    public void PublisherOptionsDefault_Values_AreDocumented()
    {
        // Act
        var options = PublisherOptions.Default;

        // Assert
        options.EnableTelemetry.Should().BeTrue();
        options.DeduplicateByMessageId.Should().BeFalse();
        options.Logger.Should().BeNull();
        options.TimeProvider.Should().BeSameAs(TimeProvider.System);
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
