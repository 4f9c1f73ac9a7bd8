using System.Diagnostics;
using Goflux.Tests.Fakes;
using Goflux.Transport;
using OpenTelemetry;
using OpenTelemetry.Trace;

namespace Goflux.Tests.Telemetry;

[Collection(TelemetryCollection.Name)]
public sealed class TracingTests : IDisposable
{
    private readonly TelemetryCapture _capture = new();
    private readonly FakeTransportPublisher _transport = new();
    private readonly RecordingAcker _acker = new();
    private readonly string _subject = TestSubjects.Unique("tele");

    public void Dispose() => _capture.Dispose();

    [Fact]
    public async Task PublishAsync_SdkListening_EmitsProducerSpanWithMessagingAttributes()
    {
        // Arrange
        var sut = new PublishPipeline<string>(_transport, Utf8Codec.Instance);

        // Act
        await sut.PublishAsync(_subject, "hello", new PublishOptions { MessageId = "id-1" }, TestContext.Current.CancellationToken);

        // Assert
        var span = _capture.Spans("send " + _subject).Should().ContainSingle().Subject;
        span.Kind.Should().Be(ActivityKind.Producer);
        span.Source.Name.Should().Be("Goflux");
        span.GetTagItem("messaging.system").Should().Be("nats-jetstream");
        span.GetTagItem("messaging.operation.name").Should().Be("send");
        span.GetTagItem("messaging.operation.type").Should().Be("send");
        span.GetTagItem("messaging.destination.name").Should().Be(_subject);
        span.GetTagItem("messaging.message.id").Should().Be("id-1");
        span.GetTagItem("messaging.message.body.size").Should().Be(5);
        span.Status.Should().Be(ActivityStatusCode.Unset);
    }

    [Fact]
    public async Task PublishAsync_SdkListening_InjectsTraceparentOfTheProducerSpan()
    {
        // Arrange
        var sut = new PublishPipeline<string>(_transport, Utf8Codec.Instance);

        // Act
        await sut.PublishAsync(_subject, "x", null, TestContext.Current.CancellationToken);

        // Assert
        var span = _capture.Spans("send " + _subject).Should().ContainSingle().Subject;
        _transport.Sent.Single().Headers![WireHeaders.TraceParent].Should().Be($"00-{span.TraceId}-{span.SpanId}-01");
    }

    [Theory]
    [InlineData("vendor=caf\u00e9", null)]
    [InlineData("vendor=ok ", "vendor=ok")]
    [InlineData("a=1,\r\nb=2", "a=1,b=2")]
    [InlineData("congo=t61rcWkgMzE", "congo=t61rcWkgMzE")]
    public async Task PublishAsync_AmbientTraceStateFromOutside_PublishesAndCarriesOnlyAValidTraceState(string traceState, string? expected)
    {
        // Arrange: an HTTP request's tracestate header lands in the ambient activity verbatim; it is text the app does
        // not control and must not make the publish fail.
        using var ambient = StartAmbient("request");
        ambient.TraceStateString = traceState;
        var sut = new PublishPipeline<string>(_transport, Utf8Codec.Instance);

        // Act
        await sut.PublishAsync(_subject, "x", null, TestContext.Current.CancellationToken);

        // Assert
        var headers = _transport.Sent.Single().Headers!;
        headers[WireHeaders.TraceParent].Should().NotBeNull();
        headers["tracestate"].Should().Be(expected);
    }

    [Fact]
    public async Task PublishAsync_InsideAnAmbientActivity_ProducerSpanIsItsChild()
    {
        // Arrange
        using var ambient = StartAmbient("request");
        var sut = new PublishPipeline<string>(_transport, Utf8Codec.Instance);

        // Act
        await sut.PublishAsync(_subject, "x", null, TestContext.Current.CancellationToken);

        // Assert
        var span = _capture.Spans("send " + _subject).Should().ContainSingle().Subject;
        span.TraceId.Should().Be(ambient.TraceId);
        span.ParentSpanId.Should().Be(ambient.SpanId);
    }

    [Fact]
    public async Task PublishAsync_TransportFails_ProducerSpanHasErrorStatusAndType()
    {
        // Arrange
        _transport.OnPublish = (_, _) => throw new IOException("reset");
        var sut = new PublishPipeline<string>(_transport, Utf8Codec.Instance);

        // Act
        var act = () => sut.PublishAsync(_subject, "x", null, TestContext.Current.CancellationToken).AsTask();

        // Assert
        await act.Should().ThrowAsync<GofluxException>();
        var span = _capture.Spans("send " + _subject).Should().ContainSingle().Subject;
        span.Status.Should().Be(ActivityStatusCode.Error);
        span.GetTagItem("error.type").Should().Be("transport");
    }

    [Fact]
    public async Task PublishAsync_EncoderFails_ProducerSpanHasEncodeErrorType()
    {
        // Arrange
        var sut = new PublishPipeline<string>(_transport, new ThrowingEncoder<string>(new NotSupportedException()));

        // Act
        var act = () => sut.PublishAsync(_subject, "x", null, TestContext.Current.CancellationToken).AsTask();

        // Assert
        await act.Should().ThrowAsync<GofluxException>();
        _capture.Spans("send " + _subject).Should().ContainSingle().Which.GetTagItem("error.type").Should().Be("encode");
    }

