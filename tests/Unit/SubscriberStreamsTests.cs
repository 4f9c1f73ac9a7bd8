using System.Text;
using System.Threading.Channels;
using Goflux.Streaming;
using Goflux.Tests.Fakes;
using Goflux.Transport;

namespace Goflux.Tests;

public class SubscriberStreamsTests
{
    private readonly PipelineSubscriber<string> _subscriber = new(Utf8Codec.Instance, SubscriberOptions.Default with { EnableTelemetry = false });

    [Fact]
    public async Task ToChannel_DeliveredMessages_ArriveUnsettledDespiteSubscriberAutoAck()
    {
        // Arrange
        var ct = TestContext.Current.CancellationToken;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var (a, ackerA) = Incoming("a");
        var (b, ackerB) = Incoming("b");
        _subscriber.Deliver(a, b);

        // Act
        var reader = _subscriber.ToChannel("orders.>", 10, cts.Token);
        await _subscriber.WaitForProcessedAsync(2, ct);
        var first = await reader.ReadAsync(ct);
        var second = await reader.ReadAsync(ct);

        // Assert
        first.Payload.Should().Be("a");
        second.Payload.Should().Be("b");
        ackerA.Calls.Should().BeEmpty("the pipeline finished but must not auto-ack a bridged message");
        ackerB.Calls.Should().BeEmpty();
        first.IsSettled.Should().BeFalse();
        await first.AckAsync(ct);
        await second.NakAsync(ct);
        ackerA.Calls.Should().Equal(new AckCall(AckKind.Ack));
        ackerB.Calls.Should().Equal(new AckCall(AckKind.Nak));
        await cts.CancelAsync();
    }

    [Fact]
    public async Task ToChannel_Cancelled_ReaderCompletesWithoutError()
    {
        // Arrange
        var ct = TestContext.Current.CancellationToken;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var reader = _subscriber.ToChannel("orders.>", 1, cts.Token);

        // Act
        await cts.CancelAsync();
        await reader.Completion.WaitAsync(ct);

        // Assert
        reader.Completion.IsCompletedSuccessfully.Should().BeTrue();
    }

    [Fact]
    public async Task ToChannel_SubscriptionFails_ReaderCompletesWithTheError()
    {
        // Arrange
        var ct = TestContext.Current.CancellationToken;
        var error = new GofluxException(GofluxStage.Subscribe, "consumer deleted");
        _subscriber.FailWith = error;

        // Act
        var reader = _subscriber.ToChannel("orders.>", 1, ct);
        var act = () => reader.Completion.WaitAsync(ct);

        // Assert
        (await act.Should().ThrowAsync<GofluxException>()).Which.Should().BeSameAs(error);
    }

    [Fact]
    public void ToChannel_InvalidArguments_Throw()
    {
        // Act
        var noSubscriber = () => SubscriberStreams.ToChannel<string>(null!, "a", 1, default);
        var badSubject = () => _subscriber.ToChannel("a.>.b", 1, default);
        var zeroCapacity = () => _subscriber.ToChannel("a", 0, default);

        // Assert
        noSubscriber.Should().Throw<ArgumentNullException>();
        badSubject.Should().Throw<ArgumentException>();
        zeroCapacity.Should().Throw<ArgumentOutOfRangeException>();
        _subscriber.Calls.Should().BeEmpty();
    }

    [Fact]
    public async Task ToAsyncEnumerable_Messages_YieldedInOrderUnsettledAndEndsOnCancel()
    {
        // Arrange
        var ct = TestContext.Current.CancellationToken;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var incoming = Enumerable.Range(0, 5).Select(i => Incoming($"m{i}")).ToList();
        _subscriber.Deliver([.. incoming.Select(x => x.Message)]);
        var received = new List<Message<string>>();

        // Act
        await foreach (var message in _subscriber.ToAsyncEnumerable("orders.>", 2, cts.Token))
        {
            received.Add(message);
            if (received.Count == 5)
            {
                await _subscriber.WaitForProcessedAsync(5, ct);
                await cts.CancelAsync();
            }
        }

        // Assert
        received.Select(m => m.Payload).Should().Equal("m0", "m1", "m2", "m3", "m4");
        incoming.Should().AllSatisfy(x => x.Acker.Calls.Should().BeEmpty());
    }

