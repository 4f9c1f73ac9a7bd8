using Goflux.Tests.Fakes;
using Goflux.Transport;
using Microsoft.Extensions.Time.Testing;

namespace Goflux.Tests.Telemetry;

[Collection(TelemetryCollection.Name)]
public sealed class MetricsTests : IDisposable
{
    private readonly TelemetryCapture _capture = new();
    private readonly FakeTimeProvider _time = new();
    private readonly FakeTransportPublisher _transport = new();
    private readonly string _subject = TestSubjects.Unique("metrics");

    public void Dispose() => _capture.Dispose();

    [Fact]
    public async Task PublishAsync_SuccessAndFailure_CountsSentAndRecordsDurationOnTheTimeProvider()
    {
        // Arrange
        var ct = TestContext.Current.CancellationToken;
        var fail = false;
        _transport.OnPublish = (_, _) =>
        {
            _time.Advance(TimeSpan.FromMilliseconds(250));
            return fail ? throw new IOException("reset") : new(new PublishResult("S", 1, false));
        };
        var sut = new PublishPipeline<string>(_transport, Utf8Codec.Instance, PublisherOptions.Default with { TimeProvider = _time });

        // Act
        await sut.PublishAsync(_subject, "a", null, ct);
        await sut.PublishAsync(_subject, "b", null, ct);
        fail = true;
        await FluentActions.Awaiting(() => sut.PublishAsync(_subject, "c", null, ct).AsTask()).Should().ThrowAsync<GofluxException>();

        // Assert
        var sent = _capture.Points(GofluxTelemetry.Metrics.SentMessages, "messaging.destination.name", _subject);
        sent.Should().HaveCount(2);
        var ok = sent.Single(p => !TelemetryCapture.Tags(p).ContainsKey("error.type"));
        ok.GetSumLong().Should().Be(2);
        TelemetryCapture.Tags(ok).Should().Contain("messaging.system", "nats-jetstream").And.Contain("messaging.operation.name", "send");
        var failed = sent.Single(p => TelemetryCapture.Tags(p).ContainsKey("error.type"));
        failed.GetSumLong().Should().Be(1);
        TelemetryCapture.Tags(failed)["error.type"].Should().Be("transport");

        var durations = _capture.Points(GofluxTelemetry.Metrics.OperationDuration, "messaging.destination.name", _subject);
        durations.Sum(p => p.GetHistogramCount()).Should().Be(3);
        durations.Sum(p => p.GetHistogramSum()).Should().BeApproximately(0.75, 1e-9);
    }

    [Fact]
    public async Task ProcessAsync_HandledAndFailed_CountsConsumedAndRecordsProcessDuration()
    {
        // Arrange
        var ct = TestContext.Current.CancellationToken;
        var sut = new DeliveryPipeline<string>(Utf8Codec.Instance, SubscriberOptions.Default with { TimeProvider = _time }, _subject, "worker");

        // Act
        await sut.ProcessAsync(Incoming(new RecordingAcker()), (_, _) =>
        {
            _time.Advance(TimeSpan.FromSeconds(2));
            return ValueTask.CompletedTask;
        }, ct);
        await sut.ProcessAsync(Incoming(new RecordingAcker()), (_, _) =>
        {
            _time.Advance(TimeSpan.FromSeconds(1));
            throw new TimeoutException();
        }, ct);

        // Assert
        var consumed = _capture.Points(GofluxTelemetry.Metrics.ConsumedMessages, "messaging.destination.name", _subject);
        consumed.Sum(p => p.GetSumLong()).Should().Be(2);
        var failed = consumed.Single(p => TelemetryCapture.Tags(p).ContainsKey("error.type"));
        TelemetryCapture.Tags(failed)["error.type"].Should().Be(nameof(TimeoutException));
        TelemetryCapture.Tags(failed)["messaging.consumer.group.name"].Should().Be("worker");
        TelemetryCapture.Tags(failed)["messaging.operation.name"].Should().Be("process");

        var durations = _capture.Points(GofluxTelemetry.Metrics.ProcessDuration, "messaging.destination.name", _subject);
        durations.Sum(p => p.GetHistogramCount()).Should().Be(2);
        durations.Sum(p => p.GetHistogramSum()).Should().BeApproximately(3.0, 1e-9);
    }

    [Fact]
    public async Task ProcessAsync_DecodeFailure_CountsConsumedWithDecodeErrorAndTermOutcome()
    {
        // Arrange
        var sut = new DeliveryPipeline<string>(new ThrowingDecoder<string>(new FormatException()), null, _subject, "worker");

        // Act
        await sut.ProcessAsync(Incoming(new RecordingAcker()), (_, _) => ValueTask.CompletedTask, TestContext.Current.CancellationToken);

        // Assert
        var consumed = _capture.Points(GofluxTelemetry.Metrics.ConsumedMessages, "messaging.destination.name", _subject);
        consumed.Should().ContainSingle();
        TelemetryCapture.Tags(consumed[0])["error.type"].Should().Be("decode");
        var outcomes = _capture.Points(GofluxTelemetry.Metrics.AckOutcome, "messaging.destination.name", _subject);
        outcomes.Should().ContainSingle();
        TelemetryCapture.Tags(outcomes[0])["goflux.ack.action"].Should().Be("term");
    }

