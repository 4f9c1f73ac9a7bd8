using FluentAssertions;
using Goflux.InMemory;
using Xunit;

namespace Goflux.Contract.Tests;

/// <summary>Sections 10 and 11: ack wait, redelivery, MaxDeliver and consumer counters (S-91 to S-104).</summary>
public abstract partial class ContractSuite
{
    [Fact]
    public async Task S91_AckWait_RedeliversAfterTheLatestDelivery()
    {
        var (stream, prefix) = Unique("S91");
        await StreamAsync(stream, prefix);
        await B.PublishAsync(prefix + ".a", Bytes("1"));
        await ConsumerAsync(stream, "c", c => c.AckWait = OneSecond);
        (await B.FetchAsync(stream, "c", 1)).Should().ContainSingle();

        await B.LetTimePassAsync(TimeSpan.FromMilliseconds(700));
        (await B.FetchAsync(stream, "c", 1)).Should().BeEmpty();
        await B.LetTimePassAsync(TimeSpan.FromMilliseconds(500));
        var second = (await B.FetchAsync(stream, "c", 1, OneSecond)).Single();
        second.Metadata.NumDelivered.Should().Be(2);

        // The next wait counts from the redelivery, not from the first delivery.
        await B.LetTimePassAsync(TimeSpan.FromMilliseconds(700));
        (await B.FetchAsync(stream, "c", 1)).Should().BeEmpty();
        await B.LetTimePassAsync(TimeSpan.FromMilliseconds(500));
        (await B.FetchAsync(stream, "c", 1, OneSecond)).Single().Metadata.NumDelivered.Should().Be(3);
    }

    [Fact]
    public async Task S92_Redeliveries_AscendingBeforeNew_NaksFirstInFirstOut()
    {
        var (stream, prefix) = Unique("S92");
        await StreamAsync(stream, prefix);
        await PublishManyAsync(prefix + ".a", 3);
        await ConsumerAsync(stream, "c", c => c.AckWait = OneSecond);
        var msgs = await B.FetchAsync(stream, "c", 3);
        await B.LetTimePassAsync(TimeSpan.FromMilliseconds(1300));
        await B.PublishAsync(prefix + ".a", Bytes("4"));
        var order = await B.FetchAsync(stream, "c", 4, OneSecond);
        order.Select(m => m.Metadata.StreamSequence).Should().Equal(1UL, 2UL, 3UL, 4UL);

        await order[2].NakAsync();
        await order[0].NakAsync();
        await order[1].NakAsync();
        (await B.FetchAsync(stream, "c", 3)).Select(m => m.Metadata.StreamSequence).Should().Equal(3UL, 1UL, 2UL);
    }

    [Fact]
    public async Task S92_AckWaitsEndingApart_ExpireInSeparateBatches_EarlierBatchFirst()
    {
        // Differential seed 1398: ascending order holds within one timer check only. Here message 1's ack wait is
        // restarted 400 ms after message 2's began, so 2 expires in an earlier check and is redelivered first.
        var (stream, prefix) = Unique("S92B");
        await StreamAsync(stream, prefix);
        await PublishManyAsync(prefix + ".a", 2);
        await ConsumerAsync(stream, "c", c => c.AckWait = OneSecond);
        var msgs = await B.FetchAsync(stream, "c", 2);
        await B.LetTimePassAsync(TimeSpan.FromMilliseconds(400));
        await msgs[0].InProgressAsync();

        await B.LetTimePassAsync(TimeSpan.FromMilliseconds(1300));
        var order = await B.FetchAsync(stream, "c", 2);
        order.Select(m => (m.Metadata.StreamSequence, m.Metadata.NumDelivered)).Should().Equal((2UL, 2UL), (1UL, 2UL));
    }

