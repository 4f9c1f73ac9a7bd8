using System.Collections.Concurrent;
using FluentAssertions;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using Xunit;

namespace Goflux.NatsNet.Tests;

/// <summary>Fetch, next and consume through NATS.Net (S-70 to S-76).</summary>
public abstract partial class NatsNetSuite
{
    [Fact]
    public async Task Pull_FetchOnEmptyStream_EndsAtItsExpiryWithNothing()
    {
        var (s, p) = Unique("FEXP");
        await StreamAsync(s, p);
        var c = await ConsumerAsync(s, "c");

        var fetch = FetchAsync(c, 5, TimeSpan.FromSeconds(2));
        await T.ConsumingAsync(s, "c");
        await T.LetTimePassAsync(TimeSpan.FromSeconds(2));
        var got = await fetch;

        got.Should().BeEmpty();
        var waiting = await T.EventuallyAsync(async () => (await Js.GetConsumerAsync(s, "c", Ct)).Info.NumWaiting, n => n == 0);
        waiting.Should().Be(0, "the request expired");
    }

    [Fact]
    public async Task Pull_FetchWaiting_GetsWhatIsPublishedLater()
    {
        var (s, p) = Unique("FLATER");
        await StreamAsync(s, p);
        var c = await ConsumerAsync(s, "c");

        var fetch = FetchAsync(c, 2, TimeSpan.FromSeconds(10));
        await T.ConsumingAsync(s, "c");
        await PublishManyAsync($"{p}.a", 2);
        var got = await fetch;

        got.Select(Text).Should().Equal("m1", "m2");
    }

    [Fact]
    public async Task Pull_FetchNoWaitOnEmpty_ReturnsAtOnce()
    {
        var (s, p) = Unique("FNW");
        await StreamAsync(s, p);
        var c = await ConsumerAsync(s, "c");

        var got = await FetchNowAsync(c, 10);

        got.Should().BeEmpty("S-70: no-wait with nothing pending answers 404 No Messages");
    }

    [Fact]
    public async Task Pull_FetchNoWait_ReturnsWhatIsAvailable()
    {
        var (s, p) = Unique("FNW2");
        await StreamAsync(s, p);
        await PublishManyAsync($"{p}.a", 3);
        var c = await ConsumerAsync(s, "c");

        var got = await FetchNowAsync(c, 10);

        got.Select(Text).Should().Equal("m1", "m2", "m3");
    }

    [Fact]
    public async Task Pull_Next_ReturnsOneMessage()
    {
        var (s, p) = Unique("NEXT");
        await StreamAsync(s, p);
        await PublishManyAsync($"{p}.a", 2);
        var c = await ConsumerAsync(s, "c");

        var m = await c.NextAsync<byte[]>(opts: new NatsJSNextOpts { Expires = TimeSpan.FromSeconds(2) }, cancellationToken: Ct);

        m.Should().NotBeNull();
        Text(m!).Should().Be("m1");
        m.Metadata!.Value.NumPending.Should().Be(1);
    }

    [Fact]
    public async Task Pull_NextOnEmpty_NullAfterExpiry()
    {
        var (s, p) = Unique("NEXTE");
        await StreamAsync(s, p);
        var c = await ConsumerAsync(s, "c");

        var next = c.NextAsync<byte[]>(opts: new NatsJSNextOpts { Expires = TimeSpan.FromSeconds(2) }, cancellationToken: Ct).AsTask();
        await T.ConsumingAsync(s, "c");
        await T.LetTimePassAsync(TimeSpan.FromSeconds(2));

        (await next).Should().BeNull();
    }

