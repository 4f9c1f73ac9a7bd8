using FluentAssertions;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using Xunit;

namespace Goflux.NatsNet.Tests;

/// <summary>The NATS.Net documentation's first steps: create a stream, publish, consume with a durable pull consumer.</summary>
public abstract partial class NatsNetSuite
{
    [Fact]
    public async Task Basics_PublishThenFetch_InOrderWithMetadata()
    {
        var (s, p) = Unique("BASIC");
        await StreamAsync(s, p);
        var ack = await Js.PublishAsync($"{p}.orders", Bytes("o1"), cancellationToken: Ct);
        ack.EnsureSuccess();
        ack.Stream.Should().Be(s);
        ack.Seq.Should().Be(1);
        await PublishManyAsync($"{p}.orders", 2, "o");
        var consumer = await ConsumerAsync(s, "worker");

        var msgs = await FetchAsync(consumer, 3, TimeSpan.FromSeconds(1));

        msgs.Select(Text).Should().Equal("o1", "o1", "o2");
        var md = msgs[2].Metadata!.Value;
        md.Stream.Should().Be(s);
        md.Consumer.Should().Be("worker");
        md.Sequence.Stream.Should().Be(3);
        md.Sequence.Consumer.Should().Be(3);
        md.NumDelivered.Should().Be(1);
        md.NumPending.Should().Be(0);
        msgs[0].Metadata!.Value.NumPending.Should().Be(2);
    }

    [Fact]
    public async Task Basics_Ack_ClearsAckPending()
    {
        var (s, p) = Unique("ACK");
        await StreamAsync(s, p);
        await PublishManyAsync($"{p}.x", 3);
        var consumer = await ConsumerAsync(s, "c");

        var msgs = await FetchAsync(consumer, 3, TimeSpan.FromSeconds(1));
        foreach (var m in msgs)
        {
            await m.AckAsync(Double, Ct);
        }

        var info = await T.EventuallyAsync(async () => (await Js.GetConsumerAsync(s, "c", Ct)).Info, i => i.NumAckPending == 0);
        info.NumAckPending.Should().Be(0);
        info.AckFloor.StreamSeq.Should().Be(3);
        info.Delivered.ConsumerSeq.Should().Be(3);
    }
}
