using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json.Serialization;
using FluentAssertions;
using Goflux.Codecs;
using Goflux.InMemory;
using NATS.Client.JetStream.Models;
using Xunit;

namespace Goflux.Contract.Tests;

/// <summary>The payload of the goflux-level scenarios.</summary>
public sealed record Event(string Id, string Name);

/// <summary>Source-generated JSON metadata for <see cref="Event"/>.</summary>
[JsonSerializable(typeof(Event))]
internal sealed partial class ContractJson : JsonSerializerContext;

/// <summary>
/// Goflux-level scenarios: typed publishers and subscribers over either backend, through the shared publish and delivery
/// pipelines (encoding, wire headers, decode failures, auto-ack, spans).
/// </summary>
public abstract partial class ContractSuite
{
    private static readonly JsonCodec<Event> Codec = new(ContractJson.Default.Event);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task G1_RoundTrip_SubjectPayloadHeadersIdAndDeliveryInfo()
    {
        var (stream, prefix) = Unique("G1");
        await StreamAsync(stream, prefix);
        await ConsumerAsync(stream, "c");
        await using var publisher = B.CreatePublisher(Codec);
        var headers = new MessageHeaders().Add("Tenant", "acme").Add("Tenant", "beta").Add("Trace-Note", "x");
        var r1 = await publisher.PublishAsync(prefix + ".orders", new Event("1", "created"), new PublishOptions { MessageId = "id-1", Headers = headers }, cancellationToken: Ct);
        var r2 = await publisher.PublishAsync(prefix + ".orders", new Event("2", "shipped"), cancellationToken: Ct);
        r1.Should().Be(new PublishResult(stream, 1, false));
        r2.Should().Be(new PublishResult(stream, 2, false));

        var got = new ConcurrentQueue<Message<Event>>();
        await using var run = await SubscribeAsync(stream, "c", prefix + ".>", (m, _) =>
        {
            got.Enqueue(m);
            return ValueTask.CompletedTask;
        });
        await B.EventuallyAsync(() => Task.FromResult(got.Count), n => n >= 2);

        var msgs = got.ToArray();
        msgs.Should().HaveCount(2);
        var first = msgs[0];
        first.Subject.Should().Be(prefix + ".orders");
        first.Payload.Should().Be(new Event("1", "created"));
        first.MessageId.Should().Be("id-1");
        first.Headers.Names.Should().BeEquivalentTo("Tenant", "Trace-Note");
        first.Headers.TryGetValues("Tenant", out var tenants).Should().BeTrue();
        tenants.Should().Equal("acme", "beta");
        first.Headers["Trace-Note"].Should().Be("x");
        first.Headers.Names.Should().NotContain(n => n.StartsWith("X-", StringComparison.OrdinalIgnoreCase) || n == "traceparent");
        first.Delivery.Should().NotBeNull();
        var d1 = first.Delivery!.Value;
        (d1.Stream, d1.Consumer, d1.StreamSequence, d1.ConsumerSequence, d1.NumDelivered, d1.NumPending)
            .Should().Be((stream, "c", 1UL, 1UL, 1UL, 1UL));
        d1.Redelivered.Should().BeFalse();

        var second = msgs[1];
        second.Payload.Should().Be(new Event("2", "shipped"));
        second.MessageId.Should().BeNull();
        second.Headers.Count.Should().Be(0);
        var d2 = second.Delivery!.Value;
        (d2.StreamSequence, d2.ConsumerSequence, d2.NumDelivered, d2.NumPending).Should().Be((2UL, 2UL, 1UL, 0UL));
    }

