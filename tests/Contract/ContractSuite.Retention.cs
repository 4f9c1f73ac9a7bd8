using FluentAssertions;
using NATS.Client.JetStream.Models;
using Xunit;

namespace Goflux.Contract.Tests;

/// <summary>Section 4 of JETSTREAM-SEMANTICS.md, interest and workqueue retention (S-38 to S-45).</summary>
public abstract partial class ContractSuite
{
    [Fact]
    public async Task S38_Interest_NoConsumer_AcceptedButNotStored()
    {
        var (stream, prefix) = Unique("S38");
        await StreamAsync(stream, prefix, c => c.Retention = StreamConfigRetention.Interest);
        (await B.PublishAsync(prefix + ".a", Bytes("1"))).Should().Be(new PublishResult(stream, 1, false));
        (await B.PublishAsync(prefix + ".a", Bytes("2"))).Should().Be(new PublishResult(stream, 2, false));

        var info = await B.GetStreamInfoAsync(stream);
        info.State.Messages.Should().Be(0);
        info.State.LastSeq.Should().Be(2);
        info.State.FirstSeq.Should().Be(3);
    }

    [Fact]
    public async Task S38_Interest_OnlySubjectsWithAMatchingConsumerAreStored()
    {
        var (stream, prefix) = Unique("S38");
        await StreamAsync(stream, prefix, c => c.Retention = StreamConfigRetention.Interest);
        await ConsumerAsync(stream, "c", c => c.FilterSubject = prefix + ".a");
        (await B.PublishAsync(prefix + ".a", Bytes("kept"))).Sequence.Should().Be(1);
        (await B.PublishAsync(prefix + ".b", Bytes("skipped"))).Sequence.Should().Be(2);
        (await B.PublishAsync(prefix + ".a", Bytes("kept too"))).Sequence.Should().Be(3);

        var info = await B.GetStreamInfoAsync(stream);
        info.State.Messages.Should().Be(2);
        info.State.LastSeq.Should().Be(3);
        (await B.FetchAsync(stream, "c", 10)).Select(m => m.Metadata.StreamSequence).Should().Equal(1UL, 3UL);
    }

    [Fact]
    public async Task S39_Interest_RemovedWhenEveryInterestedConsumerAcked()
    {
        var (stream, prefix) = Unique("S39");
        await StreamAsync(stream, prefix, c => c.Retention = StreamConfigRetention.Interest);
        await ConsumerAsync(stream, "one");
        await ConsumerAsync(stream, "two");
        await PublishManyAsync(prefix + ".a", 2);

        var one = await B.FetchAsync(stream, "one", 2);
        var two = await B.FetchAsync(stream, "two", 2);
        await one[0].AckAsync();
        (await B.GetStreamInfoAsync(stream)).State.Messages.Should().Be(2, "consumer two still needs both");

        await two[0].TermAsync();
        var info = await B.EventuallyAsync(() => B.GetStreamInfoAsync(stream), i => i.State.Messages == 1);
        info.State.Messages.Should().Be(1, "ack and term from every consumer remove the message");
        info.State.FirstSeq.Should().Be(2);

        await two[1].AckAsync();
        (await B.GetStreamInfoAsync(stream)).State.Messages.Should().Be(1, "consumer one has not acked message 2");
        await one[1].AckAsync();
        (await B.EventuallyAsync(() => B.GetStreamInfoAsync(stream), i => i.State.Messages == 0)).State.Messages.Should().Be(0);
    }

    [Fact]
    public async Task S39_Interest_AckNoneRemovesOnDelivery_NewConsumerDoesNotHoldOldMessages()
    {
        var (stream, prefix) = Unique("S39");
        await StreamAsync(stream, prefix, c => c.Retention = StreamConfigRetention.Interest);
        await ConsumerAsync(stream, "none", c => c.AckPolicy = ConsumerConfigAckPolicy.None);
        await PublishManyAsync(prefix + ".a", 2);
        await ConsumerAsync(stream, "late", c => c.DeliverPolicy = ConsumerConfigDeliverPolicy.New);

        (await B.FetchAsync(stream, "none", 10)).Should().HaveCount(2);
        var info = await B.EventuallyAsync(() => B.GetStreamInfoAsync(stream), i => i.State.Messages == 0);
        info.State.Messages.Should().Be(0, "delivery acknowledges under ack none, and 'late' starts after both");
    }

    [Fact]
    public async Task S39_Interest_AckAllAcknowledgesEverythingBelow()
    {
        var (stream, prefix) = Unique("S39");
        await StreamAsync(stream, prefix, c => c.Retention = StreamConfigRetention.Interest);
        await ConsumerAsync(stream, "all", c => c.AckPolicy = ConsumerConfigAckPolicy.All);
        await PublishManyAsync(prefix + ".a", 3);
        var msgs = await B.FetchAsync(stream, "all", 3);
        await msgs[1].AckAsync();
        var info = await B.EventuallyAsync(() => B.GetStreamInfoAsync(stream), i => i.State.Messages == 1);
        info.State.Messages.Should().Be(1);
        info.State.FirstSeq.Should().Be(3);
    }

