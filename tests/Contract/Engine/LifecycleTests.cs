using System.Text;
using FluentAssertions;
using Goflux.InMemory;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using NATS.Client.JetStream.Models;
using Xunit;

namespace Goflux.Contract.Tests.Engine;

/// <summary>Cancellation, disposal and throwing listeners on the in-memory engine, as the server and the JetStream
/// adapter do them.</summary>
public sealed class LifecycleTests : IAsyncDisposable
{
    private static readonly byte[] Payload = Encoding.UTF8.GetBytes("x");
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly FakeLogger _log = new();
    private readonly InMemoryJetStream _engine;

    public LifecycleTests() => _engine = new InMemoryJetStream(new InMemoryJetStreamOptions { TimeProvider = _clock, Logger = _log });

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask DisposeAsync() => _engine.DisposeAsync();

    [Fact]
    public async Task Cancel_After20Of200_NoMoreHandlerCalls_BufferedStayPendingAndComeBackAfterAckWait()
    {
        var consumer = await SetUpAsync(c =>
        {
            c.AckWait = TimeSpan.FromSeconds(30);
            c.MaxDeliver = 5;
        });
        await PublishAsync(200);
        using var cts = new CancellationTokenSource();
        var calls = 0;
        var afterCancel = 0;
        await using var subscriber = new InMemorySubscriber<string>(consumer, new Utf8Codec());
        var run = subscriber.SubscribeAsync("s.>", (_, ct) =>
        {
            if (ct.IsCancellationRequested)
            {
                Interlocked.Increment(ref afterCancel);
            }

            if (Interlocked.Increment(ref calls) == 20)
            {
                cts.Cancel();
            }

            ct.ThrowIfCancellationRequested();
            return ValueTask.CompletedTask;
        }, cts.Token);

        await run;
        calls.Should().Be(20);
        afterCancel.Should().Be(0, "no handler is called after cancellation");
        subscriber.Status.State.Should().Be(SubscriptionState.Stopped);
        var info = await consumer.GetInfoAsync(Ct);
        info.NumAckPending.Should().Be(181, "the 180 pulled and unhandled messages and the naked 20th stay pending");
        _engine.Advisories.Should().NotContain(a => a.Type == JetStreamAdvisory.MaxDeliverType);

        await _engine.AdvanceAsync(TimeSpan.FromSeconds(31), Ct); // past the ack wait and the 1 ms check delay
        var again = await consumer.FetchAsync(500, cancellationToken: Ct);
        again.Select(d => d.Metadata.StreamSequence).Should().BeEquivalentTo(Enumerable.Range(20, 181).Select(i => (ulong)i));
    }

    [Fact]
    public async Task DisposeSubscriber_EndsItsSubscriptions_LaterSubscribeThrowsObjectDisposed()
    {
        var consumer = await SetUpAsync();
        await PublishAsync(10);
        var subscriber = new InMemorySubscriber<string>(consumer, new Utf8Codec());
        var handled = 0;
        var run = subscriber.SubscribeAsync("s.>", (_, _) =>
        {
            Interlocked.Increment(ref handled);
            return ValueTask.CompletedTask;
        }, Ct);
        await _engine.WaitForIdleAsync(Ct);

        await subscriber.DisposeAsync();
        await run;
        subscriber.Status.State.Should().Be(SubscriptionState.Stopped);
        await PublishAsync(5);
        await _engine.WaitForIdleAsync(Ct);

        handled.Should().Be(10, "a disposed subscriber handles nothing more");
        var later = () => subscriber.SubscribeAsync("s.>", (_, _) => ValueTask.CompletedTask, Ct);
        await later.Should().ThrowAsync<ObjectDisposedException>();
        (await consumer.GetInfoAsync(Ct)).NumPending.Should().Be(5);
    }

    [Fact]
    public async Task DisposePublisher_LaterPublishThrowsObjectDisposed_NothingStored()
    {
        await SetUpAsync();
        var publisher = new InMemoryPublisher<string>(_engine, new Utf8Codec());
        await publisher.PublishAsync("s.a", "one", cancellationToken: Ct);
        await publisher.DisposeAsync();

        var act = () => publisher.PublishAsync("s.a", "two", cancellationToken: Ct).AsTask();
        await act.Should().ThrowAsync<ObjectDisposedException>();
        (await _engine.GetStreamInfoAsync("S", Ct)).State.Messages.Should().Be(1);
    }

    [Fact]
    public async Task DisposeEngine_UnderLoad_LoopsEndWithObjectDisposedRootedError_IdleFails_LaterAcksFail()
    {
        var consumer = await SetUpAsync(c => c.AckWait = TimeSpan.FromSeconds(30));
        var kept = new List<Message<string>>();
        var subscriber = new InMemorySubscriber<string>(consumer, new Utf8Codec(), new SubscriberOptions { ManualAck = true, MaxMessages = 64 });
        var run = subscriber.SubscribeAsync("s.>", async (m, ct) =>
        {
            lock (kept)
            {
                kept.Add(m);
            }

            if (m.Delivery!.Value.StreamSequence % 2 == 0)
            {
                await m.AckAsync(ct);
            }
        }, Ct);
        // Publishes until the engine refuses: the first publish after disposal must throw (a loop that could also stop on
        // a signal sometimes ended without publishing after the disposal, and so without the error).
        var load = Task.Run(
            async () =>
            {
                var n = 0;
                while (true)
                {
                    await _engine.PublishAsync("s.a", Payload, cancellationToken: Ct);
                    if (++n % 50 == 0)
                    {
                        _clock.Advance(TimeSpan.FromSeconds(31));
                    }
                }
            },
            Ct);
        while (Count(kept) < 500)
        {
            await Task.Yield();
        }

        await _engine.DisposeAsync();
        var ended = await FluentActions.Awaiting(() => run).Should().ThrowAsync<GofluxException>();
        ended.Which.Stage.Should().Be(GofluxStage.Subscribe);
        ended.Which.InnerException.Should().BeOfType<ObjectDisposedException>();
        subscriber.Status.State.Should().Be(SubscriptionState.Faulted);
        await FluentActions.Awaiting(() => load).Should().ThrowAsync<ObjectDisposedException>();

        await FluentActions.Awaiting(() => _engine.WaitForIdleAsync(Ct)).Should().ThrowAsync<ObjectDisposedException>();
        Message<string> unsettled;
        lock (kept)
        {
            unsettled = kept.First(m => !m.IsSettled);
        }

        var ack = await FluentActions.Awaiting(() => unsettled.AckAsync(Ct).AsTask()).Should().ThrowAsync<GofluxException>();
        ack.Which.Stage.Should().Be(GofluxStage.Transport);
        ack.Which.InnerException.Should().BeOfType<ObjectDisposedException>();
        await subscriber.DisposeAsync();
    }