    [Fact]
    public async Task G2_AutoAck_AcksWhenTheHandlerReturns()
    {
        var (stream, prefix) = Unique("G2");
        await StreamAsync(stream, prefix);
        await ConsumerAsync(stream, "c", c => c.AckWait = TimeSpan.FromSeconds(30));
        await using var publisher = B.CreatePublisher(Codec);
        for (var i = 1; i <= 3; i++)
        {
            await publisher.PublishAsync(prefix + ".a", new Event(i.ToString(System.Globalization.CultureInfo.InvariantCulture), "n"), cancellationToken: Ct);
        }

        var handled = 0;
        await using var run = await SubscribeAsync(stream, "c", prefix + ".>", (_, _) =>
        {
            Interlocked.Increment(ref handled);
            return ValueTask.CompletedTask;
        });
        var info = await B.EventuallyAsync(() => B.GetConsumerInfoAsync(stream, "c"), i => i.NumAckPending == 0 && i.AckFloor?.StreamSeq == 3);
        Volatile.Read(ref handled).Should().Be(3);
        Counters(info).Should().Be("delivered=3/3 ack_floor=3/3 ack_pending=0 pending=0 redelivered=0");
    }

    [Fact]
    public async Task G3_HandlerThrows_NakThenRedeliveredOnce()
    {
        var (stream, prefix) = Unique("G3");
        await StreamAsync(stream, prefix);
        await ConsumerAsync(stream, "c", c => c.AckWait = TimeSpan.FromSeconds(30));
        await using var publisher = B.CreatePublisher(Codec);
        await publisher.PublishAsync(prefix + ".a", new Event("1", "boom"), cancellationToken: Ct);

        var deliveries = new ConcurrentQueue<DeliveryInfo>();
        await using var run = await SubscribeAsync(stream, "c", prefix + ".>", (m, _) =>
        {
            deliveries.Enqueue(m.Delivery!.Value);
            return m.Delivery!.Value.NumDelivered == 1 ? throw new InvalidOperationException("first attempt fails") : ValueTask.CompletedTask;
        });
        var info = await B.EventuallyAsync(() => B.GetConsumerInfoAsync(stream, "c"), i => i.NumAckPending == 0 && i.Delivered?.ConsumerSeq == 2);

        deliveries.Select(d => (d.StreamSequence, d.ConsumerSequence, d.NumDelivered)).Should().Equal((1UL, 1UL, 1UL), (1UL, 2UL, 2UL));
        deliveries.Last().Redelivered.Should().BeTrue();
        Counters(info).Should().Be("delivered=2/1 ack_floor=2/1 ack_pending=0 pending=0 redelivered=0");
        var naks = await B.AdvisoriesAsync(stream, atLeast: 1);
        naks.Should().ContainSingle(a => a.Type == JetStreamAdvisory.NakType).Which.StreamSequence.Should().Be(1);
    }

    [Fact]
    public async Task G4_ManualNakWithDelay_RedeliveredAfterTheDelayNotBefore()
    {
        var (stream, prefix) = Unique("G4");
        await StreamAsync(stream, prefix);
        await ConsumerAsync(stream, "c", c => c.AckWait = TimeSpan.FromSeconds(30));
        await using var publisher = B.CreatePublisher(Codec);
        await publisher.PublishAsync(prefix + ".a", new Event("1", "later"), cancellationToken: Ct);

        var deliveries = new ConcurrentQueue<ulong>();
        var settled = 0;
        await using var run = await SubscribeAsync(
            stream,
            "c",
            prefix + ".>",
            async (m, ct) =>
            {
                deliveries.Enqueue(m.Delivery!.Value.NumDelivered);
                if (m.Delivery!.Value.NumDelivered == 1)
                {
                    await m.NakAsync(TimeSpan.FromSeconds(1), ct);
                }
                else
                {
                    await m.AckAsync(ct);
                }

                Interlocked.Increment(ref settled);
            },
            new SubscriberOptions { ManualAck = true });

        await B.EventuallyAsync(() => Task.FromResult(Volatile.Read(ref settled)), n => n >= 1);
        await B.LetTimePassAsync(TimeSpan.FromMilliseconds(500));
        deliveries.Should().Equal([1UL], "a nak with a 1 s delay must not come back after 0.5 s");

        await B.LetTimePassAsync(TimeSpan.FromMilliseconds(700));
        await B.EventuallyAsync(() => Task.FromResult(Volatile.Read(ref settled)), n => n >= 2);
        deliveries.Should().Equal(1UL, 2UL);
        var info = await B.EventuallyAsync(() => B.GetConsumerInfoAsync(stream, "c"), i => i.NumAckPending == 0);
        Counters(info).Should().Be("delivered=2/1 ack_floor=2/1 ack_pending=0 pending=0 redelivered=0");
    }

