using System.Diagnostics;
using System.Text;
using System.Threading.Channels;
using Goflux.Streaming;
using Goflux.Tests.Fakes;
using Goflux.Tests.Shared;
using Goflux.Transport;

namespace Goflux.Tests;

/// <summary>
/// Every failure path settles, whatever the exception says: a term reason built from an exception's text is made a
/// valid header value before it is sent, and no settlement throws because of that text. Each case of
/// <see cref="ExceptionTexts"/> runs through every path that builds text from an exception.
/// </summary>
[Collection(Telemetry.TelemetryCollection.Name)]
public sealed class FailingHandlerSettlesTests : IDisposable
{
    private static readonly RetryPolicy Retry = new() { InitialDelay = TimeSpan.FromSeconds(1), MaxAttempts = 5 };
    private readonly RecordingAcker _acker = new();
    private readonly CapturingLogger _logger = new();
    private readonly ActivityListener _listener;

    public FailingHandlerSettlesTests()
    {
        // Spans on: the consumer activity's error status is also built from the exception's text.
        _listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == GofluxTelemetry.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    public void Dispose() => _listener.Dispose();

    [Theory]
    [MemberData(nameof(ExceptionTexts.Labels), MemberType = typeof(ExceptionTexts))]
    public async Task RetryAck_NonRetryable_TermsWithAValidReason(string label)
    {
        // Arrange
        var handler = Middleware.RetryAck<string>(Retry with { ShouldRetry = _ => false })((_, _) => throw ExceptionTexts.Create(label));

        // Act
        await handler(CreateMessage(numDelivered: 1), TestContext.Current.CancellationToken);

        // Assert
        AssertTermed("non-retryable: ", label);
    }

    [Theory]
    [MemberData(nameof(ExceptionTexts.Labels), MemberType = typeof(ExceptionTexts))]
    public async Task RetryAck_NonRetryableByType_TermsWithAValidReason(string label)
    {
        // Arrange: a domain exception marks itself non-retryable; the reason is built from the outer exception.
        var inner = ExceptionTexts.Create(label);
        var handler = Middleware.RetryAck<string>(Retry)((_, _) => throw new DomainFailure(inner));

        // Act
        await handler(CreateMessage(numDelivered: 1), TestContext.Current.CancellationToken);

        // Assert
        _acker.Calls.Should().ContainSingle().Which.Should().Be(new AckCall(AckKind.Term, Reason: "non-retryable: domain failure"));
    }

    [Theory]
    [MemberData(nameof(ExceptionTexts.Labels), MemberType = typeof(ExceptionTexts))]
    public async Task RetryAck_LastAttempt_TermsWithAValidReason(string label)
    {
        // Arrange
        var handler = Middleware.RetryAck<string>(Retry)((_, _) => throw ExceptionTexts.Create(label));

        // Act
        await handler(CreateMessage(numDelivered: 5), TestContext.Current.CancellationToken);

        // Assert
        AssertTermed("gave up after 5 attempts: ", label);
    }

    [Theory]
    [MemberData(nameof(ExceptionTexts.Labels), MemberType = typeof(ExceptionTexts))]
    public async Task RetryAck_Retryable_NaksWithThePolicyDelay(string label)
    {
        // Arrange
        var handler = Middleware.RetryAck<string>(Retry)((_, _) => throw ExceptionTexts.Create(label));

        // Act
        await handler(CreateMessage(numDelivered: 2), TestContext.Current.CancellationToken);

        // Assert
        _acker.Calls.Should().Equal(new AckCall(AckKind.Nak, Delay: TimeSpan.FromSeconds(2)));
    }

    [Theory]
    [MemberData(nameof(ExceptionTexts.Labels), MemberType = typeof(ExceptionTexts))]
    public async Task AutoAck_HandlerThrows_NaksAndRethrows(string label)
    {
        // Arrange
        var error = ExceptionTexts.Create(label);
        var handler = Middleware.AutoAck<string>()((_, _) => throw error);

        // Act
        var act = () => handler(CreateMessage(), TestContext.Current.CancellationToken).AsTask();

        // Assert
        (await act.Should().ThrowAsync<Exception>()).Which.Should().BeSameAs(error);
        _acker.Calls.Should().Equal(new AckCall(AckKind.Nak));
    }

    [Theory]
    [MemberData(nameof(ExceptionTexts.Labels), MemberType = typeof(ExceptionTexts))]
    public async Task DeliveryPipeline_DecodeFails_TermsWithAValidReason(string label)
    {
        // Arrange
        var sut = new DeliveryPipeline<string>(new ThrowingDecoder<string>(ExceptionTexts.Create(label)), Options(), "orders.*", "worker");
        var handled = false;

        // Act
        await sut.ProcessAsync(Incoming(), (_, _) =>
        {
            handled = true;
            return ValueTask.CompletedTask;
        }, TestContext.Current.CancellationToken);

        // Assert
        handled.Should().BeFalse();
        AssertTermed("decode failed: ", label);
    }

    [Theory]
    [MemberData(nameof(ExceptionTexts.Labels), MemberType = typeof(ExceptionTexts))]
    public async Task DeliveryPipeline_AutoAckHandlerThrows_Naks(string label)
    {
        // Arrange
        var sut = new DeliveryPipeline<string>(Utf8Codec.Instance, Options(), "orders.*", "worker");

        // Act
        await sut.ProcessAsync(Incoming(), (_, _) => throw ExceptionTexts.Create(label), TestContext.Current.CancellationToken);

        // Assert
        _acker.Calls.Should().Equal(new AckCall(AckKind.Nak));
    }

    [Theory]
    [MemberData(nameof(ExceptionTexts.Labels), MemberType = typeof(ExceptionTexts))]
    public async Task DeliveryPipeline_RetryAckHandlerThrowsNonRetryable_Terms(string label)
    {
        // Arrange: the way Goflux.Hosting wires a RetryAck consumer: manual ack, the middleware settles.
        var sut = new DeliveryPipeline<string>(Utf8Codec.Instance, Options() with { ManualAck = true }, "orders.*", "worker");
        var handler = Middleware.RetryAck<string>(Retry with { ShouldRetry = _ => false })((_, _) => throw ExceptionTexts.Create(label));

        // Act
        await sut.ProcessAsync(Incoming(), handler, TestContext.Current.CancellationToken);

        // Assert
        AssertTermed("non-retryable: ", label);
    }

    [Theory]
    [MemberData(nameof(ExceptionTexts.Labels), MemberType = typeof(ExceptionTexts))]
    public async Task ProcessAsync_RetryAckHandler_SettlesEveryMessageByThePolicy(string label)
    {
        // Arrange: attempt 1 non-retryable, attempt 2 retryable, attempt 5 the last one.
        var channel = Channel.CreateUnbounded<Message<string>>();
        var ackers = new[] { new RecordingAcker(), new RecordingAcker(), new RecordingAcker() };
        var attempts = new ulong[] { 1, 2, 5 };
        for (var i = 0; i < ackers.Length; i++)
        {
            channel.Writer.TryWrite(new Message<string>("orders.created", $"m{i}", delivery: Delivery(attempts[i]), acker: ackers[i]));
        }

        channel.Writer.Complete();
        var errors = ackers.Select(_ => ExceptionTexts.Create(label)).ToArray();
        var handler = Middleware.RetryAck<string>(Retry with { ShouldRetry = ex => !ReferenceEquals(ex, errors[0]) })((m, _) =>
            throw errors[int.Parse(m.Payload[1..], System.Globalization.CultureInfo.InvariantCulture)]);

        // Act
        await channel.Reader.ProcessAsync(2, handler, TestContext.Current.CancellationToken);

        // Assert
        ackers[0].Calls.Should().Equal(new AckCall(AckKind.Term, Reason: ExceptionTexts.ExpectedReason("non-retryable: ", label)));
        ackers[1].Calls.Should().Equal(new AckCall(AckKind.Nak, Delay: TimeSpan.FromSeconds(2)));
        ackers[2].Calls.Should().Equal(new AckCall(AckKind.Term, Reason: ExceptionTexts.ExpectedReason("gave up after 5 attempts: ", label)));
    }

    [Theory]
    [MemberData(nameof(ExceptionTexts.Labels), MemberType = typeof(ExceptionTexts))]
    public async Task ProcessAsync_PlainHandlerThrows_NaksEveryMessage(string label)
    {
        // Arrange
        var channel = Channel.CreateUnbounded<Message<string>>();
        var ackers = new[] { new RecordingAcker(), new RecordingAcker() };
        foreach (var acker in ackers)
        {
            channel.Writer.TryWrite(new Message<string>("orders.created", "x", delivery: Delivery(1), acker: acker));
        }

        channel.Writer.Complete();

        // Act
        await channel.Reader.ProcessAsync(1, (_, _) => throw ExceptionTexts.Create(label), TestContext.Current.CancellationToken);

        // Assert
        ackers.Should().AllSatisfy(a => a.Calls.Should().Equal(new AckCall(AckKind.Nak)));
    }

    [Fact]
    public async Task RetryAck_ShouldRetryPredicateThrows_NaksAsRetryable()
    {
        // Arrange
        var policy = Retry with { ShouldRetry = _ => throw new InvalidOperationException("predicate broke") };
        var handler = Middleware.RetryAck<string>(policy)((_, _) => throw new TimeoutException("carrier"));

        // Act
        await handler(CreateMessage(numDelivered: 1), TestContext.Current.CancellationToken);

        // Assert
        _acker.Calls.Should().Equal(new AckCall(AckKind.Nak, Delay: TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public async Task RetryAck_DelayGeneratorThrows_NaksWithTheExponentialSchedule()
    {
        // Arrange
        var policy = Retry with { DelayGenerator = _ => throw new InvalidOperationException("generator broke") };
        var handler = Middleware.RetryAck<string>(policy)((_, _) => throw new TimeoutException("carrier"));

        // Act
        await handler(CreateMessage(numDelivered: 3), TestContext.Current.CancellationToken);

        // Assert
        _acker.Calls.Should().Equal(new AckCall(AckKind.Nak, Delay: TimeSpan.FromSeconds(4)));
    }

    [Theory]
    [MemberData(nameof(ExceptionTexts.Labels), MemberType = typeof(ExceptionTexts))]
    public void NonRetryableExceptionWrap_AnyCause_KeepsTheCauseAndAMessage(string label)
    {
        // Act
        var cause = ExceptionTexts.Create(label);
        var wrapped = NonRetryableException.Wrap(cause);

        // Assert
        wrapped.InnerException.Should().BeSameAs(cause);
        wrapped.Message.Should().NotBeNullOrWhiteSpace();
    }

    private static DeliveryInfo Delivery(ulong numDelivered) => new("ORDERS", "worker", 1, 1, numDelivered, 0, default);

    private void AssertTermed(string prefix, string label)
    {
        var call = _acker.Calls.Should().ContainSingle().Subject;
        call.Kind.Should().Be(AckKind.Term);
        call.Reason.Should().Be(ExceptionTexts.ExpectedReason(prefix, label));
        ExceptionTexts.IsValidHeaderValue(call.Reason!).Should().BeTrue();
        call.Reason!.Length.Should().BeLessThanOrEqualTo(256);
    }

    private SubscriberOptions Options() => SubscriberOptions.Default with { Logger = _logger };

    private IncomingMessage Incoming() => new("orders.created", Encoding.UTF8.GetBytes("body"), null, Delivery(1), _acker);

    private Message<string> CreateMessage(ulong numDelivered = 1) => new("orders.created", "payload", delivery: Delivery(numDelivered), acker: _acker);

    private sealed class DomainFailure(Exception inner) : Exception("domain failure", inner), INonRetryable;
}