    [Fact]
    public async Task S94_BackOff_SchedulesRedeliveries()
    {
        var (stream, prefix) = Unique("S94");
        await StreamAsync(stream, prefix);
        await B.PublishAsync(prefix + ".a", Bytes("1"));
        await ConsumerAsync(stream, "c", c =>
        {
            c.Backoff = [OneSecond, TimeSpan.FromSeconds(2)];
            c.MaxDeliver = 5;
        });
        (await B.FetchAsync(stream, "c", 1)).Should().ContainSingle();

        await B.LetTimePassAsync(TimeSpan.FromMilliseconds(1200));
        (await B.FetchAsync(stream, "c", 1, OneSecond)).Single().Metadata.NumDelivered.Should().Be(2);

        // The second wait is backoff[1] = 2 s.
        await B.LetTimePassAsync(TimeSpan.FromMilliseconds(1400));
        (await B.FetchAsync(stream, "c", 1)).Should().BeEmpty();
        await B.LetTimePassAsync(TimeSpan.FromMilliseconds(800));
        (await B.FetchAsync(stream, "c", 1, OneSecond)).Single().Metadata.NumDelivered.Should().Be(3);
    }

    [Fact]
    public async Task S95_MaxDeliver_ExhaustsOnce_MessageStaysInStream()
    {
        var (stream, prefix) = Unique("S95");
        await StreamAsync(stream, prefix);
        await B.PublishAsync(prefix + ".a", Bytes("1"));
        await ConsumerAsync(stream, "c", c =>
        {
            c.AckWait = OneSecond;
            c.MaxDeliver = 2;
        });
        (await B.FetchAsync(stream, "c", 1)).Should().ContainSingle();
        await B.LetTimePassAsync(TimeSpan.FromMilliseconds(1200));
        (await B.FetchAsync(stream, "c", 1, OneSecond)).Single().Metadata.NumDelivered.Should().Be(2);

        await B.LetTimePassAsync(TimeSpan.FromMilliseconds(1200));
        (await B.FetchAsync(stream, "c", 1, OneSecond)).Should().BeEmpty();
        var info = await B.EventuallyAsync(() => B.GetConsumerInfoAsync(stream, "c"), i => i.NumAckPending == 0);
        // 2.10.27: with nothing else pending, the consumer's pending check moves the floor to everything delivered, past
        // the exhausted message (correction to S-97, which says only 2.12+); exhaustion alone does not move it.
        Counters(info).Should().Be("delivered=2/1 ack_floor=2/1 ack_pending=0 pending=0 redelivered=1");

        var advisories = await B.AdvisoriesAsync(stream, 1);
        var max = advisories.Should().ContainSingle().Subject;
        max.Type.Should().Be(JetStreamAdvisory.MaxDeliverType);
        max.Subject.Should().Be($"$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.{stream}.c");
        max.Consumer.Should().Be("c");
        max.StreamSequence.Should().Be(1);
        max.Deliveries.Should().Be(2);
        max.ConsumerSequence.Should().BeNull();

        (await B.GetStreamInfoAsync(stream)).State.Messages.Should().Be(1);
    }

    [Fact]
    public async Task S96_Exhaustion_IsDetectedAtAckWaitExpiry_WithoutAPullRequest()
    {
        var (stream, prefix) = Unique("S96");
        await StreamAsync(stream, prefix);
        await B.PublishAsync(prefix + ".a", Bytes("1"));
        await ConsumerAsync(stream, "c", c =>
        {
            c.AckWait = OneSecond;
            c.MaxDeliver = 1;
        });
        (await B.FetchAsync(stream, "c", 1)).Should().ContainSingle();
        await B.LetTimePassAsync(TimeSpan.FromMilliseconds(1200));

        // 2.10.22+: eager, no pull request needed.
        var info = await B.EventuallyAsync(() => B.GetConsumerInfoAsync(stream, "c"), i => i.NumAckPending == 0);
        // S-97/S-98 on 2.10.27: the floor moves past it, and it counts as redelivered although it was never re-sent.
        Counters(info).Should().Be("delivered=1/1 ack_floor=1/1 ack_pending=0 pending=0 redelivered=1");
        (await B.AdvisoriesAsync(stream, 1)).Should().ContainSingle().Which.Deliveries.Should().Be(1);
    }