    [Fact]
    public async Task ProcessAsync_EverySettleKind_CountsAckOutcomeByAction()
    {
        // Arrange
        var ct = TestContext.Current.CancellationToken;
        var sut = new DeliveryPipeline<string>(Utf8Codec.Instance, SubscriberOptions.Default with { ManualAck = true }, _subject, "worker");
        MessageHandler<string>[] handlers =
        [
            async (m, t) => await m.AckAsync(t),
            async (m, t) => await m.AckAsync(t),
            async (m, t) => await m.NakAsync(t),
            async (m, t) => await m.NakAsync(TimeSpan.FromSeconds(5), t),
            async (m, t) => await m.TermAsync("poison", t),
            (_, _) => ValueTask.CompletedTask,
        ];

        // Act
        foreach (var handler in handlers)
        {
            await sut.ProcessAsync(Incoming(new RecordingAcker()), handler, ct);
        }

        // Assert
        var outcomes = _capture.Points(GofluxTelemetry.Metrics.AckOutcome, "messaging.destination.name", _subject)
            .ToDictionary(p => (string)TelemetryCapture.Tags(p)["goflux.ack.action"]!, p => p.GetSumLong());
        outcomes.Should().BeEquivalentTo(new Dictionary<string, long> { ["ack"] = 2, ["nak"] = 1, ["nak_delay"] = 1, ["term"] = 1 });
    }

    [Fact]
    public async Task ProcessAsync_AutoAck_CountsAckAndNakOutcomes()
    {
        // Arrange
        var ct = TestContext.Current.CancellationToken;
        var sut = new DeliveryPipeline<string>(Utf8Codec.Instance, null, _subject, "worker");

        // Act
        await sut.ProcessAsync(Incoming(new RecordingAcker()), (_, _) => ValueTask.CompletedTask, ct);
        await sut.ProcessAsync(Incoming(new RecordingAcker()), (_, _) => throw new InvalidOperationException(), ct);

        // Assert
        var outcomes = _capture.Points(GofluxTelemetry.Metrics.AckOutcome, "messaging.destination.name", _subject)
            .ToDictionary(p => (string)TelemetryCapture.Tags(p)["goflux.ack.action"]!, p => p.GetSumLong());
        outcomes.Should().BeEquivalentTo(new Dictionary<string, long> { ["ack"] = 1, ["nak"] = 1 });
    }

    [Fact]
    public async Task ProcessAsync_AckSent_CountsOutcomeWithAckErrorFalse()
    {
        // Arrange
        var sut = new DeliveryPipeline<string>(Utf8Codec.Instance, null, _subject, "worker");

        // Act
        await sut.ProcessAsync(Incoming(new RecordingAcker()), (_, _) => ValueTask.CompletedTask, TestContext.Current.CancellationToken);

        // Assert
        var point = _capture.Points(GofluxTelemetry.Metrics.AckOutcome, "messaging.destination.name", _subject).Should().ContainSingle().Subject;
        TelemetryCapture.Tags(point)["goflux.ack.error"].Should().Be(false);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ProcessAsync_AckSendFails_CountsOutcomeWithAckErrorTrue(bool synchronously)
    {
        // Arrange
        var acker = new RecordingAcker { FailWith = new IOException("connection closed"), FailSynchronously = synchronously };
        var sut = new DeliveryPipeline<string>(Utf8Codec.Instance, null, _subject, "worker");

        // Act
        await sut.ProcessAsync(Incoming(acker), (_, _) => ValueTask.CompletedTask, TestContext.Current.CancellationToken);

        // Assert
        var point = _capture.Points(GofluxTelemetry.Metrics.AckOutcome, "messaging.destination.name", _subject).Should().ContainSingle().Subject;
        var tags = TelemetryCapture.Tags(point);
        tags["goflux.ack.action"].Should().Be("ack");
        tags["goflux.ack.error"].Should().Be(true);
        point.GetSumLong().Should().Be(1);
    }

    [Fact]
    public async Task ProcessAsync_TelemetryDisabled_RecordsNoMetrics()
    {
        // Arrange
        var sut = new DeliveryPipeline<string>(Utf8Codec.Instance, SubscriberOptions.Default with { EnableTelemetry = false }, _subject, "worker");

        // Act
        await sut.ProcessAsync(Incoming(new RecordingAcker()), (_, _) => ValueTask.CompletedTask, TestContext.Current.CancellationToken);

        // Assert
        _capture.Points(GofluxTelemetry.Metrics.ConsumedMessages, "messaging.destination.name", _subject).Should().BeEmpty();
        _capture.Points(GofluxTelemetry.Metrics.AckOutcome, "messaging.destination.name", _subject).Should().BeEmpty();
    }

    private IncomingMessage Incoming(RecordingAcker acker) => new(_subject, "x"u8.ToArray(), null, null, acker);
}