    [Fact]
    public async Task G5_TermWithReason_NoRedeliveryAndAdvisoryWithReason()
    {
        var (stream, prefix) = Unique("G5");
        await StreamAsync(stream, prefix);
        await ConsumerAsync(stream, "c", c => c.AckWait = TimeSpan.FromSeconds(1));
        await using var publisher = B.CreatePublisher(Codec);
        await publisher.PublishAsync(prefix + ".a", new Event("1", "poison"), cancellationToken: Ct);

        var deliveries = 0;
        await using var run = await SubscribeAsync(
            stream,
            "c",
            prefix + ".>",
            async (m, ct) =>
            {
                Interlocked.Increment(ref deliveries);
                await m.TermAsync("unknown customer", ct);
            },
            new SubscriberOptions { ManualAck = true });

        var advisories = await B.EventuallyAsync(() => B.AdvisoriesAsync(stream), l => l.Any(a => a.Type == JetStreamAdvisory.TerminatedType));
        var term = advisories.Should().ContainSingle(a => a.Type == JetStreamAdvisory.TerminatedType).Subject;
        (term.StreamSequence, term.ConsumerSequence, term.Deliveries, term.Reason, term.Consumer).Should().Be((1UL, (ulong?)1UL, 1UL, "unknown customer", "c"));

        await B.LetTimePassAsync(TimeSpan.FromSeconds(1.5)); // past the ack wait: a terminated message stays gone
        await B.EventuallyAsync(() => Task.FromResult(0), _ => true);
        Volatile.Read(ref deliveries).Should().Be(1);
        Counters(await B.GetConsumerInfoAsync(stream, "c")).Should().Be("delivered=1/1 ack_floor=1/1 ack_pending=0 pending=0 redelivered=0");
    }

    [Fact]
    public async Task G6_DecodeFailure_TermsAndTheHandlerNeverRuns()
    {
        var (stream, prefix) = Unique("G6");
        await StreamAsync(stream, prefix);
        await ConsumerAsync(stream, "c", c => c.AckWait = TimeSpan.FromSeconds(30));
        await B.PublishAsync(prefix + ".a", Bytes("not json"));
        await using var publisher = B.CreatePublisher(Codec);
        await publisher.PublishAsync(prefix + ".a", new Event("2", "fine"), cancellationToken: Ct);

        var handled = new ConcurrentQueue<string>();
        await using var run = await SubscribeAsync(stream, "c", prefix + ".>", (m, _) =>
        {
            handled.Enqueue(m.Payload.Id);
            return ValueTask.CompletedTask;
        });
        var info = await B.EventuallyAsync(() => B.GetConsumerInfoAsync(stream, "c"), i => i.NumAckPending == 0 && i.AckFloor?.StreamSeq == 2);
        handled.Should().Equal("2");
        Counters(info).Should().Be("delivered=2/2 ack_floor=2/2 ack_pending=0 pending=0 redelivered=0");

        var advisories = await B.AdvisoriesAsync(stream, atLeast: 1);
        var term = advisories.Should().ContainSingle(a => a.Type == JetStreamAdvisory.TerminatedType).Subject;
        term.StreamSequence.Should().Be(1);
        term.Reason.Should().StartWith("decode failed: ");
    }