    [Fact]
    public async Task S98_NumRedelivered_CountsResends_NotNaks()
    {
        var (stream, prefix) = Unique("S98");
        await StreamAsync(stream, prefix);
        await PublishManyAsync(prefix + ".a", 2);
        await ConsumerAsync(stream, "c");
        var msgs = await B.FetchAsync(stream, "c", 2);
        await msgs[0].NakAsync();
        await msgs[1].NakAsync();
        (await B.GetConsumerInfoAsync(stream, "c")).NumRedelivered.Should().Be(0);

        var again = await B.FetchAsync(stream, "c", 1);
        again.Single().Metadata.StreamSequence.Should().Be(1);
        (await B.GetConsumerInfoAsync(stream, "c")).NumRedelivered.Should().Be(1);

        await again[0].NakAsync();
        var more = await B.FetchAsync(stream, "c", 2);
        more.Select(m => m.Metadata.StreamSequence).Should().Equal(2UL, 1UL);
        (await B.GetConsumerInfoAsync(stream, "c")).NumRedelivered.Should().Be(2);

        await more[0].AckAsync();
        (await B.GetConsumerInfoAsync(stream, "c")).NumRedelivered.Should().Be(1);
        await more[1].TermAsync();
        (await B.GetConsumerInfoAsync(stream, "c")).NumRedelivered.Should().Be(0);
    }

    [Fact]
    public async Task S99_RemovedPendingMessages_AreNotRedelivered()
    {
        var (stream, prefix) = Unique("S99");
        await StreamAsync(stream, prefix);
        await PublishManyAsync(prefix + ".a", 2);
        await ConsumerAsync(stream, "c", c => c.AckWait = OneSecond);
        (await B.FetchAsync(stream, "c", 2)).Should().HaveCount(2);
        await B.PurgeStreamAsync(stream);
        await B.PublishAsync(prefix + ".a", Bytes("3"));

        await B.LetTimePassAsync(TimeSpan.FromMilliseconds(1200));
        var msgs = await B.FetchAsync(stream, "c", 1, OneSecond);
        msgs.Select(m => (m.Metadata.StreamSequence, m.Metadata.NumDelivered)).Should().Equal((3UL, 1UL));
        await msgs[0].AckAsync();
        var info = await B.EventuallyAsync(() => B.GetConsumerInfoAsync(stream, "c"), i => i.NumAckPending == 0);
        info.NumAckPending.Should().Be(0);
        info.NumRedelivered.Should().Be(0);
    }

    [Fact]
    public async Task S100_Delivered_FilteredConsumer_AndLastActive()
    {
        var (stream, prefix) = Unique("S100");
        await StreamAsync(stream, prefix);
        await B.PublishAsync(prefix + ".a", Bytes("1"));
        await B.PublishAsync(prefix + ".b", Bytes("2"));
        await B.PublishAsync(prefix + ".b", Bytes("3"));
        var fresh = await ConsumerAsync(stream, "c", c => c.FilterSubject = prefix + ".a");
        fresh.Delivered!.LastActive.Should().Be(default);

        var msgs = await B.FetchAsync(stream, "c", 5);
        msgs.Should().ContainSingle();
        var info = await B.GetConsumerInfoAsync(stream, "c");
        info.Delivered!.ConsumerSeq.Should().Be(1);
        info.Delivered.StreamSeq.Should().Be(3);
        info.Delivered.LastActive.Should().BeOnOrAfter(fresh.Created);
    }

    [Fact]
    public async Task S101_AckFloor_StartsAtZero_MovesOnlyContiguously()
    {
        var (stream, prefix) = Unique("S101");
        await StreamAsync(stream, prefix, s => s.MaxMsgs = 2);
        var empty = await ConsumerAsync(stream, "empty", c => c.FilterSubject = prefix + ".none");
        empty.AckFloor!.StreamSeq.Should().Be(0);

        await PublishManyAsync(prefix + ".a", 5); // first_seq 4
        var all = await ConsumerAsync(stream, "all");
        // 2.10.27 reports ack_floor 0/0 on a fresh consumer whatever the start (correction to S-101: not start − 1).
        Counters(all).Should().Be("delivered=0/3 ack_floor=0/0 ack_pending=0 pending=2 redelivered=0");
        var fresh = await ConsumerAsync(stream, "new", c => c.DeliverPolicy = NATS.Client.JetStream.Models.ConsumerConfigDeliverPolicy.New);
        Counters(fresh).Should().Be("delivered=0/5 ack_floor=0/0 ack_pending=0 pending=0 redelivered=0");

        var msgs = await B.FetchAsync(stream, "all", 2);
        await msgs[1].AckAsync();
        Counters(await B.GetConsumerInfoAsync(stream, "all")).Should().Be("delivered=2/5 ack_floor=0/0 ack_pending=1 pending=0 redelivered=0");
        await msgs[0].AckAsync();
        Counters(await B.GetConsumerInfoAsync(stream, "all")).Should().Be("delivered=2/5 ack_floor=2/5 ack_pending=0 pending=0 redelivered=0");
    }