    [Fact]
    public async Task S40_Interest_DeletingConsumers_RemovesWhatNobodyNeeds()
    {
        var (stream, prefix) = Unique("S40");
        await StreamAsync(stream, prefix, c => c.Retention = StreamConfigRetention.Interest);
        await ConsumerAsync(stream, "a", c => c.FilterSubject = prefix + ".a");
        await ConsumerAsync(stream, "all");
        await PublishManyAsync(prefix + ".a", 2, "a");
        await PublishManyAsync(prefix + ".b", 2, "b");

        await B.DeleteConsumerAsync(stream, "all");
        var info = await B.EventuallyAsync(() => B.GetStreamInfoAsync(stream), i => i.State.Messages == 2);
        info.State.Messages.Should().Be(2, "consumer a still needs a1 and a2");
        info.State.FirstSeq.Should().Be(1);

        await B.DeleteConsumerAsync(stream, "a");
        info = await B.EventuallyAsync(() => B.GetStreamInfoAsync(stream), i => i.State.Messages == 0);
        info.State.Messages.Should().Be(0);
        info.State.LastSeq.Should().Be(4);
    }

    [Fact]
    public async Task S41_Interest_UnackedAndExhaustedMessagesStay()
    {
        var (stream, prefix) = Unique("S41");
        await StreamAsync(stream, prefix, c => c.Retention = StreamConfigRetention.Interest);
        await ConsumerAsync(stream, "c", c =>
        {
            c.MaxDeliver = 1;
            c.AckWait = TimeSpan.FromMilliseconds(500);
        });
        await PublishManyAsync(prefix + ".a", 2);
        (await B.FetchAsync(stream, "c", 2)).Should().HaveCount(2);

        await B.LetTimePassAsync(TimeSpan.FromMilliseconds(800));
        (await B.FetchAsync(stream, "c", 2)).Should().BeEmpty("max_deliver is used up");
        (await B.GetStreamInfoAsync(stream)).State.Messages.Should().Be(2, "exhaustion is not an acknowledgement");

        await B.PurgeStreamAsync(stream);
        (await B.GetStreamInfoAsync(stream)).State.Messages.Should().Be(0);
    }

    [Fact]
    public async Task S42_WorkQueue_FirstAckOrTermRemoves_NakDoesNot()
    {
        var (stream, prefix) = Unique("S42");
        await StreamAsync(stream, prefix, c => c.Retention = StreamConfigRetention.Workqueue);
        await ConsumerAsync(stream, "w");
        await PublishManyAsync(prefix + ".a", 3);

        var msgs = await B.FetchAsync(stream, "w", 3);
        await msgs[0].AckAsync();
        await msgs[1].TermAsync();
        await msgs[2].NakAsync();
        var info = await B.EventuallyAsync(() => B.GetStreamInfoAsync(stream), i => i.State.Messages == 1);
        info.State.Messages.Should().Be(1);
        info.State.FirstSeq.Should().Be(3);

        var again = await B.FetchAsync(stream, "w", 3, TimeSpan.FromSeconds(1));
        again.Should().ContainSingle().Which.Metadata.StreamSequence.Should().Be(3);
        (await B.GetStreamInfoAsync(stream)).State.Messages.Should().Be(1);
    }

    [Fact]
    public async Task S42_WorkQueue_DeletedConsumerLeavesMessagesForTheNext()
    {
        var (stream, prefix) = Unique("S42");
        await StreamAsync(stream, prefix, c => c.Retention = StreamConfigRetention.Workqueue);
        await ConsumerAsync(stream, "w1");
        await PublishManyAsync(prefix + ".a", 3);
        var first = await B.FetchAsync(stream, "w1", 2);
        await first[0].AckAsync();

        await B.DeleteConsumerAsync(stream, "w1");
        var info = await B.GetStreamInfoAsync(stream);
        info.State.Messages.Should().Be(2, "deleting a consumer removes nothing");

        await ConsumerAsync(stream, "w2");
        (await B.FetchAsync(stream, "w2", 5)).Select(m => m.Metadata.StreamSequence).Should().Equal(2UL, 3UL);
    }