    [Fact]
    public async Task G7_DuplicatePublishWithDeduplicateByMessageId_ReportsDuplicate()
    {
        var (stream, prefix) = Unique("G7");
        await StreamAsync(stream, prefix);
        await using var dedup = B.CreatePublisher(Codec, new PublisherOptions { DeduplicateByMessageId = true });
        await using var plain = B.CreatePublisher(Codec);

        var first = await dedup.PublishAsync(prefix + ".a", new Event("1", "once"), new PublishOptions { MessageId = "order-1" }, cancellationToken: Ct);
        var again = await dedup.PublishAsync(prefix + ".a", new Event("1", "twice"), new PublishOptions { MessageId = "order-1" }, cancellationToken: Ct);
        var other = await dedup.PublishAsync(prefix + ".a", new Event("2", "other"), new PublishOptions { MessageId = "order-2" }, cancellationToken: Ct);
        var undeduplicated = await plain.PublishAsync(prefix + ".a", new Event("1", "no dedup"), new PublishOptions { MessageId = "order-1" }, cancellationToken: Ct);

        first.Should().Be(new PublishResult(stream, 1, false));
        again.Should().Be(new PublishResult(stream, 1, true));
        other.Should().Be(new PublishResult(stream, 2, false));
        undeduplicated.Should().Be(new PublishResult(stream, 3, false), "without the option the id travels only as X-Message-ID");
        (await B.GetStreamInfoAsync(stream)).State.Messages.Should().Be(3);
    }

    [Fact]
    public async Task G8_CancellingTheSubscription_EndsTheTask()
    {
        var (stream, prefix) = Unique("G8");
        await StreamAsync(stream, prefix);
        await ConsumerAsync(stream, "c");
        await using var publisher = B.CreatePublisher(Codec);
        await publisher.PublishAsync(prefix + ".a", new Event("1", "n"), cancellationToken: Ct);

        var handled = 0;
        var run = await SubscribeAsync(stream, "c", prefix + ".>", (_, _) =>
        {
            Interlocked.Increment(ref handled);
            return ValueTask.CompletedTask;
        });
        await B.EventuallyAsync(() => Task.FromResult(Volatile.Read(ref handled)), n => n >= 1);
        run.Task.IsCompleted.Should().BeFalse("a subscription runs until it is cancelled");

        await run.Cts.CancelAsync();
        var ended = await Task.WhenAny(run.Task, Task.Delay(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken));
        ended.Should().BeSameAs(run.Task, "cancelling the token ends the subscription");
        run.Task.IsCompletedSuccessfully.Should().BeTrue();
        await run.DisposeAsync();
    }

    /// <summary>
    /// The pull window decides where a naked message comes back. NATS.Net's <c>ConsumeAsync</c> (the oracle, with the real
    /// server) asks for <c>MaxMessages</c> at first and tops the window up when half of it is used, counting a message once
    /// the handler is done with it: with a window of 1000 the whole backlog is already on its way when the nak arrives, so
    /// the naked message comes back last; with a window of 1 the next pull leaves after the nak, so it comes back at once.
    /// The handler waits for the nak advisory before returning: the server applies a nak through the consumer's ack queue
    /// and a pull request directly, so without the wait the pull can overtake the nak.
    /// </summary>
    [Theory]
    [InlineData(1, "1/1 1/2 2/1 3/1 4/1 5/1")]
    [InlineData(1000, "1/1 2/1 3/1 4/1 5/1 1/2")]
    public async Task G9_PullWindow_DecidesWhereANakedMessageComesBack(int maxMessages, string expected)
    {
        var (stream, prefix) = Unique("G9");
        await StreamAsync(stream, prefix);
        await ConsumerAsync(stream, "c", c => c.AckWait = TimeSpan.FromSeconds(30));
        await using var publisher = B.CreatePublisher(Codec);
        for (var i = 1; i <= 5; i++)
        {
            await publisher.PublishAsync(prefix + ".a", new Event(i.ToString(System.Globalization.CultureInfo.InvariantCulture), "n"), cancellationToken: Ct);
        }

        var order = new ConcurrentQueue<string>();
        var nakApplied = false;
        await using var run = await SubscribeAsync(
            stream,
            "c",
            prefix + ".>",
            async (m, ct) =>
            {
                var n = m.Delivery!.Value.NumDelivered;
                order.Enqueue($"{m.Payload.Id}/{n}");
                if (m.Payload.Id == "1" && n == 1)
                {
                    await m.NakAsync(ct);
                    var naks = await B.AdvisoriesAsync(stream, atLeast: 1); // in memory: applied already
                    nakApplied = naks.Any(a => a.Type == JetStreamAdvisory.NakType);
                }
                else
                {
                    await m.AckAsync(ct);
                }
            },
            new SubscriberOptions { MaxMessages = maxMessages, ManualAck = true });
        var info = await B.EventuallyAsync(() => B.GetConsumerInfoAsync(stream, "c"), i => i.NumAckPending == 0 && i.AckFloor?.StreamSeq == 5);

        nakApplied.Should().BeTrue();
        string.Join(' ', order).Should().Be(expected);
        Counters(info).Should().Be("delivered=6/5 ack_floor=6/5 ack_pending=0 pending=0 redelivered=0");
    }

