using FluentAssertions;
using NATS.Client.JetStream.Models;
using Xunit;

namespace Goflux.Contract.Tests;

/// <summary>Sections 8 and 9: acks and the ack-subject metadata (S-78 to S-90).</summary>
public abstract partial class ContractSuite
{
    [Fact]
    public async Task S79_AckOfAnEarlierDelivery_AcksTheMessage()
    {
        var (stream, prefix) = Unique("S79");
        await StreamAsync(stream, prefix);
        await B.PublishAsync(prefix + ".a", Bytes("1"));
        await ConsumerAsync(stream, "c");
        var first = (await B.FetchAsync(stream, "c", 1)).Single();
        await first.NakAsync();
        var second = (await B.FetchAsync(stream, "c", 1)).Single();
        second.Metadata.NumDelivered.Should().Be(2);

        await first.AckAsync();
        Counters(await B.GetConsumerInfoAsync(stream, "c")).Should().Be("delivered=2/1 ack_floor=2/1 ack_pending=0 pending=0 redelivered=0");
    }

    [Fact]
    public async Task S80_PlainNak_RedeliversImmediately_AheadOfNew_EvenWithBackOff()
    {
        var (stream, prefix) = Unique("S80");
        await StreamAsync(stream, prefix);
        await PublishManyAsync(prefix + ".a", 2);
        await ConsumerAsync(stream, "c", c =>
        {
            c.Backoff = [TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(20)];
            c.MaxDeliver = 5;
        });
        var m = (await B.FetchAsync(stream, "c", 1)).Single();
        await m.NakAsync();
        (await B.GetConsumerInfoAsync(stream, "c")).NumAckPending.Should().Be(1);

        var next = await B.FetchAsync(stream, "c", 1);
        next.Select(x => (x.Metadata.StreamSequence, x.Metadata.NumDelivered)).Should().Equal((1UL, 2UL));
    }

    [Fact]
    public async Task S81_NakWithDelay_RedeliveredAfterTheDelay()
    {
        var (stream, prefix) = Unique("S81a");
        await StreamAsync(stream, prefix);
        await B.PublishAsync(prefix + ".a", Bytes("1"));
        await ConsumerAsync(stream, "c", c => c.AckWait = TimeSpan.FromSeconds(30));
        var m = (await B.FetchAsync(stream, "c", 1)).Single();
        await m.NakAsync(OneSecond);

        (await B.FetchAsync(stream, "c", 1)).Should().BeEmpty();
        var info = await B.GetConsumerInfoAsync(stream, "c");
        info.NumAckPending.Should().Be(1);
        info.NumRedelivered.Should().Be(0);

        await B.LetTimePassAsync(TimeSpan.FromMilliseconds(1300));
        var again = await B.FetchAsync(stream, "c", 1, OneSecond);
        again.Should().ContainSingle().Which.Metadata.NumDelivered.Should().Be(2);
    }

    [Fact]
    public async Task S81_NakWithDelay_UnderBackOff_WaitsDelayPlusStepDifference()
    {
        var (stream, prefix) = Unique("S81b");
        await StreamAsync(stream, prefix);
        await B.PublishAsync(prefix + ".a", Bytes("1"));
        await ConsumerAsync(stream, "c", c =>
        {
            c.Backoff = [OneSecond, TimeSpan.FromSeconds(2)];
            c.MaxDeliver = 10;
        });
        (await B.FetchAsync(stream, "c", 1)).Should().ContainSingle();
        await B.LetTimePassAsync(TimeSpan.FromMilliseconds(1200));
        var second = (await B.FetchAsync(stream, "c", 1, OneSecond)).Single();
        second.Metadata.NumDelivered.Should().Be(2);

        // Redelivered once: a 0.5 s nak waits 0.5 + (2 - 1) = 1.5 s, not 0.5 s.
        await second.NakAsync(TimeSpan.FromMilliseconds(500));
        await B.LetTimePassAsync(TimeSpan.FromMilliseconds(900));
        (await B.FetchAsync(stream, "c", 1)).Should().BeEmpty();
        await B.LetTimePassAsync(TimeSpan.FromMilliseconds(900));
        (await B.FetchAsync(stream, "c", 1, OneSecond)).Should().ContainSingle().Which.Metadata.NumDelivered.Should().Be(3);
    }

