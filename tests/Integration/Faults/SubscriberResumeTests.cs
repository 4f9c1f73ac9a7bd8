using System.Collections.Concurrent;
using System.Diagnostics;
using FluentAssertions;
using Goflux.Integration.Tests.JetStream;
using Goflux.JetStream;
using Microsoft.Extensions.Logging;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using NATS.Net;
using Xunit;

namespace Goflux.Integration.Tests.Faults;

/// <summary>
/// A subscription through a server restart, an outage and a hard kill: how soon messages flow again, what the status
/// and the logs say, and what comes again after a SIGKILL rolls the consumer's state back.
/// </summary>
public sealed class SubscriberResumeTests
{
    private static readonly TimeSpan ResumeBound = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task Subscribe_ServerRestarted_MessagesFlowWithin5sOfTheServerBeingReady()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var own = await OwnServer.StartAsync(ct);
        await using var setup = await Setup.CreateAsync(own, "RESTART", ct);
        await setup.PublishAsync(1, ct);
        (await setup.Received.TakeAsync(TimeSpan.FromSeconds(10), ct)).Payload.Id.Should().Be("1");
        await setup.WaitUntilAckedAsync(ct);

        await own.StopAsync(kill: false, ct);
        await own.StartAgainAsync(ct);
        var ready = own.ReadyAt;
        await setup.PublishWithFreshConnectionAsync(own, 2, ct);

        // Delivery is at least once: on a loaded machine the server has been seen to come back without the ack of
        // message 1 (acknowledged and reported so before the stop), and to deliver it again first. What this test
        // bounds is how soon messages flow: message 2 within the bound, whatever came before it.
        var again = 0;
        var second = await setup.Received.TakeAsync(TimeSpan.FromSeconds(30), ct);
        while (second.Payload.Id == "1" && again++ < 3)
        {
            second = await setup.Received.TakeAsync(TimeSpan.FromSeconds(30), ct);
        }