    [Fact]
    public async Task PublishAsync_TelemetryDisabled_EmitsNoSpan()
    {
        // Arrange
        var sut = new PublishPipeline<string>(_transport, Utf8Codec.Instance, PublisherOptions.Default with { EnableTelemetry = false });

        // Act
        await sut.PublishAsync(_subject, "x", null, TestContext.Current.CancellationToken);

        // Assert
        _capture.Spans("send " + _subject).Should().BeEmpty();
        _transport.Sent.Single().Headers.Should().BeNull();
    }

    [Fact]
    public async Task ProcessAsync_AmbientActivitySet_ConsumerSpanIsARootLinkedToTheProducer()
    {
        // Arrange
        var ct = TestContext.Current.CancellationToken;
        var publisher = new PublishPipeline<string>(_transport, Utf8Codec.Instance);
        await publisher.PublishAsync(_subject + ".created", "hello", new PublishOptions { MessageId = "id-9" }, ct);
        var producer = _capture.Spans($"send {_subject}.created").Should().ContainSingle().Subject;
        var sut = new DeliveryPipeline<string>(Utf8Codec.Instance, null, _subject + ".*", "worker");
        using var ambient = StartAmbient("subscriber-loop");
        Activity? current = null;

        // Act
        await sut.ProcessAsync(_transport.Sent.Single().ToIncoming(_acker), (_, _) =>
        {
            current = Activity.Current;
            return ValueTask.CompletedTask;
        }, ct);

        // Assert
        var consumer = _capture.Spans($"process {_subject}.*").Should().ContainSingle().Subject;
        consumer.Kind.Should().Be(ActivityKind.Consumer);
        consumer.Parent.Should().BeNull();
        consumer.ParentSpanId.Should().Be(default(ActivitySpanId));
        consumer.TraceId.Should().NotBe(ambient.TraceId);
        consumer.TraceId.Should().NotBe(producer.TraceId);
        var link = consumer.Links.Should().ContainSingle().Subject;
        link.Context.TraceId.Should().Be(producer.TraceId);
        link.Context.SpanId.Should().Be(producer.SpanId);
        current.Should().BeSameAs(consumer);
        Activity.Current.Should().BeSameAs(ambient);
    }

    [Fact]
    public async Task ProcessAsync_SdkListening_ConsumerSpanCarriesMessagingAttributes()
    {
        // Arrange
        var ct = TestContext.Current.CancellationToken;
        var publisher = new PublishPipeline<string>(_transport, Utf8Codec.Instance);
        await publisher.PublishAsync(_subject + ".created", "hello", new PublishOptions { MessageId = "id-9" }, ct);
        var sut = new DeliveryPipeline<string>(Utf8Codec.Instance, null, _subject + ".>", "worker");

        // Act
        await sut.ProcessAsync(_transport.Sent.Single().ToIncoming(_acker), (_, _) => ValueTask.CompletedTask, ct);

        // Assert
        var consumer = _capture.Spans($"process {_subject}.>").Should().ContainSingle().Subject;
        consumer.Source.Name.Should().Be("Goflux");
        consumer.GetTagItem("messaging.system").Should().Be("nats-jetstream");
        consumer.GetTagItem("messaging.operation.name").Should().Be("process");
        consumer.GetTagItem("messaging.operation.type").Should().Be("process");
        consumer.GetTagItem("messaging.destination.name").Should().Be(_subject + ".created");
        consumer.GetTagItem("messaging.destination.subscription.name").Should().Be(_subject + ".>");
        consumer.GetTagItem("messaging.consumer.group.name").Should().Be("worker");
        consumer.GetTagItem("messaging.message.id").Should().Be("id-9");
        consumer.GetTagItem("messaging.message.body.size").Should().Be(5);
        consumer.Status.Should().Be(ActivityStatusCode.Unset);
    }

    [Fact]
    public async Task ProcessAsync_NoConsumerGroup_OmitsTheAttribute()
    {
        // Arrange
        var sut = new DeliveryPipeline<string>(Utf8Codec.Instance, null, _subject, null);

        // Act
        await sut.ProcessAsync(new IncomingMessage(_subject, "x"u8.ToArray(), null, null, _acker), (_, _) => ValueTask.CompletedTask, TestContext.Current.CancellationToken);

        // Assert
        var consumer = _capture.Spans("process " + _subject).Should().ContainSingle().Subject;
        consumer.GetTagItem("messaging.consumer.group.name").Should().BeNull();
        consumer.GetTagItem("messaging.message.id").Should().BeNull();
    }

    [Fact]
    public async Task ProcessAsync_NoTraceparent_ConsumerSpanIsARootWithoutLinks()
    {
        // Arrange
        var sut = new DeliveryPipeline<string>(Utf8Codec.Instance, null, _subject, "worker");
        using var ambient = StartAmbient("ambient");

        // Act
        await sut.ProcessAsync(new IncomingMessage(_subject, "x"u8.ToArray(), null, null, _acker), (_, _) => ValueTask.CompletedTask, TestContext.Current.CancellationToken);

        // Assert
        var consumer = _capture.Spans("process " + _subject).Should().ContainSingle().Subject;
        consumer.Links.Should().BeEmpty();
        consumer.ParentSpanId.Should().Be(default(ActivitySpanId));
    }

