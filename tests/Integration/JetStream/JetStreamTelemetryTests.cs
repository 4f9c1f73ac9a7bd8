using System.Collections.Concurrent;
using System.Diagnostics;
using FluentAssertions;
using Goflux.JetStream;
using Goflux.Testing;
using Xunit;

namespace Goflux.Integration.Tests.JetStream;

public sealed class JetStreamTelemetryTests(NatsServerFixture server)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task SubscribeAsync_WithListener_ConsumerSpanIsRootLinkedToProducerSpan()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var scope = await JetStreamScope.CreateAsync(server, ct);
        var subject = scope.Subject();
        var stopped = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == GofluxTelemetry.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                if (activity.GetTagItem(GofluxTelemetry.Attributes.DestinationName) as string == subject)
                {
                    stopped.Enqueue(activity);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        var consumer = await scope.ConsumerAsync(cancellationToken: ct);
        await using var publisher = new JetStreamPublisher<Event>(scope.Js, EventJsonContext.Codec);
        await using var subscriber = new JetStreamSubscriber<Event>(consumer, EventJsonContext.Codec);

        await publisher.PublishAsync(subject, new Event("1", "traced"), cancellationToken: ct);
        await using var subscription = Subscription<Event>.Start(subscriber, subject, ct);
        await subscription.NextAsync(Wait);
        var complete = await Eventually.TrueAsync(() => Task.FromResult(stopped.Count >= 2), Wait, ct);

        complete.Should().BeTrue("a producer and a consumer activity stop");
        var producer = stopped.Single(a => a.Kind == ActivityKind.Producer);
        var consumerSpan = stopped.Single(a => a.Kind == ActivityKind.Consumer);
        producer.DisplayName.Should().Be($"send {subject}");
        consumerSpan.DisplayName.Should().Be($"process {subject}");
        producer.Source.Name.Should().Be("Goflux");
        consumerSpan.ParentSpanId.Should().Be(default(ActivitySpanId), "the consumer span is a root");
        consumerSpan.Parent.Should().BeNull();
        consumerSpan.TraceId.Should().NotBe(producer.TraceId);
        var link = consumerSpan.Links.Should().ContainSingle().Subject;
        link.Context.TraceId.Should().Be(producer.TraceId);
        link.Context.SpanId.Should().Be(producer.SpanId);
        producer.GetTagItem(GofluxTelemetry.Attributes.System).Should().Be("nats-jetstream");
        consumerSpan.GetTagItem(GofluxTelemetry.Attributes.System).Should().Be("nats-jetstream");
        consumerSpan.GetTagItem(GofluxTelemetry.Attributes.ConsumerGroup).Should().Be("c");
    }
}
