using System.Diagnostics;
using Goflux.Tests.Fakes;
using Goflux.Transport;

namespace Goflux.Tests.Telemetry;

/// <summary>Trace context without the OpenTelemetry SDK: only a plain <see cref="ActivityListener"/>.</summary>
[Collection(TelemetryCollection.Name)]
public sealed class ActivityListenerTests
{
    private readonly FakeTransportPublisher _transport = new();
    private readonly string _subject = TestSubjects.Unique("listener");

    [Fact]
    public async Task PublishAsync_PlainActivityListenerWithoutSdk_InjectsTraceparentOfTheProducerActivity()
    {
        // Arrange
        var started = new List<Activity>();
        using var listener = Listen(ActivitySamplingResult.AllDataAndRecorded, started);
        var sut = new PublishPipeline<string>(_transport, Utf8Codec.Instance);

        // Act
        await sut.PublishAsync(_subject, "x", null, TestContext.Current.CancellationToken);

        // Assert
        var producer = started.Should().ContainSingle(a => a.DisplayName == "send " + _subject).Subject;
        _transport.Sent.Single().Headers![WireHeaders.TraceParent].Should().Be($"00-{producer.TraceId}-{producer.SpanId}-01");
    }

    [Fact]
    public async Task PublishAsync_ProducerNotSampledButAmbientActivity_InjectsTheAmbientContext()
    {
        // Arrange
        var started = new List<Activity>();
        using var listener = Listen(ActivitySamplingResult.None, started);
        using var ambient = new Activity("request").Start();
        var sut = new PublishPipeline<string>(_transport, Utf8Codec.Instance);

        // Act
        await sut.PublishAsync(_subject, "x", null, TestContext.Current.CancellationToken);

        // Assert
        started.Should().BeEmpty();
        _transport.Sent.Single().Headers![WireHeaders.TraceParent].Should().Be($"00-{ambient.TraceId}-{ambient.SpanId}-00");
    }

    [Fact]
    public async Task PublishAsync_NoListenerButAmbientActivity_InjectsTheAmbientContext()
    {
        // Arrange
        using var ambient = new Activity("request");
        ambient.ActivityTraceFlags = ActivityTraceFlags.Recorded;
        ambient.Start();
        var sut = new PublishPipeline<string>(_transport, Utf8Codec.Instance);

        // Act
        await sut.PublishAsync(_subject, "x", null, TestContext.Current.CancellationToken);

        // Assert
        _transport.Sent.Single().Headers![WireHeaders.TraceParent].Should().Be($"00-{ambient.TraceId}-{ambient.SpanId}-01");
    }

    [Fact]
    public async Task ProcessAsync_PlainActivityListener_ConsumerActivityLinksToTraceparent()
    {
        // Arrange
        var started = new List<Activity>();
        using var listener = Listen(ActivitySamplingResult.AllDataAndRecorded, started);
        var headers = new MessageHeaders().Add(WireHeaders.TraceParent, "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
        var sut = new DeliveryPipeline<string>(Utf8Codec.Instance, null, _subject, "worker");

        // Act
        await sut.ProcessAsync(new IncomingMessage(_subject, "x"u8.ToArray(), headers, null, new RecordingAcker()), (_, _) => ValueTask.CompletedTask, TestContext.Current.CancellationToken);

        // Assert
        var consumer = started.Should().ContainSingle(a => a.DisplayName == "process " + _subject).Subject;
        var link = consumer.Links.Should().ContainSingle().Subject;
        link.Context.TraceId.ToString().Should().Be("0af7651916cd43dd8448eb211c80319c");
        link.Context.SpanId.ToString().Should().Be("b7ad6b7169203331");
        consumer.ParentSpanId.Should().Be(default(ActivitySpanId));
        consumer.TraceId.ToString().Should().NotBe("0af7651916cd43dd8448eb211c80319c");
    }

    private static ActivityListener Listen(ActivitySamplingResult sampling, List<Activity> started)
    {
        var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == GofluxTelemetry.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => sampling,
            ActivityStarted = a =>
            {
                lock (started)
                {
                    started.Add(a);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        return listener;
    }
}
