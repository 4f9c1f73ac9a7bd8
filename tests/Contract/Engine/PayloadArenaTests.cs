using FluentAssertions;
using Goflux.InMemory;
using Goflux.InMemory.Internal;
using NATS.Client.JetStream.Models;
using Xunit;

namespace Goflux.Contract.Tests.Engine;

/// <summary>
/// The pages the engine copies payloads into (<see cref="PayloadArena"/>): every stored message reads back the bytes it
/// was published with, whatever removed its neighbours (limits, per-subject limits, deletes, purges, a deleted stream);
/// a payload handed out keeps its bytes for as long as it is held; the pages stay within about twice the live payloads,
/// and rewriting them costs no more than the bytes published.
/// </summary>
public sealed class PayloadArenaTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task RandomPublishesAndRemovals_KeepEveryPayload_AndBoundThePages(int seed)
    {
        var random = new Random(seed);
        await using var engine = new InMemoryJetStream(new InMemoryJetStreamOptions { RecordEvents = false });
        var arena = engine.Context.Payloads;
        var published = new Dictionary<(string Stream, ulong Seq), byte[]>();
        var held = new List<(ReadOnlyMemory<byte> Data, byte[] Expected)>();
        long publishedBytes = 0;

        // A key-value stream whose keys change at very different rates (a few stay for good, pinning their pages),
        // a stream that keeps only its newest messages, and one that loses messages to deletes and purges.
        await CreateStreamsAsync();
        for (var step = 0; step < 12_000; step++)
        {
            var roll = random.Next(1000);
            if (roll < 450)
            {
                // Key k is updated with weight ~ 1/(k+1): key 0 often, key 199 almost never.
                var key = (int)Math.Min(199, Math.Floor(Math.Exp(random.NextDouble() * Math.Log(400))) - 1);
                await PublishAsync("KV", $"kv.{key}");
            }
            else if (roll < 750)
            {
                await PublishAsync("FIFO", "fifo.events");
            }
            else if (roll < 930)
            {
                await PublishAsync("MISC", $"misc.{random.Next(5)}");
            }
            else if (roll < 970)
            {
                var info = await engine.GetStreamInfoAsync("MISC", Ct);
                if (info.State.Messages > 0)
                {
                    var seq = (ulong)random.NextInt64((long)info.State.FirstSeq, (long)info.State.LastSeq + 1);
                    try
                    {
                        await engine.DeleteMessageAsync("MISC", new StreamMsgDeleteRequest { Seq = seq, NoErase = true }, Ct);
                    }
                    catch (GofluxException)
                    {
                        // Already gone: a delete of a missing message is refused, and nothing changes.
                    }
                }
            }
            else if (roll < 990)
            {
                await engine.PurgeStreamAsync("MISC", new StreamPurgeRequest { Filter = $"misc.{random.Next(5)}" }, Ct);
            }
            else if (roll < 996)
            {
                await engine.PurgeStreamAsync("FIFO", new StreamPurgeRequest { Keep = (ulong)random.Next(0, 50) }, Ct);
            }
            else
            {
                await engine.DeleteStreamAsync("MISC", Ct);
                published.Keys.Where(k => k.Stream == "MISC").ToList().ForEach(k => published.Remove(k));
                await engine.CreateOrUpdateStreamAsync(new StreamConfig("MISC", ["misc.>"]) { Storage = StreamConfigStorage.Memory }, Ct);
            }

            // After every operation: the pages within bounds, the live bytes what the streams hold.
            arena.NeedsRewrite.Should().BeFalse("an operation that leaves the pages wasteful rewrites them (step {0})", step);
            if (step % 1000 == 999)
            {
                CheckStores();
            }
        }

        CheckStores();
        arena.RewrittenBytes.Should().BePositive("the rarely updated keys pin pages until they are rewritten: the test must exercise a rewrite");
        arena.RewrittenBytes.Should().BeLessThan(publishedBytes, "a rewrite copies about what was removed since the last one, never the store over and over");
        foreach (var (data, expected) in held)
        {
            data.ToArray().Should().Equal(expected, "a payload handed out keeps its bytes: pages are never reused");
        }

        async Task CreateStreamsAsync()
        {
            await engine.CreateOrUpdateStreamAsync(new StreamConfig("KV", ["kv.>"]) { Storage = StreamConfigStorage.Memory, MaxMsgsPerSubject = 1 }, Ct);
            await engine.CreateOrUpdateStreamAsync(new StreamConfig("FIFO", ["fifo.>"]) { Storage = StreamConfigStorage.Memory, MaxMsgs = 300 }, Ct);
            await engine.CreateOrUpdateStreamAsync(new StreamConfig("MISC", ["misc.>"]) { Storage = StreamConfigStorage.Memory }, Ct);
        }

        async Task PublishAsync(string stream, string subject)
        {
            var size = random.Next(100) switch
            {
                < 5 => 0,
                < 90 => random.Next(1, 300),
                < 99 => random.Next(300, 6000),
                _ => random.Next(PayloadArena.OwnArrayAbove + 1, PayloadArena.OwnArrayAbove + 4000),
            };
            var payload = new byte[size];
            random.NextBytes(payload);
            var expected = payload.ToArray();
            var ack = await engine.PublishAsync(subject, payload, cancellationToken: Ct);
            Array.Fill(payload, (byte)0xEE); // the engine keeps a copy, not the caller's buffer
            published[(stream, ack.Sequence)] = expected;
            publishedBytes += size;
            if (random.Next(50) == 0)
            {
                held.Add(((await engine.GetMessageAsync(stream, ack.Sequence, Ct)).Data, expected));
            }
        }

        void CheckStores()
        {
            long live = 0;
            foreach (var s in engine.Context.Streams.Values)
            {
                foreach (var m in s.Store.All())
                {
                    m.Data.ToArray().Should().Equal(published[(s.Name, m.Sequence)], "message {0} of {1} reads back what was published", m.Sequence, s.Name);
                    live += m.Data.Length;
                }
            }

            arena.LiveBytes.Should().Be(live, "the arena counts exactly the payloads the streams hold");
            arena.PageBytes.Should().BeLessThanOrEqualTo((2 * live) + (2L * PayloadArena.MaxPage));
        }
    }

    [Fact]
    public async Task AStreamKeepingItsNewestMessages_NeverRewrites_AndHoldsAboutItsLiveBytes()
    {
        await using var engine = new InMemoryJetStream(new InMemoryJetStreamOptions { RecordEvents = false });
        var arena = engine.Context.Payloads;
        await engine.CreateOrUpdateStreamAsync(new StreamConfig("FIFO", ["fifo.>"]) { Storage = StreamConfigStorage.Memory, MaxMsgs = 1_000 }, Ct);
        await engine.CreateOrUpdateConsumerAsync("FIFO", new ConsumerConfig("c") { AckPolicy = ConsumerConfigAckPolicy.Explicit }, Ct);
        var first = Enumerable.Range(0, 128).Select(i => (byte)i).ToArray();
        await engine.PublishAsync("fifo.events", first, cancellationToken: Ct);
        var delivery = (await engine.FetchAsync("FIFO", "c", 1, cancellationToken: Ct)).Single();

        var payload = new byte[128];
        for (var i = 0; i < 100_000; i++)
        {
            payload[0] = (byte)i;
            await engine.PublishAsync("fifo.events", payload, cancellationToken: Ct);
        }

        arena.LiveBytes.Should().Be(1_000 * 128);
        arena.PageBytes.Should().BeLessThanOrEqualTo(arena.LiveBytes + (2L * PayloadArena.MaxPage), "the oldest page is forgotten once its last message is removed");
        arena.RewrittenBytes.Should().Be(0, "messages removed oldest first empty whole pages: nothing to rewrite");
        delivery.Data.ToArray().Should().Equal(first, "a delivery keeps its payload after the message is gone from the stream");
        (await engine.GetMessageAsync("FIFO", 100_001, Ct)).Data.ToArray().Should().Equal(payload);

        await engine.DeleteStreamAsync("FIFO", Ct);
        arena.LiveBytes.Should().Be(0, "a deleted stream's payloads are forgotten");
        arena.PageBytes.Should().BeLessThanOrEqualTo(PayloadArena.MaxPage, "at most the page being filled is counted");
    }
}
