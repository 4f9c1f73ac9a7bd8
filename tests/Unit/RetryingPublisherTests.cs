using Goflux.Tests.Fakes;

namespace Goflux.Tests;

public class RetryingPublisherTests
{
    private readonly SignallingTimeProvider _time = new();
    private readonly FakePublisher<string> _inner = new();
    private readonly CapturingLogger _logger = new();

    [Fact]
    public async Task PublishAsync_FirstAttemptSucceeds_NoRetryNoTimer()
    {
        // Arrange
        var sut = CreateSut(maxAttempts: 3);

        // Act
        var result = await sut.PublishAsync("a", "v", cancellationToken: TestContext.Current.CancellationToken);

        // Assert
        result.Sequence.Should().Be(1);
        _inner.Calls.Should().ContainSingle();
        _time.HasPendingTimer.Should().BeFalse();
    }

    [Fact]
    public async Task PublishAsync_TransientFailures_RetriesAfterEachBackoffOnTheTimeProvider()
    {
        // Arrange
        var ct = TestContext.Current.CancellationToken;
        var start = _time.GetUtcNow();
        _inner.Behaviour = attempt => attempt switch
        {
            1 => throw new GofluxException(GofluxStage.Publish, "no responders"),
            2 => throw new GofluxException(GofluxStage.Transport, "connection lost"),
            _ => new PublishResult("S", 9, false),
        };
        var options = new PublishOptions { MessageId = "id-1" };
        var sut = CreateSut(maxAttempts: 5, backoff: n => TimeSpan.FromSeconds(10 * n));

        // Act
        var publish = sut.PublishAsync("orders.created", "v", options, ct).AsTask();
        (await NextBackoffAsync(publish, ct)).Should().Be(TimeSpan.FromSeconds(10));
        _time.Advance(TimeSpan.FromSeconds(10) - TimeSpan.FromTicks(1));
        var callsBeforeFirstBackoffElapsed = _inner.Calls.Count;
        _time.Advance(TimeSpan.FromTicks(1));
        (await NextBackoffAsync(publish, ct)).Should().Be(TimeSpan.FromSeconds(20));
        var callsAfterFirstBackoff = _inner.Calls.Count;
        _time.Advance(TimeSpan.FromSeconds(20));
        var result = await publish.WaitAsync(ct);

        // Assert
        callsBeforeFirstBackoffElapsed.Should().Be(1);
        callsAfterFirstBackoff.Should().Be(2);
        result.Should().Be(new PublishResult("S", 9, false));
        _inner.Calls.Should().HaveCount(3).And.AllSatisfy(c =>
        {
            c.Subject.Should().Be("orders.created");
            c.Value.Should().Be("v");
            c.Options.Should().Be(options);
        });
        (_time.GetUtcNow() - start).Should().Be(TimeSpan.FromSeconds(30));
        _logger.Entries.Where(e => e.EventId.Id == 4).Should().HaveCount(2);
    }

    [Fact]
    public async Task PublishAsync_ArgumentException_NotRetried()
    {
        // Arrange
        _inner.Behaviour = _ => throw new ArgumentException("bad subject", "subject");
        var sut = CreateSut(maxAttempts: 5);

        // Act
        var act = () => sut.PublishAsync("a", "v", cancellationToken: TestContext.Current.CancellationToken).AsTask();

        // Assert
        await act.Should().ThrowAsync<ArgumentException>().WithMessage("bad subject*");
        _inner.Calls.Should().ContainSingle();
        _time.HasPendingTimer.Should().BeFalse();
    }

    [Theory]
    [InlineData(GofluxStage.Encode)]
    [InlineData(GofluxStage.Decode)]
    [InlineData(GofluxStage.Subscribe)]
    public async Task PublishAsync_NonTransportStage_NotRetried(GofluxStage stage)
    {
        // Arrange
        _inner.Behaviour = _ => throw new GofluxException(stage, "no");
        var sut = CreateSut(maxAttempts: 5);

        // Act
        var act = () => sut.PublishAsync("a", "v", cancellationToken: TestContext.Current.CancellationToken).AsTask();

        // Assert
        (await act.Should().ThrowAsync<GofluxException>()).Which.Stage.Should().Be(stage);
        _inner.Calls.Should().ContainSingle();
    }