    [Fact]
    public async Task S82_InProgress_RestartsTheAckTimer()
    {
        var (stream, prefix) = Unique("S82");
        await StreamAsync(stream, prefix);
        await B.PublishAsync(prefix + ".a", Bytes("1"));
        await ConsumerAsync(stream, "c", c => c.AckWait = OneSecond);
        var m = (await B.FetchAsync(stream, "c", 1)).Single();

        await B.LetTimePassAsync(TimeSpan.FromMilliseconds(600));
        await m.InProgressAsync();
        await B.LetTimePassAsync(TimeSpan.FromMilliseconds(600));
        (await B.FetchAsync(stream, "c", 1)).Should().BeEmpty();

        await B.LetTimePassAsync(TimeSpan.FromMilliseconds(600));
        var again = await B.FetchAsync(stream, "c", 1, OneSecond);
        again.Should().ContainSingle().Which.Metadata.NumDelivered.Should().Be(2);
    }

    [Fact]
    public async Task S83_Term_StopsRedelivery_AndAdvisesWithReason()
    {
        var (stream, prefix) = Unique("S83a");
        await StreamAsync(stream, prefix);
        await PublishManyAsync(prefix + ".a", 2);
        await ConsumerAsync(stream, "c", c => c.AckWait = OneSecond);
        var msgs = await B.FetchAsync(stream, "c", 2);
        await msgs[0].TermAsync("bad payload");
        Counters(await B.GetConsumerInfoAsync(stream, "c")).Should().Be("delivered=2/2 ack_floor=1/1 ack_pending=1 pending=0 redelivered=0");

        await B.LetTimePassAsync(TimeSpan.FromMilliseconds(1200));
        var again = await B.FetchAsync(stream, "c", 1, OneSecond);
        again.Select(m => m.Metadata.StreamSequence).Should().Equal(2UL);
        (await B.GetConsumerInfoAsync(stream, "c")).NumAckPending.Should().Be(1);

        var advisories = await B.AdvisoriesAsync(stream, 1);
        var term = advisories.Should().ContainSingle(a => a.Type == Goflux.InMemory.JetStreamAdvisory.TerminatedType).Subject;
        term.Reason.Should().Be("bad payload");
        term.StreamSequence.Should().Be(1);
    }

    [Fact]
    public async Task S83_Term_OnWorkQueue_RemovesTheMessage()
    {
        var (stream, prefix) = Unique("S83b");
        await StreamAsync(stream, prefix, s => s.Retention = StreamConfigRetention.Workqueue);
        await PublishManyAsync(prefix + ".a", 2);
        await ConsumerAsync(stream, "c");
        var msgs = await B.FetchAsync(stream, "c", 2);
        await msgs[1].TermAsync();
        var info = await B.GetStreamInfoAsync(stream);
        info.State.Messages.Should().Be(1);
        info.State.FirstSeq.Should().Be(1);
    }

    [Fact]
    public async Task S84_AcksThatDoNothing()
    {
        var (stream, prefix) = Unique("S84");
        await StreamAsync(stream, prefix);
        await PublishManyAsync(prefix + ".a", 3);
        await ConsumerAsync(stream, "c");
        var msgs = await B.FetchAsync(stream, "c", 2);
        await msgs[0].AckAsync();
        await msgs[0].AckAsync();
        await msgs[1].TermAsync();
        await msgs[1].AckAsync();
        Counters(await B.GetConsumerInfoAsync(stream, "c")).Should().Be("delivered=2/2 ack_floor=2/2 ack_pending=0 pending=1 redelivered=0");

        // A nak of an already terminated message does not bring it back.
        await msgs[1].NakAsync();
        (await B.FetchAsync(stream, "c", 5)).Select(m => m.Metadata.StreamSequence).Should().Equal(3UL);
    }