    [Fact]
    public async Task S102_NumAckPending_IncludesDelayedAndExpiredMessages()
    {
        var (stream, prefix) = Unique("S102");
        await StreamAsync(stream, prefix);
        await PublishManyAsync(prefix + ".a", 3);
        await ConsumerAsync(stream, "c", c => c.AckWait = OneSecond);
        var msgs = await B.FetchAsync(stream, "c", 3);
        await msgs[0].NakAsync(TimeSpan.FromSeconds(30));
        await msgs[1].TermAsync();
        await B.LetTimePassAsync(TimeSpan.FromMilliseconds(1200));
        var info = await B.GetConsumerInfoAsync(stream, "c");
        info.NumAckPending.Should().Be(2);
        info.NumPending.Should().Be(0);
    }

    [Fact]
    public async Task S103_NumPending_FallsWhenMessagesAreRemoved()
    {
        var (stream, prefix) = Unique("S103");
        await StreamAsync(stream, prefix, s => s.MaxMsgs = 3);
        await PublishManyAsync(prefix + ".a", 3);
        await ConsumerAsync(stream, "c");
        (await B.FetchAsync(stream, "c", 1)).Should().ContainSingle();
        (await B.GetConsumerInfoAsync(stream, "c")).NumPending.Should().Be(2);

        await PublishManyAsync(prefix + ".a", 2); // seqs 4, 5 push out 1 and 2
        (await B.GetConsumerInfoAsync(stream, "c")).NumPending.Should().Be(3);

        await B.PurgeStreamAsync(stream);
        (await B.GetConsumerInfoAsync(stream, "c")).NumPending.Should().Be(0);
    }

    /// <summary>
    /// S-154: an ack that empties pending does not stop the consumer's timer. Armed for a delivery's ack wait, or re-armed
    /// for a nak's delay by the check 10 ms after the nak, it fires later, finds nothing pending and sets the ack floor to
    /// everything delivered: past the messages a filtered pull scanned over since the ack. Until then the floor stays where
    /// the ack put it.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task S154_AnAckThatEmptiesPending_LeavesTheTimer_WhichLaterMovesTheFloorPastWhatAPullScanned(bool nakFirst)
    {
        var (stream, prefix) = Unique(nakFirst ? "S154n" : "S154a");
        await StreamAsync(stream, prefix);
        await B.PublishAsync(prefix + ".a", Bytes("1"));
        await ConsumerAsync(stream, "c", c =>
        {
            c.FilterSubject = prefix + ".a";
            c.AckWait = nakFirst ? TimeSpan.FromSeconds(30) : TimeSpan.FromSeconds(3);
        });
        var m = (await B.FetchAsync(stream, "c", 1)).Single();
        if (nakFirst)
        {
            await m.NakAsync(TimeSpan.FromSeconds(3)); // the timer, re-armed 10 ms later, is due 3 s after the nak
        }

        await B.LetTimePassAsync(TimeSpan.FromMilliseconds(200));
        await m.AckAsync();
        await B.PublishAsync(prefix + ".b", Bytes("2"));
        await B.PublishAsync(prefix + ".b", Bytes("3"));
        (await B.FetchAsync(stream, "c", 1, TimeSpan.FromMilliseconds(1100))).Should().BeEmpty(); // scans past 2 and 3
        Counters(await B.GetConsumerInfoAsync(stream, "c")).Should().Be("delivered=1/3 ack_floor=1/1 ack_pending=0 pending=0 redelivered=0");

        await B.LetTimePassAsync(TimeSpan.FromMilliseconds(1900));
        var info = await B.EventuallyAsync(() => B.GetConsumerInfoAsync(stream, "c"), i => i.AckFloor?.StreamSeq == 3);
        Counters(info).Should().Be("delivered=1/3 ack_floor=1/3 ack_pending=0 pending=0 redelivered=0");
    }
}