    [Fact]
    public async Task Pull_Consume_ReceivesEverythingAcrossPullWindows()
    {
        var (s, p) = Unique("CONS");
        await StreamAsync(s, p);
        var c = await ConsumerAsync(s, "c");
        var got = new ConcurrentQueue<string>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var loop = Task.Run(
            async () =>
            {
                await foreach (var m in c.ConsumeAsync<byte[]>(opts: new NatsJSConsumeOpts { MaxMsgs = 5 }, cancellationToken: stop.Token))
                {
                    got.Enqueue(Text(m));
                    await m.AckAsync(cancellationToken: Ct);
                }
            },
            Ct);
        await T.ConsumingAsync(s, "c");

        await PublishManyAsync($"{p}.a", 23);
        var n = await T.EventuallyAsync(() => Task.FromResult(got.Count), x => x == 23);
        var info = await T.EventuallyAsync(async () => (await Js.GetConsumerAsync(s, "c", Ct)).Info, i => i.NumAckPending == 0);
        await stop.CancelAsync();
        await loop;

        n.Should().Be(23);
        got.Should().Equal(Enumerable.Range(1, 23).Select(i => $"m{i}"));
        info.AckFloor.StreamSeq.Should().Be(23);
    }

    [Fact]
    public async Task Pull_ConsumeWithWindowOfOne_StaysInOrder()
    {
        var (s, p) = Unique("CONS1");
        await StreamAsync(s, p);
        await PublishManyAsync($"{p}.a", 6);
        var c = await ConsumerAsync(s, "c");
        var got = new ConcurrentQueue<string>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var loop = Task.Run(
            async () =>
            {
                await foreach (var m in c.ConsumeAsync<byte[]>(opts: new NatsJSConsumeOpts { MaxMsgs = 1 }, cancellationToken: stop.Token))
                {
                    got.Enqueue(Text(m));
                    await m.AckAsync(cancellationToken: Ct);
                }
            },
            Ct);

        await T.ConsumingAsync(s, "c");
        var n = await T.EventuallyAsync(() => Task.FromResult(got.Count), x => x == 6);
        await stop.CancelAsync();
        await loop;

        n.Should().Be(6);
        got.Should().Equal(Enumerable.Range(1, 6).Select(i => $"m{i}"));
    }

    [Fact]
    public async Task Pull_ConsumerDeletedWhileConsuming_LoopEndsWithConsumerDeleted()
    {
        var (s, p) = Unique("CDELC");
        await StreamAsync(s, p);
        var c = await ConsumerAsync(s, "c");
        var loop = Task.Run(
            async () =>
            {
                await foreach (var m in c.ConsumeAsync<byte[]>(cancellationToken: Ct))
                {
                    await m.AckAsync(cancellationToken: Ct);
                }
            },
            Ct);
        await T.ConsumingAsync(s, "c");

        await Js.DeleteConsumerAsync(s, "c", Ct);

        var e = (await loop.Awaiting(l => l).Should().ThrowAsync<NatsJSProtocolException>()).Which;
        e.HeaderCode.Should().Be(409);
        e.HeaderMessageText.Should().Be("Consumer Deleted");
    }

    [Fact]
    public async Task Pull_BatchOverMaxRequestBatch_409Exceeded()
    {
        var (s, p) = Unique("MAXB");
        await StreamAsync(s, p);
        await PublishManyAsync($"{p}.a", 3);
        var c = await ConsumerAsync(s, "c", c => c.MaxBatch = 2);

        var act = async () => await FetchAsync(c, 5, TimeSpan.FromSeconds(2));

        var e = (await act.Should().ThrowAsync<NatsJSProtocolException>()).Which;
        e.HeaderCode.Should().Be(409);
        e.HeaderMessageText.Should().Be("Exceeded MaxRequestBatch of 2");
    }

    [Fact]
    public async Task Pull_ExpiresOverMaxRequestExpires_409Exceeded()
    {
        var (s, p) = Unique("MAXE");
        await StreamAsync(s, p);
        var c = await ConsumerAsync(s, "c", c => c.MaxExpires = TimeSpan.FromSeconds(1));

        var act = async () => await FetchAsync(c, 1, TimeSpan.FromSeconds(5));

        var e = (await act.Should().ThrowAsync<NatsJSProtocolException>()).Which;
        e.HeaderCode.Should().Be(409);
        e.HeaderMessageText.Should().Be("Exceeded MaxRequestExpires of 1s");
    }
}