    [Fact]
    public async Task PublishAsync_EncodeFailureFromRealPipeline_NotRetried()
    {
        // Arrange
        var transport = new FakeTransportPublisher();
        var pipeline = new Transport.PublishPipeline<string>(transport, new ThrowingEncoder<string>(new NotSupportedException()));
        var sut = new RetryingPublisher<string>(new PipelinePublisher(pipeline), 5, _ => TimeSpan.FromSeconds(1), _time);

        // Act
        var act = () => sut.PublishAsync("a", "v", cancellationToken: TestContext.Current.CancellationToken).AsTask();

        // Assert
        (await act.Should().ThrowAsync<GofluxException>()).Which.Stage.Should().Be(GofluxStage.Encode);
        _time.HasPendingTimer.Should().BeFalse();
        transport.Sent.Should().BeEmpty();
    }

    [Fact]
    public async Task PublishAsync_OversizedMessageFromRealPipeline_NotRetried()
    {
        // Arrange
        var transport = new FakeTransportPublisher { MaxPayload = 4 };
        var pipeline = new Transport.PublishPipeline<string>(transport, Utf8Codec.Instance);
        var sut = new RetryingPublisher<string>(new PipelinePublisher(pipeline), 5, _ => TimeSpan.FromSeconds(1), _time);

        // Act
        var act = () => sut.PublishAsync("a", "too long", cancellationToken: TestContext.Current.CancellationToken).AsTask();

        // Assert
        var thrown = await act.Should().ThrowAsync<GofluxException>();
        thrown.Which.IsPermanent.Should().BeTrue();
        _time.HasPendingTimer.Should().BeFalse("a permanent failure must not wait for a retry");
        transport.Sent.Should().BeEmpty();
    }

    [Fact]
    public async Task PublishAsync_EveryAttemptFails_GivesUpAfterMaxAttemptsWithTheLastError()
    {
        // Arrange
        var ct = TestContext.Current.CancellationToken;
        _inner.Behaviour = attempt => throw new GofluxException(GofluxStage.Publish, $"failure {attempt}");
        var sut = CreateSut(maxAttempts: 3, backoff: _ => TimeSpan.FromSeconds(1));

        // Act
        var publish = sut.PublishAsync("a", "v", cancellationToken: ct).AsTask();
        await NextBackoffAsync(publish, ct);
        _time.Advance(TimeSpan.FromSeconds(1));
        await NextBackoffAsync(publish, ct);
        _time.Advance(TimeSpan.FromSeconds(1));
        var act = () => publish.WaitAsync(ct);

        // Assert
        (await act.Should().ThrowAsync<GofluxException>()).Which.Message.Should().Be("failure 3");
        _inner.Calls.Should().HaveCount(3);
        _time.HasPendingTimer.Should().BeFalse("there is no wait after the last attempt");
    }

    [Fact]
    public async Task PublishAsync_ZeroBackoff_RetriesWithoutTimers()
    {
        // Arrange
        _inner.Behaviour = attempt => attempt < 3 ? throw new GofluxException(GofluxStage.Transport, "x") : new PublishResult("S", 1, false);
        var sut = CreateSut(maxAttempts: 3, backoff: _ => TimeSpan.Zero);

        // Act
        var result = await sut.PublishAsync("a", "v", cancellationToken: TestContext.Current.CancellationToken);

        // Assert
        result.Stream.Should().Be("S");
        _inner.Calls.Should().HaveCount(3);
        _time.HasPendingTimer.Should().BeFalse();
    }

    [Fact]
    public async Task PublishAsync_CancelledDuringBackoff_ThrowsAndDoesNotRetry()
    {
        // Arrange
        var ct = TestContext.Current.CancellationToken;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        _inner.Behaviour = _ => throw new GofluxException(GofluxStage.Publish, "x");
        var sut = CreateSut(maxAttempts: 5, backoff: _ => TimeSpan.FromMinutes(1));

        // Act
        var publish = sut.PublishAsync("a", "v", cancellationToken: cts.Token).AsTask();
        await NextBackoffAsync(publish, ct);
        await cts.CancelAsync();
        var act = () => publish.WaitAsync(ct);

        // Assert
        await act.Should().ThrowAsync<OperationCanceledException>();
        _time.Advance(TimeSpan.FromMinutes(5));
        _inner.Calls.Should().ContainSingle();
    }

    [Fact]
    public async Task PublishAsync_OutcomeUnknown_RetriedAndLoggedWithWhatTheMessageIdMeans()
    {
        // Arrange
        var ct = TestContext.Current.CancellationToken;
        _inner.Behaviour = attempt => attempt == 1
            ? throw new GofluxException(GofluxStage.Transport, "no ack") { PublishOutcome = PublishOutcome.Unknown }
            : new PublishResult("S", 4, Duplicate: true);
        var sut = CreateSut(maxAttempts: 3, backoff: _ => TimeSpan.Zero);

        // Act
        var withId = await sut.PublishAsync("a", "v", new PublishOptions { MessageId = "id-9" }, ct);
        var withoutId = await sut.PublishAsync("a", "v", cancellationToken: ct);

        // Assert
        withId.Should().Be(new PublishResult("S", 4, true), "the retry found the first attempt stored");
        withoutId.Should().Be(new PublishResult("S", 4, true));
        var unknown = _logger.Entries.Where(e => e.EventId.Id == 6).ToList();
        unknown.Should().HaveCount(1, "only the first publish had an unknown outcome");
        unknown[0].Message.Should().Contain("with message id 'id-9'");
    }