    [Fact]
    public async Task S85_AckAll_AcksEverythingAtOrBelow()
    {
        var (stream, prefix) = Unique("S85");
        await StreamAsync(stream, prefix);
        await PublishManyAsync(prefix + ".a", 4);
        await ConsumerAsync(stream, "c", c => c.AckPolicy = ConsumerConfigAckPolicy.All);
        var msgs = await B.FetchAsync(stream, "c", 4);
        await msgs[2].AckAsync();
        Counters(await B.GetConsumerInfoAsync(stream, "c")).Should().Be("delivered=4/4 ack_floor=3/3 ack_pending=1 pending=0 redelivered=0");

        await msgs[0].AckAsync();
        Counters(await B.GetConsumerInfoAsync(stream, "c")).Should().Be("delivered=4/4 ack_floor=3/3 ack_pending=1 pending=0 redelivered=0");

        await msgs[3].NakAsync();
        var again = await B.FetchAsync(stream, "c", 2);
        again.Select(m => (m.Metadata.StreamSequence, m.Metadata.NumDelivered)).Should().Equal((4UL, 2UL));
        await again[0].AckAsync();
        Counters(await B.GetConsumerInfoAsync(stream, "c")).Should().Be("delivered=5/4 ack_floor=5/4 ack_pending=0 pending=0 redelivered=0");
    }

    [Fact]
    public async Task S87_AckNone_FloorMovesOnDelivery_AckSubjectStillPresent()
    {
        var (stream, prefix) = Unique("S87");
        await StreamAsync(stream, prefix);
        await PublishManyAsync(prefix + ".a", 3);
        await B.CreateOrUpdateConsumerAsync(stream, new ConsumerConfig("c") { AckPolicy = ConsumerConfigAckPolicy.None });
        var msgs = await B.FetchAsync(stream, "c", 2);
        msgs.Select(m => (m.Metadata.StreamSequence, m.Metadata.ConsumerSequence, m.Metadata.NumDelivered, m.Metadata.NumPending))
            .Should().Equal((1UL, 1UL, 1UL, 2UL), (2UL, 2UL, 1UL, 1UL));
        Counters(await B.GetConsumerInfoAsync(stream, "c")).Should().Be("delivered=2/2 ack_floor=2/2 ack_pending=0 pending=1 redelivered=0");
    }

    [Fact]
    public async Task S88_NakOrProgressOnNonPending_ChangesNothing_NoAdvisory()
    {
        var (stream, prefix) = Unique("S88");
        await StreamAsync(stream, prefix);
        await B.PublishAsync(prefix + ".a", Bytes("1"));
        await ConsumerAsync(stream, "c");
        var m = (await B.FetchAsync(stream, "c", 1)).Single();
        await m.AckAsync();
        await m.NakAsync();
        await m.InProgressAsync();
        (await B.FetchAsync(stream, "c", 1)).Should().BeEmpty();
        Counters(await B.GetConsumerInfoAsync(stream, "c")).Should().Be("delivered=1/1 ack_floor=1/1 ack_pending=0 pending=0 redelivered=0");

        // +TERM on a message that is no longer pending still advises (S-83).
        await m.TermAsync();
        var advisories = await B.AdvisoriesAsync(stream, 1);
        advisories.Select(a => a.Type).Should().Equal(Goflux.InMemory.JetStreamAdvisory.TerminatedType);
    }

    [Fact]
    public async Task S90_Metadata_OnFirstDeliveryAndRedelivery()
    {
        var (stream, prefix) = Unique("S90");
        await StreamAsync(stream, prefix);
        await PublishManyAsync(prefix + ".a", 3);
        await ConsumerAsync(stream, "c");
        var first = (await B.FetchAsync(stream, "c", 2)).ToList();
        first.Select(m => (m.Metadata.StreamSequence, m.Metadata.ConsumerSequence, m.Metadata.NumDelivered, m.Metadata.NumPending))
            .Should().Equal((1UL, 1UL, 1UL, 2UL), (2UL, 2UL, 1UL, 1UL));
        first[0].Metadata.Timestamp.Offset.Should().Be(TimeSpan.Zero);

        await first[0].NakAsync();
        var again = (await B.FetchAsync(stream, "c", 1)).Single();
        again.Metadata.StreamSequence.Should().Be(1);
        again.Metadata.ConsumerSequence.Should().Be(3);
        again.Metadata.NumDelivered.Should().Be(2);
        again.Metadata.NumPending.Should().Be(1);
        again.Metadata.Timestamp.Should().Be(first[0].Metadata.Timestamp);
        again.Metadata.Timestamp.Should().BeOnOrBefore(first[1].Metadata.Timestamp);
    }
}