    [Fact]
    public async Task ProcessAsync_MalformedTraceparent_ConsumerSpanHasNoLinks()
    {
        // Arrange
        var sut = new DeliveryPipeline<string>(Utf8Codec.Instance, null, _subject, "worker");
        var headers = new MessageHeaders().Add(WireHeaders.TraceParent, "00-not-a-trace-01");

        // Act
        await sut.ProcessAsync(new IncomingMessage(_subject, "x"u8.ToArray(), headers, null, _acker), (_, _) => ValueTask.CompletedTask, TestContext.Current.CancellationToken);

        // Assert
        _capture.Spans("process " + _subject).Should().ContainSingle().Which.Links.Should().BeEmpty();
        _acker.Calls.Should().Equal(new AckCall(AckKind.Ack));
    }

    [Fact]
    public async Task ProcessAsync_HandlerThrows_ConsumerSpanHasErrorStatusAndType()
    {
        // Arrange
        var sut = new DeliveryPipeline<string>(Utf8Codec.Instance, null, _subject, "worker");

        // Act
        await sut.ProcessAsync(new IncomingMessage(_subject, "x"u8.ToArray(), null, null, _acker), (_, _) => throw new TimeoutException("slow"), TestContext.Current.CancellationToken);

        // Assert
        var consumer = _capture.Spans("process " + _subject).Should().ContainSingle().Subject;
        consumer.Status.Should().Be(ActivityStatusCode.Error);
        consumer.StatusDescription.Should().Be("slow");
        consumer.GetTagItem("error.type").Should().Be(nameof(TimeoutException));
    }

    [Fact]
    public async Task ProcessAsync_TelemetryDisabled_EmitsNoSpan()
    {
        // Arrange
        var sut = new DeliveryPipeline<string>(Utf8Codec.Instance, SubscriberOptions.Default with { EnableTelemetry = false }, _subject, "worker");

        // Act
        await sut.ProcessAsync(new IncomingMessage(_subject, "x"u8.ToArray(), null, null, _acker), (_, _) => ValueTask.CompletedTask, TestContext.Current.CancellationToken);

        // Assert
        _capture.Spans("process " + _subject).Should().BeEmpty();
        _acker.Calls.Should().Equal(new AckCall(AckKind.Ack));
    }

    [Fact]
    public async Task ProcessAsync_ProducerBaggage_IsCurrentInsideTheHandler()
    {
        // Arrange
        var ct = TestContext.Current.CancellationToken;
        var publisher = new PublishPipeline<string>(_transport, Utf8Codec.Instance);
        Baggage.SetBaggage("tenant", "acme");
        await publisher.PublishAsync(_subject, "x", null, ct);
        Baggage.ClearBaggage();
        var sut = new DeliveryPipeline<string>(Utf8Codec.Instance, null, _subject, "worker");
        string? seen = null;

        // Act
        await sut.ProcessAsync(_transport.Sent.Single().ToIncoming(_acker), (_, _) =>
        {
            seen = Baggage.GetBaggage("tenant");
            return ValueTask.CompletedTask;
        }, ct);

        // Assert
        _transport.Sent.Single().Headers!["baggage"].Should().Be("tenant=acme");
        seen.Should().Be("acme");
    }

    [Fact]
    public async Task PublishAsync_NoListenerNoAmbientActivityNoIdNoHeaders_SendsNoHeaders()
    {
        // Arrange
        _capture.Dispose();
        Activity.Current = null;
        var sut = new PublishPipeline<string>(_transport, Utf8Codec.Instance);

        // Act
        await sut.PublishAsync(_subject, "x", null, TestContext.Current.CancellationToken);

        // Assert
        _transport.Sent.Single().Headers.Should().BeNull();
    }

    [Fact]
    public async Task PublishAsync_SdkSamplesNothingButAmbientActivityExists_InjectsTheAmbientTrace()
    {
        // Arrange
        _capture.Dispose();
        using var capture = new TelemetryCapture(new AlwaysOffSampler());
        using var ambient = StartAmbient("request");
        var sut = new PublishPipeline<string>(_transport, Utf8Codec.Instance);

        // Act
        await sut.PublishAsync(_subject, "x", null, TestContext.Current.CancellationToken);

        // Assert
        capture.Spans("send " + _subject).Should().BeEmpty();
        _transport.Sent.Single().Headers![WireHeaders.TraceParent].Should().StartWith($"00-{ambient.TraceId}-");
    }

    /// <summary>A sampled ambient activity, so the SDK's parent-based sampler would follow it if goflux parented on it.</summary>
    private static Activity StartAmbient(string name)
    {
        var activity = new Activity(name);
        activity.ActivityTraceFlags = ActivityTraceFlags.Recorded;
        return activity.Start();
    }
}