    [Fact]
    public async Task PublishAsync_UnknownThenNotSentUntilGivingUp_ThrowsOutcomeUnknown()
    {
        // Arrange
        var ct = TestContext.Current.CancellationToken;
        _inner.Behaviour = attempt => attempt == 1
            ? throw new GofluxException(GofluxStage.Transport, "no ack") { PublishOutcome = PublishOutcome.Unknown }
            : throw new GofluxException(GofluxStage.Transport, "not connected") { PublishOutcome = PublishOutcome.NotSent };
        var sut = CreateSut(maxAttempts: 3, backoff: _ => TimeSpan.Zero);

        // Act
        var act = () => sut.PublishAsync("a", "v", cancellationToken: ct).AsTask();

        // Assert
        var thrown = (await act.Should().ThrowAsync<GofluxException>()).Which;
        thrown.PublishOutcome.Should().Be(PublishOutcome.Unknown, "the first attempt may have stored the message");
        thrown.IsOutcomeUnknown.Should().BeTrue();
        thrown.Message.Should().Contain("not connected").And.Contain("earlier attempt had an unknown outcome");
        _inner.Calls.Should().HaveCount(3);
    }

    [Fact]
    public async Task PublishAsync_CancelledWhileWaitingAfterAnUnknownOutcome_ThrowsTheUnknownOutcomeNotACancellation()
    {
        // Arrange
        var ct = TestContext.Current.CancellationToken;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        _inner.Behaviour = _ => throw new GofluxException(GofluxStage.Transport, "no ack") { PublishOutcome = PublishOutcome.Unknown };
        var sut = CreateSut(maxAttempts: 5, backoff: _ => TimeSpan.FromMinutes(1));

        // Act
        var publish = sut.PublishAsync("a", "v", cancellationToken: cts.Token).AsTask();
        await NextBackoffAsync(publish, ct);
        await cts.CancelAsync();
        var act = () => publish.WaitAsync(ct);

        // Assert
        (await act.Should().ThrowAsync<GofluxException>()).Which.PublishOutcome.Should().Be(PublishOutcome.Unknown);
        _inner.Calls.Should().ContainSingle();
    }

    [Fact]
    public void Constructor_InvalidArguments_Throw()
    {
        // Act
        var zero = () => new RetryingPublisher<string>(_inner, 0, _ => TimeSpan.Zero);
        var noInner = () => new RetryingPublisher<string>(null!, 1, _ => TimeSpan.Zero);
        var noBackoff = () => new RetryingPublisher<string>(_inner, 1, null!);

        // Assert
        zero.Should().Throw<ArgumentOutOfRangeException>();
        noInner.Should().Throw<ArgumentNullException>();
        noBackoff.Should().Throw<ArgumentNullException>();
    }

    [Fact]
    public async Task DisposeAsync_DisposesTheInnerPublisher()
    {
        // Arrange
        var sut = CreateSut(maxAttempts: 1);

        // Act
        await sut.DisposeAsync();

        // Assert
        _inner.Disposed.Should().BeTrue();
    }

    /// <summary>Waits until the publisher starts its backoff timer; fails instead of hanging if the publish ends first.</summary>
    private async Task<TimeSpan> NextBackoffAsync(Task publish, CancellationToken ct)
    {
        var timer = _time.NextTimerAsync(ct).AsTask();
        var first = await Task.WhenAny(timer, publish);
        first.Should().BeSameAs(timer, "the publisher should be waiting for a backoff, but the publish ended: {0}", publish.Exception?.GetBaseException().Message);
        return await timer;
    }

    private RetryingPublisher<string> CreateSut(int maxAttempts, Func<int, TimeSpan>? backoff = null)
        => new(_inner, maxAttempts, backoff ?? (_ => TimeSpan.FromSeconds(1)), _time, _logger);

    private sealed class PipelinePublisher(Transport.PublishPipeline<string> pipeline) : IPublisher<string>
    {
        public ValueTask<PublishResult> PublishAsync(string subject, string value, PublishOptions? options = null, CancellationToken cancellationToken = default)
            => pipeline.PublishAsync(subject, value, options, cancellationToken);

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