        var resume = Stopwatch.GetElapsedTime(ready);
        second.Payload.Id.Should().Be("2");
        TestContext.Current.SendDiagnosticMessage($"restart: message 2 {resume.TotalSeconds:0.00} s after the server was ready; message 1 again {again} time(s) before it");
        resume.Should().BeLessThan(ResumeBound);
        setup.Subscriber.Status.State.Should().Be(SubscriptionState.Listening);
    }

    [Fact]
    public async Task Subscribe_ServerAway_ReportsInterruptedAndLogsWarning_ThenListeningAndLogsInformation()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var own = await OwnServer.StartAsync(ct);
        await using var setup = await Setup.CreateAsync(own, "OUTAGE", ct);
        await setup.PublishAsync(1, ct);
        await setup.Received.TakeAsync(TimeSpan.FromSeconds(10), ct);
        await setup.WaitUntilAckedAsync(ct);
        var states = new ConcurrentQueue<SubscriptionState>();
        setup.Subscriber.Status.StateChanged += (_, state) => states.Enqueue(state);

        await own.StopAsync(kill: false, ct);
        (await Eventually.TrueAsync(() => Task.FromResult(setup.Subscriber.Status.State == SubscriptionState.Interrupted), TimeSpan.FromSeconds(20), ct))
            .Should().BeTrue("the subscription reports that the server is away");
        setup.Subscriber.Status.Error.Should().BeOfType<GofluxException>().Which.Message.Should().Contain("is interrupted");
        await own.StartAgainAsync(ct);
        var ready = own.ReadyAt;
        await setup.PublishWithFreshConnectionAsync(own, 2, ct);
        (await setup.Received.TakeAsync(TimeSpan.FromSeconds(30), ct)).Payload.Id.Should().Be("2");
        var resume = Stopwatch.GetElapsedTime(ready);
        (await Eventually.TrueAsync(() => Task.FromResult(setup.Subscriber.Status.State == SubscriptionState.Listening), TimeSpan.FromSeconds(20), ct))
            .Should().BeTrue();

        TestContext.Current.SendDiagnosticMessage($"outage: first message {resume.TotalSeconds:0.00} s after the server was ready");
        states.Should().StartWith(SubscriptionState.Interrupted).And.Contain(SubscriptionState.Listening);
        setup.Logs.Should().Contain(e => e.EventId.Id == 107 && e.Level == LogLevel.Warning && e.Message.Contains("is interrupted", StringComparison.Ordinal));
        setup.Logs.Should().Contain(e => e.EventId.Id == 108 && e.Level == LogLevel.Information && e.Message.Contains("resumed", StringComparison.Ordinal));
        resume.Should().BeLessThan(ResumeBound + TimeSpan.FromSeconds(5), "the connection's own reconnect wait (NATS.Net: 2 s, doubling up to 5 s) comes on top of the subscriber's bound");
    }

    [Fact]
    public async Task Subscribe_ServerKilled_NothingLost_RolledBackAcksComeAgainAsFirstDeliveries()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var own = await OwnServer.StartAsync(ct);
        await using var setup = await Setup.CreateAsync(own, "KILL", ct, subscribe: false);
        const int count = 20_000;
        var seen = new ConcurrentDictionary<string, int>();
        var firstDeliveriesSeenBefore = 0;
        var handledBeforeKill = 0;
        setup.OnMessage = message =>
        {
            var times = seen.AddOrUpdate(message.Payload.Id, 1, (_, n) => n + 1);
            if (times > 1 && message.Delivery!.Value.NumDelivered == 1)
            {
                Interlocked.Increment(ref firstDeliveriesSeenBefore);
            }
        };
        await setup.PublishManyAsync(count, ct);
        await setup.SubscribeAsync(ct);

        (await Eventually.TrueAsync(() => Task.FromResult(seen.Count >= count / 10), TimeSpan.FromSeconds(60), ct)).Should().BeTrue();
        await own.StopAsync(kill: true, ct);
        handledBeforeKill = seen.Count;
        await own.StartAgainAsync(ct);
        (await Eventually.TrueAsync(() => Task.FromResult(seen.Count == count), TimeSpan.FromSeconds(90), ct))
            .Should().BeTrue($"every message arrives at least once after the kill (seen {seen.Count} of {count})");

        TestContext.Current.SendDiagnosticMessage(
            $"SIGKILL after {handledBeforeKill} of {count} handled: {Volatile.Read(ref firstDeliveriesSeenBefore)} handled messages came again as first deliveries (NumDelivered 1)");
        seen.Keys.Should().HaveCount(count, "nothing is lost");
    }

    /// <summary>A file-storage stream on the test's own server, a durable consumer and a subscriber on it.</summary>
    private sealed class Setup : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private Task _run = Task.CompletedTask;

        private Setup(NATS.Client.Core.NatsConnection connection, INatsJSContext js, string stream, JetStreamSubscriber<Event> subscriber, string subject, CapturingLogger logger)
        {
            Connection = connection;
            Js = js;
            Stream = stream;
            Subscriber = subscriber;
            Subject = subject;
            Logger = logger;
        }

        public NATS.Client.Core.NatsConnection Connection { get; }

        public INatsJSContext Js { get; }

        public string Stream { get; }

        public JetStreamSubscriber<Event> Subscriber { get; }

        public string Subject { get; }

        public CapturingLogger Logger { get; }

        public IReadOnlyList<CapturingLogger.Entry> Logs => Logger.Entries;

        public Inbox Received { get; } = new();

        public Action<Message<Event>>? OnMessage { get; set; }

        public static async Task<Setup> CreateAsync(OwnServer own, string stream, CancellationToken ct, bool subscribe = true)
        {
            var connection = await own.ConnectAsync(ct);
            var js = connection.CreateJetStreamContext();
            var subject = stream.ToLowerInvariant() + ".events";
            var backend = new JetStreamBackend(js);
            await backend.CreateOrUpdateStreamAsync(new StreamConfig(stream, [stream.ToLowerInvariant() + ".>"]), ct);
            await backend.CreateOrUpdateConsumerAsync(stream, new ConsumerConfig("worker") { AckPolicy = ConsumerConfigAckPolicy.Explicit }, ct);
            var logger = new CapturingLogger();
            var subscriber = (JetStreamSubscriber<Event>)await backend.CreateSubscriberAsync(stream, "worker", EventJsonContext.Codec, SubscriberOptions.Default with { Logger = logger }, ct);
            var setup = new Setup(connection, js, stream, subscriber, subject, logger);
            if (subscribe)
            {
                await setup.SubscribeAsync(ct);
            }

            return setup;
        }

        public async Task SubscribeAsync(CancellationToken ct)
        {
            _run = Subscriber.SubscribeAsync(Subject, (message, _) =>
            {
                OnMessage?.Invoke(message);
                Received.Add(message);
                return ValueTask.CompletedTask;
            }, _stop.Token);
            await Subscriber.Status.WaitForListeningAsync(ct).WaitAsync(TimeSpan.FromSeconds(10), ct);
        }

        /// <summary>
        /// Waits until the server has applied every ack sent so far: the subscriber acks after its handler returns, without
        /// waiting for the server, so a server stopped right after a message was handled can come back without its ack
        /// and deliver the message again.
        /// </summary>
        public async Task WaitUntilAckedAsync(CancellationToken ct)
        {
            var acked = await Eventually.TrueAsync(async () => (await Js.GetConsumerAsync(Stream, "worker", ct)).Info.NumAckPending == 0, TimeSpan.FromSeconds(20), ct);
            acked.Should().BeTrue($"the acks of the messages handled on {Stream} reach the server within 20 s");
        }

        public async Task PublishAsync(int id, CancellationToken ct)
        {
            await using var publisher = new JetStreamPublisher<Event>(Js, EventJsonContext.Codec);
            await publisher.PublishAsync(Subject, new Event(id.ToString(System.Globalization.CultureInfo.InvariantCulture), "e"), cancellationToken: ct);
        }

        public async Task PublishManyAsync(int count, CancellationToken ct)
        {
            await using var publisher = new JetStreamPublisher<Event>(Js, EventJsonContext.Codec);
            var pending = new List<Task>(256);
            for (var i = 1; i <= count; i++)
            {
                pending.Add(publisher.PublishAsync(Subject, new Event(i.ToString(System.Globalization.CultureInfo.InvariantCulture), "e"), new PublishOptions { MessageId = "m-" + i }, ct).AsTask());
                if (pending.Count == 256)
                {
                    await Task.WhenAll(pending);
                    pending.Clear();
                }
            }

            await Task.WhenAll(pending);
        }

        /// <summary>Publishes through a connection opened now, retrying until the restarted server's JetStream answers.</summary>
        public async Task PublishWithFreshConnectionAsync(OwnServer own, int id, CancellationToken ct)
        {
            await using var connection = await own.ConnectAsync(ct);
            await using var publisher = new RetryingPublisher<Event>(
                new JetStreamPublisher<Event>(connection.CreateJetStreamContext(), EventJsonContext.Codec, PublisherOptions.Default with { DeduplicateByMessageId = true }),
                maxAttempts: 100,
                backoff: _ => TimeSpan.FromMilliseconds(50));
            await publisher.PublishAsync(Subject, new Event(id.ToString(System.Globalization.CultureInfo.InvariantCulture), "e"), new PublishOptions { MessageId = "fresh-" + id }, ct);
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            try
            {
                await _run.WaitAsync(TimeSpan.FromSeconds(10));
            }
            catch (Exception ex) when (ex is OperationCanceledException or TimeoutException or GofluxException)
            {
            }

            await Subscriber.DisposeAsync();
            await Connection.DisposeAsync();
            _stop.Dispose();
        }
    }

    /// <summary>Messages handed over by the subscriber, taken one by one with a deadline.</summary>
    private sealed class Inbox
    {
        private readonly System.Threading.Channels.Channel<Message<Event>> _messages = System.Threading.Channels.Channel.CreateUnbounded<Message<Event>>();

        public void Add(Message<Event> message) => _messages.Writer.TryWrite(message);

        public async Task<Message<Event>> TakeAsync(TimeSpan timeout, CancellationToken ct)
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
            deadline.CancelAfter(timeout);
            try
            {
                return await _messages.Reader.ReadAsync(deadline.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new TimeoutException($"No message arrived within {timeout.TotalSeconds} s.");
            }
        }
    }

    /// <summary>An <see cref="ILogger"/> that keeps every entry.</summary>
    private sealed class CapturingLogger : ILogger
    {
        private readonly ConcurrentQueue<Entry> _entries = new();

        public IReadOnlyList<Entry> Entries => [.. _entries];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            _entries.Enqueue(new Entry(logLevel, eventId, formatter(state, exception)));

        public sealed record Entry(LogLevel Level, EventId EventId, string Message);
    }
}