    [Fact]
    public async Task ThrowingAdvisoryListener_TermStillSucceedsAndApplies_FailureIsLogged()
    {
        var consumer = await SetUpAsync();
        var called = 0;
        _engine.AdvisoryRaised += (_, _) => throw new InvalidOperationException("listener broke");
        _engine.AdvisoryRaised += (_, _) => Interlocked.Increment(ref called);
        await PublishAsync(1);
        var d = (await consumer.FetchAsync(1, cancellationToken: Ct)).Single();

        await d.TermAsync("poison", Ct);

        (await consumer.GetInfoAsync(Ct)).NumAckPending.Should().Be(0, "the term was applied");
        called.Should().Be(1, "the next listener still hears of it");
        _engine.Advisories.Should().ContainSingle(a => a.Type == JetStreamAdvisory.TerminatedType);
        _log.Collector.GetSnapshot().Should().ContainSingle(r => r.Level == LogLevel.Error && r.Exception is InvalidOperationException);
    }

    [Fact]
    public async Task ThrowingAdvisoryListener_OnTheTimerPath_ClockMovedFromAnotherThread_EngineCarriesOn()
    {
        var consumer = await SetUpAsync(c =>
        {
            c.AckWait = TimeSpan.FromSeconds(1);
            c.MaxDeliver = 1;
        });
        _engine.AdvisoryRaised += (_, _) => throw new InvalidOperationException("listener broke");
        await PublishAsync(3);
        (await consumer.FetchAsync(3, cancellationToken: Ct)).Should().HaveCount(3);

        await Task.Run(() => _clock.Advance(TimeSpan.FromSeconds(2)), Ct);

        _engine.Advisories.Where(a => a.Type == JetStreamAdvisory.MaxDeliverType).Should().HaveCount(3);
        (await consumer.GetInfoAsync(Ct)).NumAckPending.Should().Be(0);
        _log.Collector.Count.Should().Be(3);
        await PublishAsync(1);
        (await consumer.FetchAsync(1, cancellationToken: Ct)).Should().ContainSingle();
    }

    private static int Count(List<Message<string>> kept)
    {
        lock (kept)
        {
            return kept.Count;
        }
    }

    [Fact]
    public async Task ThrowInsideAnOperation_AfterEffectsWereQueued_EffectsStillRunAndTheNextOperationDelivers()
    {
        // Arrange: a pull request waits; the next publish throws halfway, after storing the message and queuing its
        // hand-off to the request.
        var consumer = await SetUpAsync(c => c.AckWait = TimeSpan.FromSeconds(30));
        var first = consumer.FetchAsync(1, TimeSpan.FromMinutes(1), Ct).AsTask();
        var throwOnce = 1;
        _engine.Context.Probe = point =>
        {
            if (point == "publish" && Interlocked.Exchange(ref throwOnce, 0) == 1)
            {
                throw new InvalidOperationException("injected halfway through a publish");
            }
        };

        // Act
        var publish = () => _engine.PublishAsync("s.a", Payload, cancellationToken: Ct).AsTask();
        await publish.Should().ThrowAsync<InvalidOperationException>();
        var second = consumer.FetchAsync(1, TimeSpan.FromMinutes(1), Ct).AsTask();
        await _engine.PublishAsync("s.a", Payload, cancellationToken: Ct);

        // Assert: the hand-off queued before the throw ran, the lock was released, and the next operation delivers.
        (await first.WaitAsync(TimeSpan.FromSeconds(10), Ct)).Select(d => d.Metadata.StreamSequence).Should().Equal(1UL);
        (await second.WaitAsync(TimeSpan.FromSeconds(10), Ct)).Select(d => d.Metadata.StreamSequence).Should().Equal(2UL);
        var info = await consumer.GetInfoAsync(Ct);
        (info.NumAckPending, info.Delivered.StreamSeq).Should().Be((2, 2UL));
    }

    private async Task<InMemoryConsumer> SetUpAsync(Action<ConsumerConfig>? configure = null)
    {
        await _engine.CreateStreamAsync(new StreamConfig("S", ["s.>"]) { Storage = StreamConfigStorage.Memory }, Ct);
        var config = new ConsumerConfig("c");
        configure?.Invoke(config);
        return await _engine.CreateOrUpdateConsumerAsync("S", config, Ct);
    }

    private async Task PublishAsync(int count)
    {
        for (var i = 0; i < count; i++)
        {
            await _engine.PublishAsync("s.a", Payload, cancellationToken: Ct);
        }
    }
}
