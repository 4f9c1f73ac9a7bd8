namespace Goflux.Tests;

public class RetryPolicyTests
{
    [Fact]
    public void Default_Values_AreDocumented()
    {
        // Act
        var policy = RetryPolicy.Default;

        // Assert
        policy.InitialDelay.Should().Be(TimeSpan.FromSeconds(1));
        policy.Multiplier.Should().Be(2);
        policy.MaxDelay.Should().Be(TimeSpan.FromMinutes(1));
        policy.MaxAttempts.Should().Be(5);
        policy.DelayGenerator.Should().BeNull();
        policy.ShouldRetry.Should().BeNull();
        policy.Invoking(p => p.Validate()).Should().NotThrow();
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(3, 4)]
    [InlineData(6, 32)]
    [InlineData(7, 60)]
    [InlineData(8, 60)]
    [InlineData(100_000, 60)]
    [InlineData(int.MaxValue, 60)]
    public void GetDelay_Default_IsExponentialAndCapped(int attempt, int expectedSeconds)
    {
        // Act
        var delay = RetryPolicy.Default.GetDelay(attempt);

        // Assert
        delay.Should().Be(TimeSpan.FromSeconds(expectedSeconds));
    }

    [Fact]
    public void GetDelay_CustomSchedule_UsesInitialMultiplierAndCap()
    {
        // Arrange
        var policy = new RetryPolicy { InitialDelay = TimeSpan.FromMilliseconds(100), Multiplier = 3, MaxDelay = TimeSpan.FromSeconds(2) };

        // Act
        var delays = Enumerable.Range(1, 5).Select(policy.GetDelay).ToList();

        // Assert
        delays.Should().Equal(
            TimeSpan.FromMilliseconds(100),
            TimeSpan.FromMilliseconds(300),
            TimeSpan.FromMilliseconds(900),
            TimeSpan.FromSeconds(2),
            TimeSpan.FromSeconds(2));
    }

    [Fact]
    public void GetDelay_MultiplierOne_IsConstant()
    {
        // Arrange
        var policy = new RetryPolicy { InitialDelay = TimeSpan.FromSeconds(5), Multiplier = 1 };

        // Act
        var delays = new[] { 1, 2, 50 }.Select(policy.GetDelay);

        // Assert
        delays.Should().AllBeEquivalentTo(TimeSpan.FromSeconds(5));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(2_000)]
    [InlineData(int.MaxValue)]
    public void GetDelay_ZeroInitialDelay_IsZeroForEveryAttempt(int attempt)
    {
        // Arrange
        var policy = RetryPolicy.Default with { InitialDelay = TimeSpan.Zero, MaxAttempts = 0 };

        // Act
        var delay = policy.GetDelay(attempt);

        // Assert
        delay.Should().Be(TimeSpan.Zero);
    }

    [Fact]
    public void GetDelay_DelayGenerator_OverridesScheduleAndReceivesAttempt()
    {
        // Arrange
        var seen = new List<int>();
        var policy = RetryPolicy.Default with
        {
            DelayGenerator = n =>
            {
                seen.Add(n);
                return TimeSpan.FromMinutes(10 * n);
            },
        };

        // Act
        var delays = new[] { policy.GetDelay(1), policy.GetDelay(3) };

        // Assert
        delays.Should().Equal(TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(30));
        seen.Should().Equal(1, 3);
    }

    [Fact]
    public void GetDelay_DelayGeneratorNegative_ClampsToZero()
    {
        // Arrange
        var policy = RetryPolicy.Default with { DelayGenerator = _ => TimeSpan.FromSeconds(-3) };

        // Act
        var delay = policy.GetDelay(1);

        // Assert
        delay.Should().Be(TimeSpan.Zero);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void GetDelay_AttemptBelowOne_Throws(int attempt)
    {
        // Act
        var act = () => RetryPolicy.Default.GetDelay(attempt);

        // Assert
        act.Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void Validate_EverySettingInvalid_ListsEveryErrorInOneMessage()
    {
        // Arrange
        var policy = new RetryPolicy
        {
            InitialDelay = TimeSpan.FromSeconds(-1),
            Multiplier = 0.5,
            MaxDelay = TimeSpan.FromSeconds(-2),
            MaxAttempts = -1,
        };

        // Act
        var act = policy.Validate;

        // Assert
        act.Should().Throw<ArgumentException>()
            .WithParameterName("policy")
            .Which.Message.Should()
            .Contain("InitialDelay must not be negative")
            .And.Contain("Multiplier must be at least 1")
            .And.Contain("MaxDelay")
            .And.Contain("MaxAttempts must be 0 (no limit) or positive");
    }

    [Fact]
    public void Validate_NaNMultiplier_IsRejected()
    {
        // Act
        var act = (RetryPolicy.Default with { Multiplier = double.NaN }).Validate;

        // Assert
        act.Should().Throw<ArgumentException>().WithMessage("*Multiplier*");
    }

    [Fact]
    public void Validate_OneError_DoesNotMentionValidSettings()
    {
        // Act
        var act = (RetryPolicy.Default with { MaxAttempts = -3 }).Validate;

        // Assert
        act.Should().Throw<ArgumentException>()
            .Which.Message.Should().Contain("MaxAttempts").And.Contain("-3").And.NotContain("Multiplier").And.NotContain("InitialDelay");
    }

    [Fact]
    public void IsRetryable_PlainError_IsRetryable()
    {
        // Act
        var retryable = RetryPolicy.Default.IsRetryable(new TimeoutException());

        // Assert
        retryable.Should().BeTrue();
    }

    [Fact]
    public void IsRetryable_NonRetryableAsInnerException_IsNotRetryableEvenIfPredicateSaysYes()
    {
        // Arrange
        var policy = RetryPolicy.Default with { ShouldRetry = _ => true };
        var error = new InvalidOperationException("a", new InvalidOperationException("b", new NonRetryableException("c")));

        // Act
        var retryable = policy.IsRetryable(error);

        // Assert
        retryable.Should().BeFalse();
    }

    [Fact]
    public void IsRetryable_Predicate_DecidesForOtherErrors()
    {
        // Arrange
        var policy = RetryPolicy.Default with { ShouldRetry = ex => ex is TimeoutException };

        // Act
        var timeout = policy.IsRetryable(new TimeoutException());
        var format = policy.IsRetryable(new FormatException());

        // Assert
        timeout.Should().BeTrue();
        format.Should().BeFalse();
    }

    [Fact]
    public void NonRetryableExceptionWrap_KeepsMessageAndCause()
    {
        // Arrange
        var cause = new FormatException("bad");

        // Act
        var wrapped = NonRetryableException.Wrap(cause);

        // Assert
        wrapped.Message.Should().Be("bad");
        wrapped.InnerException.Should().BeSameAs(cause);
    }
}