    [Fact]
    public async Task ToAsyncEnumerable_ConsumerBreaksEarly_StopsTheSubscription()
    {
        // Arrange
        var ct = TestContext.Current.CancellationToken;
        _subscriber.Deliver(Incoming("m0").Message, Incoming("m1").Message);
        string? first = null;

        // Act
        await foreach (var message in _subscriber.ToAsyncEnumerable("orders.>", 4, ct))
        {
            first = message.Payload;
            break;
        }

        // Assert
        first.Should().Be("m0");
        _subscriber.Calls.Should().ContainSingle().Which.CancellationToken.IsCancellationRequested.Should().BeTrue("nobody reads the stream any more, so the subscription must not keep pulling messages");
    }

    [Fact]
    public async Task ProcessAsync_ManyMessages_NeverRunsMoreThanConcurrencyAtOnce()
    {
        // Arrange
        const int Concurrency = 3;
        const int Total = 12;
        var ct = TestContext.Current.CancellationToken;
        var channel = Channel.CreateUnbounded<Message<string>>();
        var ackers = new List<RecordingAcker>();
        for (var i = 0; i < Total; i++)
        {
            var acker = new RecordingAcker();
            ackers.Add(acker);
            channel.Writer.TryWrite(new Message<string>("a", $"m{i}", acker: acker));
        }

        channel.Writer.Complete();
        var entered = Channel.CreateUnbounded<string>();
        using var gate = new SemaphoreSlim(0);
        var current = 0;
        var max = 0;

        // Act
        var processing = channel.Reader.ProcessAsync(Concurrency, async (m, token) =>
        {
            var now = Interlocked.Increment(ref current);
            InterlockedMax(ref max, now);
            entered.Writer.TryWrite(m.Payload);
            await gate.WaitAsync(token);
            Interlocked.Decrement(ref current);
        }, ct);

        for (var i = 0; i < Concurrency; i++)
        {
            await entered.Reader.ReadAsync(ct);
        }

        var saturated = Volatile.Read(ref current);
        for (var i = Concurrency; i < Total; i++)
        {
            gate.Release();
            await entered.Reader.ReadAsync(ct);
        }

        gate.Release(Concurrency);
        await processing.WaitAsync(ct);

        // Assert
        saturated.Should().Be(Concurrency);
        max.Should().Be(Concurrency);
        ackers.Should().AllSatisfy(a => a.Calls.Should().Equal(new AckCall(AckKind.Ack)));
    }

