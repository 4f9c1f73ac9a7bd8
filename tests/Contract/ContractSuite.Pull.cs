using FluentAssertions;
using Goflux.InMemory;
using NATS.Client.JetStream.Models;
using Xunit;

namespace Goflux.Contract.Tests;

/// <summary>Section 7: pull requests as a Fetch sees them (S-66 to S-77).</summary>
public abstract partial class ContractSuite
{
    [Fact]
    public async Task S67_DeliveredMessage_KeepsStoredSubjectHeadersAndPayload()
    {
        var (stream, prefix) = Unique("S67");
        await StreamAsync(stream, prefix);
        var headers = new MessageHeaders();
        headers.Add("X-Trace", "abc");
        headers.Add("X-Multi", "1");
        headers.Add("X-Multi", "2");
        await B.PublishAsync(prefix + ".orders.new", Bytes("payload"), headers);
        await ConsumerAsync(stream, "c");
        var m = (await B.FetchAsync(stream, "c", 1)).Should().ContainSingle().Subject;
        m.Subject.Should().Be(prefix + ".orders.new");
        Text(m.Data).Should().Be("payload");
        m.Headers.Should().NotBeNull();
        m.Headers!["X-Trace"].Should().Be("abc");
        m.Headers.TryGetValues("X-Multi", out var multi).Should().BeTrue();
        multi.Should().Equal("1", "2");
        m.Metadata.Stream.Should().Be(stream);
        m.Metadata.Consumer.Should().Be("c");
    }

    [Fact]
    public async Task S68_Batch_IsFilledByRedeliveriesThenNewMessages()
    {
        var (stream, prefix) = Unique("S68");
        await StreamAsync(stream, prefix);
        await PublishManyAsync(prefix + ".a", 4);
        await ConsumerAsync(stream, "c");
        var first = await B.FetchAsync(stream, "c", 2);
        await first[0].NakAsync();
        await first[1].NakAsync();

        var batch = await B.FetchAsync(stream, "c", 3);
        batch.Select(m => m.Metadata.StreamSequence).Should().Equal(1UL, 2UL, 3UL);
        batch.Select(m => m.Metadata.NumDelivered).Should().Equal(2UL, 2UL, 1UL);
        Counters(await B.GetConsumerInfoAsync(stream, "c")).Should().Be("delivered=5/3 ack_floor=0/0 ack_pending=3 pending=1 redelivered=2");
    }

    [Fact]
    public async Task S69_Expires_EndsPartialBatchWithWhatArrived()
    {
        var (stream, prefix) = Unique("S69");
        await StreamAsync(stream, prefix);
        await PublishManyAsync(prefix + ".a", 2);
        await ConsumerAsync(stream, "c");
        var msgs = await B.FetchAsync(stream, "c", 5, TimeSpan.FromSeconds(1));
        msgs.Select(m => m.Metadata.StreamSequence).Should().Equal(1UL, 2UL);

        var none = await B.FetchAsync(stream, "c", 5, OneSecond);
        none.Should().BeEmpty();
        var info = await B.GetConsumerInfoAsync(stream, "c");
        info.NumWaiting.Should().Be(0);
        Counters(info).Should().Be("delivered=2/2 ack_floor=0/0 ack_pending=2 pending=0 redelivered=0");
    }

    [Fact]
    public async Task S70_NoWait_ReturnsWhatIsAvailableNow()
    {
        var (stream, prefix) = Unique("S70");
        await StreamAsync(stream, prefix);
        await ConsumerAsync(stream, "c");
        (await B.FetchAsync(stream, "c", 5)).Should().BeEmpty();

        await PublishManyAsync(prefix + ".a", 3);
        (await B.FetchAsync(stream, "c", 2)).Select(m => m.Metadata.StreamSequence).Should().Equal(1UL, 2UL);
        (await B.FetchAsync(stream, "c", 5)).Select(m => m.Metadata.StreamSequence).Should().Equal(3UL);
        (await B.FetchAsync(stream, "c", 5)).Should().BeEmpty();
        (await B.GetConsumerInfoAsync(stream, "c")).NumWaiting.Should().Be(0);
    }

