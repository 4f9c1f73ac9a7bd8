using FluentAssertions;
using NATS.Client.JetStream.Models;
using Xunit;

namespace Goflux.Contract.Tests;

public abstract partial class ContractSuite
{
    [Fact]
    public async Task S105_WorkedExample_CountersFollowTheServer()
    {
        var (stream, prefix) = Unique("S105");
        await StreamAsync(stream, prefix);
        await PublishManyAsync(prefix + ".a", 3);
        await ConsumerAsync(stream, "c", c => c.AckWait = TimeSpan.FromSeconds(1));

        var info = await B.GetConsumerInfoAsync(stream, "c");
        Counters(info).Should().Be("delivered=0/0 ack_floor=0/0 ack_pending=0 pending=3 redelivered=0");

        var msgs = await B.FetchAsync(stream, "c", 3);
        msgs.Select(m => m.Metadata.StreamSequence).Should().Equal(1UL, 2UL, 3UL);
        Counters(await B.GetConsumerInfoAsync(stream, "c")).Should().Be("delivered=3/3 ack_floor=0/0 ack_pending=3 pending=0 redelivered=0");

        await msgs[1].AckAsync();
        Counters(await B.GetConsumerInfoAsync(stream, "c")).Should().Be("delivered=3/3 ack_floor=0/0 ack_pending=2 pending=0 redelivered=0");

        await msgs[0].AckAsync();
        Counters(await B.GetConsumerInfoAsync(stream, "c")).Should().Be("delivered=3/3 ack_floor=2/2 ack_pending=1 pending=0 redelivered=0");

        await B.LetTimePassAsync(TimeSpan.FromSeconds(1.5));
        var again = await B.FetchAsync(stream, "c", 1, TimeSpan.FromSeconds(2));
        again.Should().ContainSingle();
        again[0].Metadata.StreamSequence.Should().Be(3);
        again[0].Metadata.ConsumerSequence.Should().Be(4);
        again[0].Metadata.NumDelivered.Should().Be(2);
        Counters(await B.GetConsumerInfoAsync(stream, "c")).Should().Be("delivered=4/3 ack_floor=2/2 ack_pending=1 pending=0 redelivered=1");

        await again[0].AckAsync();
        Counters(await B.GetConsumerInfoAsync(stream, "c")).Should().Be("delivered=4/3 ack_floor=4/3 ack_pending=0 pending=0 redelivered=0");
    }

    [Fact]
    public async Task S17_PubAck_ReportsStreamAndSequence()
    {
        var (stream, prefix) = Unique("S17");
        await StreamAsync(stream, prefix);
        var first = await B.PublishAsync(prefix + ".x", Bytes("1"));
        var second = await B.PublishAsync(prefix + ".y", Bytes("2"));
        first.Should().Be(new PublishResult(stream, 1, false));
        second.Should().Be(new PublishResult(stream, 2, false));
    }
}
