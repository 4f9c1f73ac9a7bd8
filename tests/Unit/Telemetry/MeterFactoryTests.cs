using Goflux.Tests.Fakes;
using Goflux.Transport;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace Goflux.Tests.Telemetry;

/// <summary>
/// Metrics go to the meter of the options' <see cref="IMeterFactory"/> when one is set (a host's or a test's scope), and
/// every metric names the stream and consumer it belongs to.
/// </summary>
public sealed class MeterFactoryTests
{
    private readonly string _subject = TestSubjects.Unique("meters");

    [Fact]
    public async Task PublishAsync_WithMeterFactory_RecordsOnThatFactoryOnlyWithTheStream()
    {
        // Arrange
        using var mine = new TestMeterFactory();
        using var other = new TestMeterFactory();
        using var sent = new MetricCollector<long>(mine, GofluxTelemetry.SourceName, GofluxTelemetry.Metrics.SentMessages);
        using var elsewhere = new MetricCollector<long>(other, GofluxTelemetry.SourceName, GofluxTelemetry.Metrics.SentMessages);
        var transport = new FakeTransportPublisher { OnPublish = (_, _) => new(new PublishResult("ORDERS", 7, false)) };
        var sut = new PublishPipeline<string>(transport, Utf8Codec.Instance, PublisherOptions.Default with { MeterFactory = mine });

        // Act
        await sut.PublishAsync(_subject, "a", null, TestContext.Current.CancellationToken);

        // Assert
        var point = sent.GetMeasurementSnapshot().Should().ContainSingle().Subject;
        point.Value.Should().Be(1);
        point.Tags.Should().Contain(GofluxTelemetry.Attributes.Stream, "ORDERS")
            .And.Contain(GofluxTelemetry.Attributes.DestinationName, _subject);
        elsewhere.GetMeasurementSnapshot().Should().BeEmpty();
    }

    [Fact]
    public async Task ProcessAsync_WithMeterFactory_EveryMetricCarriesStreamAndConsumer()
    {
        // Arrange
        using var factory = new TestMeterFactory();
        using var consumed = new MetricCollector<long>(factory, GofluxTelemetry.SourceName, GofluxTelemetry.Metrics.ConsumedMessages);
        using var outcomes = new MetricCollector<long>(factory, GofluxTelemetry.SourceName, GofluxTelemetry.Metrics.AckOutcome);
        using var durations = new MetricCollector<double>(factory, GofluxTelemetry.SourceName, GofluxTelemetry.Metrics.ProcessDuration);
        var sut = new DeliveryPipeline<string>(Utf8Codec.Instance, SubscriberOptions.Default with { MeterFactory = factory }, _subject, "billing");
        var delivery = new DeliveryInfo("ORDERS", "billing", 1, 1, 1, 0, DateTimeOffset.UnixEpoch);

        // Act
        await sut.ProcessAsync(new IncomingMessage(_subject, "x"u8.ToArray(), null, delivery, new RecordingAcker()), (_, _) => ValueTask.CompletedTask, TestContext.Current.CancellationToken);

        // Assert
        foreach (var tags in new[]
        {
            consumed.GetMeasurementSnapshot().Should().ContainSingle().Subject.Tags,
            outcomes.GetMeasurementSnapshot().Should().ContainSingle().Subject.Tags,
            durations.GetMeasurementSnapshot().Should().ContainSingle().Subject.Tags,
        })
        {
            tags.Should().Contain(GofluxTelemetry.Attributes.Stream, "ORDERS")
                .And.Contain(GofluxTelemetry.Attributes.ConsumerGroup, "billing");
        }
    }

    [Fact]
    public async Task ProcessAsync_WithoutMeterFactory_RecordsNothingOnAFactory()
    {
        // Arrange
        using var factory = new TestMeterFactory();
        using var consumed = new MetricCollector<long>(factory, GofluxTelemetry.SourceName, GofluxTelemetry.Metrics.ConsumedMessages);
        var sut = new DeliveryPipeline<string>(Utf8Codec.Instance, null, _subject, "billing");

        // Act
        await sut.ProcessAsync(new IncomingMessage(_subject, "x"u8.ToArray(), null, null, new RecordingAcker()), (_, _) => ValueTask.CompletedTask, TestContext.Current.CancellationToken);

        // Assert
        consumed.GetMeasurementSnapshot().Should().BeEmpty();
    }
}