    [Fact]
    public async Task S43_WorkQueue_ConsumerConstraints()
    {
        var (stream, prefix) = Unique("S43");
        await StreamAsync(stream, prefix, c => c.Retention = StreamConfigRetention.Workqueue);

        (await ApiErrorAsync(() => ConsumerAsync(stream, "all", c => c.AckPolicy = ConsumerConfigAckPolicy.All))).Should().Be(10098);
        (await ApiErrorAsync(() => ConsumerAsync(stream, "none", c => c.AckPolicy = ConsumerConfigAckPolicy.None))).Should().Be(10084);
        (await ApiErrorAsync(() => ConsumerAsync(stream, "new", c => c.DeliverPolicy = ConsumerConfigDeliverPolicy.New))).Should().Be(10101);

        await ConsumerAsync(stream, "first", c => c.FilterSubject = prefix + ".a.>");
        (await ApiErrorAsync(() => ConsumerAsync(stream, "unfiltered"))).Should().Be(10099);
        (await ApiErrorAsync(() => ConsumerAsync(stream, "subset", c => c.FilterSubject = prefix + ".a.b"))).Should().Be(10100);
        (await ApiErrorAsync(() => ConsumerAsync(stream, "newb", c =>
        {
            c.FilterSubject = prefix + ".b";
            c.DeliverPolicy = ConsumerConfigDeliverPolicy.New;
        }))).Should().Be(10101);
        (await ConsumerAsync(stream, "second", c => c.FilterSubject = prefix + ".b")).Name.Should().Be("second");

        // Resubmitting an existing name is an update and skips these checks.
        (await ConsumerAsync(stream, "first", c => c.FilterSubject = prefix + ".a.>")).Name.Should().Be("first");
    }

    [Fact]
    public async Task S43_WorkQueue_UnfilteredConsumerBlocksAllOthers()
    {
        var (stream, prefix) = Unique("S43");
        await StreamAsync(stream, prefix, c => c.Retention = StreamConfigRetention.Workqueue);
        await ConsumerAsync(stream, "everything");
        (await ApiErrorAsync(() => ConsumerAsync(stream, "filtered", c => c.FilterSubject = prefix + ".x"))).Should().Be(10100);
    }

    [Fact]
    public async Task S44_WorkQueue_PartialFilterOverlap_Rejected()
    {
        var (stream, prefix) = Unique("S44");
        await StreamAsync(stream, prefix, c => c.Retention = StreamConfigRetention.Workqueue);
        await ConsumerAsync(stream, "one", c => c.FilterSubject = prefix + ".*.c");

        // Δ2.10.14+: any collision (S-05) is rejected, not only subsets.
        (await ApiErrorAsync(() => ConsumerAsync(stream, "two", c => c.FilterSubject = prefix + ".b.*"))).Should().Be(10100);
        (await ConsumerAsync(stream, "three", c => c.FilterSubject = prefix + ".b.d.e")).Name.Should().Be("three");
    }

    [Fact]
    public async Task S45_Interest_DuplicateOfUnstoredMessage_ReportsItsSequence()
    {
        var (stream, prefix) = Unique("S45");
        await StreamAsync(stream, prefix, c => c.Retention = StreamConfigRetention.Interest);
        (await B.PublishAsync(prefix + ".a", Bytes("1"), Id("i"))).Should().Be(new PublishResult(stream, 1, false));

        // 2.10.20+ fixed the 2.9 quirk that answered seq 0 here.
        (await B.PublishAsync(prefix + ".a", Bytes("1"), Id("i"))).Should().Be(new PublishResult(stream, 1, true));
        (await B.GetStreamInfoAsync(stream)).State.LastSeq.Should().Be(1);
    }

    [Fact]
    public async Task S153_LimitsToInterest_RemovesWhatEachConsumersStoredAckFloorCovers_NotItsWorkingFloor()
    {
        var (stream, prefix) = Unique("S153");
        var info = await StreamAsync(stream, prefix);
        await ConsumerAsync(stream, "c", c => c.AckPolicy = ConsumerConfigAckPolicy.All);
        await PublishManyAsync(prefix + ".a", 3);
        var old = await B.FetchAsync(stream, "c", 2);
        await B.DeleteConsumerAsync(stream, "c");
        await ConsumerAsync(stream, "c", c =>
        {
            c.AckPolicy = ConsumerConfigAckPolicy.All;
            c.DeliverPolicy = ConsumerConfigDeliverPolicy.Last;
        });

        // A stale ack (S-86) of delivery 2 moves the new consumer's working floor; its store holds nothing pending, so
        // its stored floor stays at 0.
        await old[1].AckAsync();
        Counters(await B.EventuallyAsync(() => B.GetConsumerInfoAsync(stream, "c"), i => i.AckFloor?.StreamSeq == 2))
            .Should().Be("delivered=0/2 ack_floor=2/2 ack_pending=0 pending=1 redelivered=0");

        // Switching to interest retention removes what the stored floor covers: nothing.
        var config = info.Config;
        config.Retention = StreamConfigRetention.Interest;
        (await B.UpdateStreamAsync(config)).State.Messages.Should().Be(3);

        // The engine's working floor (2) would have removed the first two messages.
        (await B.GetStreamInfoAsync(stream)).State.FirstSeq.Should().Be(1);
    }
}