    [Fact]
    public async Task ProcessAsync_HandlerReturnsOrThrowsOrSettles_AcksNaksOrLeavesAlone()
    {
        // Arrange
        var ct = TestContext.Current.CancellationToken;
        var channel = Channel.CreateUnbounded<Message<string>>();
        var ackers = new Dictionary<string, RecordingAcker>();
        foreach (var payload in new[] { "ok", "throw", "term", "term-then-throw" })
        {
            ackers[payload] = new RecordingAcker();
            channel.Writer.TryWrite(new Message<string>("a", payload, acker: ackers[payload]));
        }

        channel.Writer.Complete();

        // Act
        await channel.Reader.ProcessAsync(2, async (m, token) =>
        {
            switch (m.Payload)
            {
                case "throw":
                    throw new InvalidOperationException();
                case "term":
                    await m.TermAsync("handled", token);
                    break;
                case "term-then-throw":
                    await m.TermAsync("handled", token);
                    throw new InvalidOperationException();
            }
        }, ct).WaitAsync(ct);

        // Assert
        ackers["ok"].Calls.Should().Equal(new AckCall(AckKind.Ack));
        ackers["throw"].Calls.Should().Equal(new AckCall(AckKind.Nak));
        ackers["term"].Calls.Should().Equal(new AckCall(AckKind.Term, Reason: "handled"));
        ackers["term-then-throw"].Calls.Should().Equal(new AckCall(AckKind.Term, Reason: "handled"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ProcessAsync_SettlingOneMessageFails_KeepsProcessingTheRest(bool handlerThrows)
    {
        // Arrange
        var ct = TestContext.Current.CancellationToken;
        var channel = Channel.CreateUnbounded<Message<string>>();
        var failing = new RecordingAcker { FailWith = new IOException("connection closed") };
        var healthy = new RecordingAcker();
        channel.Writer.TryWrite(new Message<string>("a", "first", acker: failing));
        channel.Writer.TryWrite(new Message<string>("a", "second", acker: healthy));
        channel.Writer.Complete();
        var handled = new List<string>();

        // Act
        var processing = channel.Reader.ProcessAsync(1, (m, _) =>
        {
            handled.Add(m.Payload);
            return handlerThrows && m.Payload == "first" ? throw new InvalidOperationException() : ValueTask.CompletedTask;
        }, ct);
        var act = () => processing.WaitAsync(ct);

        // Assert
        await act.Should().NotThrowAsync();
        handled.Should().Equal("first", "second");
        failing.Calls.Should().ContainSingle().Which.Kind.Should().Be(handlerThrows ? AckKind.Nak : AckKind.Ack);
        healthy.Calls.Should().Equal(new AckCall(AckKind.Ack));
    }

    [Fact]
    public async Task ProcessAsync_BridgedFromSubscriber_AcksOnReturnAndNaksOnThrowExactlyOnce()
    {
        // Arrange
        var ct = TestContext.Current.CancellationToken;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var ok = Incoming("ok");
        var bad = Incoming("bad");
        _subscriber.Deliver(ok.Message, bad.Message);
        var reader = _subscriber.ToChannel("orders.>", 4, cts.Token);
        var handled = 0;

        // Act
        var processing = reader.ProcessAsync(2, (m, _) =>
        {
            if (Interlocked.Increment(ref handled) == 2)
            {
                cts.Cancel();
            }

            return m.Payload == "bad" ? throw new InvalidOperationException() : ValueTask.CompletedTask;
        }, CancellationToken.None);
        await processing.WaitAsync(ct);

        // Assert
        ok.Acker.Calls.Should().Equal(new AckCall(AckKind.Ack));
        bad.Acker.Calls.Should().Equal(new AckCall(AckKind.Nak));
    }

    [Fact]
    public async Task ProcessAsync_Cancelled_CompletesWithoutErrorWhileReaderStaysOpen()
    {
        // Arrange
        var ct = TestContext.Current.CancellationToken;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var channel = Channel.CreateUnbounded<Message<string>>();

        // Act
        var processing = channel.Reader.ProcessAsync(2, (_, _) => ValueTask.CompletedTask, cts.Token);
        await cts.CancelAsync();
        await processing.WaitAsync(ct);

        // Assert
        processing.IsCompletedSuccessfully.Should().BeTrue();
    }

    [Fact]
    public void ProcessAsync_InvalidArguments_Throw()
    {
        // Arrange
        var reader = Channel.CreateUnbounded<Message<string>>().Reader;

        // Act
        Action zero = () => _ = reader.ProcessAsync(0, (_, _) => ValueTask.CompletedTask);
        Action noHandler = () => _ = reader.ProcessAsync(1, null!);
        Action noReader = () => _ = SubscriberStreams.ProcessAsync<string>(null!, 1, (_, _) => ValueTask.CompletedTask);

        // Assert
        zero.Should().Throw<ArgumentOutOfRangeException>();
        noHandler.Should().Throw<ArgumentNullException>();
        noReader.Should().Throw<ArgumentNullException>();
    }

    private static void InterlockedMax(ref int target, int value)
    {
        var seen = Volatile.Read(ref target);
        while (value > seen)
        {
            var previous = Interlocked.CompareExchange(ref target, value, seen);
            if (previous == seen)
            {
                return;
            }

            seen = previous;
        }
    }

    private static (IncomingMessage Message, RecordingAcker Acker) Incoming(string body)
    {
        var acker = new RecordingAcker();
        return (new IncomingMessage("orders.created", Encoding.UTF8.GetBytes(body), null, null, acker), acker);
    }
}