    [Fact]
    public async Task S70_NoWait_QueuedExhaustedMessageCounts_RequestStaysOpenUntilARedeliveryIsDue()
    {
        // Differential seed 1212. A no-wait pull is answered "no messages" only when num_pending plus the queued
        // redeliveries is zero. A message naked at its last delivery is counted, then exhausted when the pull comes: the
        // request gets nothing, stays open without expiry, and takes the next message whose ack wait runs out.
        var (stream, prefix) = Unique("S70Q");
        await StreamAsync(stream, prefix);
        await PublishManyAsync(prefix + ".a", 2);
        await ConsumerAsync(stream, "c", c =>
        {
            c.AckWait = OneSecond;
            c.MaxDeliver = 2;
        });
        var first = await B.FetchAsync(stream, "c", 2);
        await first[0].NakAsync();
        var last = (await B.FetchAsync(stream, "c", 1)).Should().ContainSingle().Subject;
        last.Metadata.NumDelivered.Should().Be(2);
        await last.NakAsync();

        var open = B.FetchAsync(stream, "c", 5);
        await B.LetTimePassAsync(TimeSpan.FromMilliseconds(1500));
        var got = await open;
        got.Select(m => (m.Metadata.StreamSequence, m.Metadata.NumDelivered)).Should().Equal((2UL, 2UL));

        var max = (await B.AdvisoriesAsync(stream, 3)).Where(a => a.Type == JetStreamAdvisory.MaxDeliverType).Should().ContainSingle().Subject;
        max.StreamSequence.Should().Be(1);
        max.Deliveries.Should().Be(2);
        Counters(await B.GetConsumerInfoAsync(stream, "c")).Should().Be("delivered=4/2 ack_floor=0/0 ack_pending=1 pending=0 redelivered=2");
    }

    [Fact]
    public async Task S76_NoWaitBlockedByMaxAckPending_StaysOpenUntilAnAckFreesASlot()
    {
        // A no-wait pull that finds messages pending but held back by max_ack_pending is not answered "no messages":
        // it stays open and takes the message an ack lets through, then ends.
        var (stream, prefix) = Unique("S76N");
        await StreamAsync(stream, prefix);
        await PublishManyAsync(prefix + ".a", 2);
        await ConsumerAsync(stream, "c", c => c.MaxAckPending = 1);
        var first = (await B.FetchAsync(stream, "c", 1)).Should().ContainSingle().Subject;

        // Batch 1: a no-wait request that has received something and is then held back by the limit stays open too.
        var open = B.FetchAsync(stream, "c", 1);
        await first.AckAsync();
        var got = await open;
        got.Select(m => m.Metadata.StreamSequence).Should().Equal(2UL);
        (await B.GetConsumerInfoAsync(stream, "c")).NumWaiting.Should().Be(0);
    }

    [Fact]
    public async Task S76_MaxAckPending_BlocksNewMessages_NotRedeliveries()
    {
        var (stream, prefix) = Unique("S76");
        await StreamAsync(stream, prefix);
        await PublishManyAsync(prefix + ".a", 4);
        await ConsumerAsync(stream, "c", c => c.MaxAckPending = 2);

        var first = await B.FetchAsync(stream, "c", 4, OneSecond);
        first.Select(m => m.Metadata.StreamSequence).Should().Equal(1UL, 2UL);
        (await B.FetchAsync(stream, "c", 4, OneSecond)).Should().BeEmpty();
        var info = await B.GetConsumerInfoAsync(stream, "c");
        info.NumAckPending.Should().Be(2);
        info.NumPending.Should().Be(2);

        // S-93: a nak'ed message is redelivered even though the limit is reached.
        await first[1].NakAsync();
        var again = await B.FetchAsync(stream, "c", 4, OneSecond);
        again.Select(m => (m.Metadata.StreamSequence, m.Metadata.NumDelivered)).Should().Equal((2UL, 2UL));

        // An ack frees one slot: exactly one new message flows.
        await first[0].AckAsync();
        var next = await B.FetchAsync(stream, "c", 4, OneSecond);
        next.Select(m => m.Metadata.StreamSequence).Should().Equal(3UL);
    }

    [Fact]
    public async Task S77_ExpiredMessage_WaitsForAPullRequest()
    {
        var (stream, prefix) = Unique("S77");
        await StreamAsync(stream, prefix);
        await B.PublishAsync(prefix + ".a", Bytes("1"));
        await ConsumerAsync(stream, "c", c => c.AckWait = OneSecond);
        (await B.FetchAsync(stream, "c", 1)).Should().ContainSingle();

        await B.LetTimePassAsync(TimeSpan.FromMilliseconds(1300));
        var info = await B.GetConsumerInfoAsync(stream, "c");
        Counters(info).Should().Be("delivered=1/1 ack_floor=0/0 ack_pending=1 pending=0 redelivered=0");

        var again = await B.FetchAsync(stream, "c", 1, OneSecond);
        again.Should().ContainSingle().Which.Metadata.NumDelivered.Should().Be(2);
        Counters(await B.GetConsumerInfoAsync(stream, "c")).Should().Be("delivered=2/1 ack_floor=0/0 ack_pending=1 pending=0 redelivered=1");
    }
}