    [Fact]
    public async Task G10_Spans_ProducerSendAndRootConsumerProcessLinkedToIt()
    {
        var (stream, prefix) = Unique("G10");
        var subject = prefix + ".spans";
        await StreamAsync(stream, prefix);
        await ConsumerAsync(stream, "c");

        var stopped = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == GofluxTelemetry.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a =>
            {
                if (a.DisplayName.EndsWith(" " + subject, StringComparison.Ordinal))
                {
                    stopped.Enqueue(a);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);

        await using var publisher = B.CreatePublisher(Codec);
        var previous = Activity.Current;
        Activity.Current = null;
        try
        {
            await publisher.PublishAsync(subject, new Event("1", "traced"), cancellationToken: Ct);
        }
        finally
        {
            Activity.Current = previous;
        }

        var handled = 0;
        await using (var run = await SubscribeAsync(stream, "c", subject, (_, _) =>
        {
            Interlocked.Increment(ref handled);
            return ValueTask.CompletedTask;
        }))
        {
            await B.EventuallyAsync(() => Task.FromResult(stopped.Count(a => a.Kind == ActivityKind.Consumer)), n => n >= 1);
        }

        Volatile.Read(ref handled).Should().Be(1);
        var producer = stopped.Should().ContainSingle(a => a.Kind == ActivityKind.Producer).Subject;
        var consumer = stopped.Should().ContainSingle(a => a.Kind == ActivityKind.Consumer).Subject;

        producer.DisplayName.Should().Be("send " + subject);
        producer.Source.Name.Should().Be("Goflux");
        producer.GetTagItem("messaging.system").Should().Be("nats-jetstream");
        producer.GetTagItem("messaging.destination.name").Should().Be(subject);

        consumer.DisplayName.Should().Be("process " + subject);
        consumer.GetTagItem("messaging.system").Should().Be("nats-jetstream");
        consumer.GetTagItem("messaging.destination.name").Should().Be(subject);
        consumer.ParentSpanId.Should().Be(default(ActivitySpanId), "a consumer span is a root");
        consumer.Parent.Should().BeNull();
        consumer.TraceId.Should().NotBe(producer.TraceId);
        var link = consumer.Links.Should().ContainSingle().Subject;
        link.Context.TraceId.Should().Be(producer.TraceId);
        link.Context.SpanId.Should().Be(producer.SpanId);
    }

    /// <summary>Starts a subscription in the background; disposing it cancels the subscription and waits for it to end.</summary>
    private async Task<RunningSubscription> SubscribeAsync(string stream, string consumer, string subject, MessageHandler<Event> handler, SubscriberOptions? options = null)
    {
        var subscriber = await B.CreateSubscriberAsync(stream, consumer, Codec, options);
        var cts = new CancellationTokenSource();
        // Called directly, not through Task.Run: the subscription has pulled (in memory: taken its first deliveries) before
        // this returns, so EventuallyAsync cannot see an idle engine that simply has not started yet.
        var task = subscriber.SubscribeAsync(subject, handler, cts.Token);
        return new RunningSubscription(subscriber, cts, task);
    }

    private sealed class RunningSubscription(ISubscriber<Event> subscriber, CancellationTokenSource cts, Task task) : IAsyncDisposable
    {
        private int _disposed;

        public CancellationTokenSource Cts { get; } = cts;

        public Task Task { get; } = task;

        public async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0)
            {
                return;
            }

            await Cts.CancelAsync();
            try
            {
                await Task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
            }
            finally
            {
                await subscriber.DisposeAsync();
                Cts.Dispose();
            }
        }
    }
}
