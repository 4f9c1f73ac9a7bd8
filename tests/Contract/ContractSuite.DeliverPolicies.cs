using FluentAssertions;
using NATS.Client.JetStream.Models;
using Xunit;

namespace Goflux.Contract.Tests;

/// <summary>Section 6: deliver policies (S-59 to S-65).</summary>
public abstract partial class ContractSuite
{
    [Fact]
    public async Task S59_DeliverAll_FilteredStartsAtFirstMatch()
    {
        var (stream, prefix) = Unique("S59");
        await StreamAsync(stream, prefix);
        await B.PublishAsync(prefix + ".b", Bytes("1"));
        await B.PublishAsync(prefix + ".a", Bytes("2"));
        await B.PublishAsync(prefix + ".b", Bytes("3"));
        await B.PublishAsync(prefix + ".a", Bytes("4"));

        var all = await ConsumerAsync(stream, "all");
        all.NumPending.Should().Be(4);
        (await B.FetchAsync(stream, "all", 1))[0].Metadata.StreamSequence.Should().Be(1);

        var filtered = await ConsumerAsync(stream, "f", c => c.FilterSubject = prefix + ".a");
        filtered.NumPending.Should().Be(2);
        var msgs = await B.FetchAsync(stream, "f", 10);
        msgs.Select(m => m.Metadata.StreamSequence).Should().Equal(2UL, 4UL);
        msgs.Select(m => Text(m.Data)).Should().Equal("2", "4");
    }

    [Fact]
    public async Task S60_DeliverLast_StartsAtLastMatchingMessage_ThenContinues()
    {
        var (stream, prefix) = Unique("S60a");
        await StreamAsync(stream, prefix);
        await B.PublishAsync(prefix + ".a", Bytes("1"));
        await B.PublishAsync(prefix + ".a", Bytes("2"));
        await B.PublishAsync(prefix + ".b", Bytes("3"));

        var last = await ConsumerAsync(stream, "last", c => c.DeliverPolicy = ConsumerConfigDeliverPolicy.Last);
        last.NumPending.Should().Be(1);
        var lastA = await ConsumerAsync(stream, "lastA", c =>
        {
            c.DeliverPolicy = ConsumerConfigDeliverPolicy.Last;
            c.FilterSubject = prefix + ".a";
        });
        lastA.NumPending.Should().Be(1);

        await B.PublishAsync(prefix + ".a", Bytes("4"));
        (await B.FetchAsync(stream, "last", 10)).Select(m => m.Metadata.StreamSequence).Should().Equal(3UL, 4UL);
        (await B.FetchAsync(stream, "lastA", 10)).Select(m => m.Metadata.StreamSequence).Should().Equal(2UL, 4UL);
    }

    [Fact]
    public async Task S60_DeliverLast_OnEmptyStream_BehavesLikeNew()
    {
        var (stream, prefix) = Unique("S60b");
        await StreamAsync(stream, prefix);
        var info = await ConsumerAsync(stream, "last", c => c.DeliverPolicy = ConsumerConfigDeliverPolicy.Last);
        info.NumPending.Should().Be(0);
        (await B.FetchAsync(stream, "last", 1)).Should().BeEmpty();
        await B.PublishAsync(prefix + ".a", Bytes("1"));
        (await B.FetchAsync(stream, "last", 5)).Select(m => m.Metadata.StreamSequence).Should().Equal(1UL);
    }

    [Fact]
    public async Task S61_DeliverNew_OnlyLaterMessages_DeliveredAtLastSeq()
    {
        var (stream, prefix) = Unique("S61");
        await StreamAsync(stream, prefix);
        await PublishManyAsync(prefix + ".a", 3);
        var info = await ConsumerAsync(stream, "new", c => c.DeliverPolicy = ConsumerConfigDeliverPolicy.New);
        // 2.10.27 reports ack_floor.stream_seq 0 on a fresh consumer, not last_seq (correction to S-61/S-101).
        Counters(info).Should().Be("delivered=0/3 ack_floor=0/0 ack_pending=0 pending=0 redelivered=0");
        (await B.FetchAsync(stream, "new", 5)).Should().BeEmpty();

        await B.PublishAsync(prefix + ".a", Bytes("4"));
        var msgs = await B.FetchAsync(stream, "new", 5);
        msgs.Select(m => m.Metadata.StreamSequence).Should().Equal(4UL);
        msgs[0].Metadata.ConsumerSequence.Should().Be(1);
    }

    [Fact]
    public async Task S62_ByStartSequence_RequiresSequence_10094()
    {
        var (stream, prefix) = Unique("S62a");
        await StreamAsync(stream, prefix);
        var e = await ApiErrorAsync(() => ConsumerAsync(stream, "c", c => c.DeliverPolicy = ConsumerConfigDeliverPolicy.ByStartSequence), 10094);
        e.Message.Should().Contain("optional start sequence is not set");
    }

    [Fact]
    public async Task S62_ByStartSequence_StartsThere_BelowFirstClampsToFirst()
    {
        var (stream, prefix) = Unique("S62b");
        await StreamAsync(stream, prefix, s => s.MaxMsgs = 3);
        await PublishManyAsync(prefix + ".a", 5); // first_seq 3

        var mid = await ConsumerAsync(stream, "mid", c =>
        {
            c.DeliverPolicy = ConsumerConfigDeliverPolicy.ByStartSequence;
            c.OptStartSeq = 4;
        });
        mid.NumPending.Should().Be(2);
        mid.Delivered!.StreamSeq.Should().Be(3);
        mid.AckFloor!.StreamSeq.Should().Be(0); // 2.10.27: 0 on a fresh consumer (correction to S-101)
        (await B.FetchAsync(stream, "mid", 10)).Select(m => m.Metadata.StreamSequence).Should().Equal(4UL, 5UL);

        var low = await ConsumerAsync(stream, "low", c =>
        {
            c.DeliverPolicy = ConsumerConfigDeliverPolicy.ByStartSequence;
            c.OptStartSeq = 1;
        });
        low.NumPending.Should().Be(3);
        (await B.FetchAsync(stream, "low", 10)).Select(m => m.Metadata.StreamSequence).Should().Equal(3UL, 4UL, 5UL);
    }

    [Fact]
    public async Task S62_ByStartSequence_BeyondLast_ClampsToNextMessage()
    {
        var (stream, prefix) = Unique("S62c");
        await StreamAsync(stream, prefix);
        await PublishManyAsync(prefix + ".a", 3);
        var info = await ConsumerAsync(stream, "c", c =>
        {
            c.DeliverPolicy = ConsumerConfigDeliverPolicy.ByStartSequence;
            c.OptStartSeq = 10;
        });
        info.NumPending.Should().Be(0);
        await PublishManyAsync(prefix + ".a", 2);

        // ≤2.10: clamped to last_seq+1, so seq 4 (below the requested 10) is delivered.
        (await B.FetchAsync(stream, "c", 10)).Select(m => m.Metadata.StreamSequence).Should().Equal(4UL, 5UL);
    }

    [Fact]
    public async Task S62_ByStartSequence_OnNeverUsedStream_StartsAtOne()
    {
        var (stream, prefix) = Unique("S62d");
        await StreamAsync(stream, prefix);
        await ConsumerAsync(stream, "c", c =>
        {
            c.DeliverPolicy = ConsumerConfigDeliverPolicy.ByStartSequence;
            c.OptStartSeq = 5;
        });
        await PublishManyAsync(prefix + ".a", 2);
        (await B.FetchAsync(stream, "c", 10)).Select(m => m.Metadata.StreamSequence).Should().Equal(1UL, 2UL);
    }

    [Fact]
    public async Task S63_ByStartTime_StartsAtFirstMessageAtOrAfterTime()
    {
        var (stream, prefix) = Unique("S63");
        await StreamAsync(stream, prefix);
        for (var i = 1; i <= 3; i++)
        {
            await B.PublishAsync(prefix + ".a", Bytes("m" + i));
            await B.LetTimePassAsync(TimeSpan.FromMilliseconds(100));
        }

        await ConsumerAsync(stream, "probe", c => c.AckPolicy = ConsumerConfigAckPolicy.None);
        var stamps = (await B.FetchAsync(stream, "probe", 3)).Select(m => m.Metadata.Timestamp).ToList();
        stamps.Should().HaveCount(3);

        await ApiErrorAsync(() => ConsumerAsync(stream, "none", c => c.DeliverPolicy = ConsumerConfigDeliverPolicy.ByStartTime), 10094);

        var fromSecond = await ConsumerAsync(stream, "t2", c =>
        {
            c.DeliverPolicy = ConsumerConfigDeliverPolicy.ByStartTime;
            c.OptStartTime = stamps[1] - TimeSpan.FromMilliseconds(10);
        });
        fromSecond.NumPending.Should().Be(2);
        (await B.FetchAsync(stream, "t2", 10)).Select(m => m.Metadata.StreamSequence).Should().Equal(2UL, 3UL);

        var future = await ConsumerAsync(stream, "future", c =>
        {
            c.DeliverPolicy = ConsumerConfigDeliverPolicy.ByStartTime;
            c.OptStartTime = stamps[2] + TimeSpan.FromMinutes(10);
        });
        future.NumPending.Should().Be(0);
        await B.PublishAsync(prefix + ".a", Bytes("m4"));
        (await B.FetchAsync(stream, "future", 10)).Select(m => m.Metadata.StreamSequence).Should().Equal(4UL);
    }

    [Fact]
    public async Task S64_LastPerSubject_NewestOfEachSubject_NumPendingIsSubjectCount()
    {
        var (stream, prefix) = Unique("S64");
        await StreamAsync(stream, prefix);
        await B.PublishAsync(prefix + ".a", Bytes("a1"));
        await B.PublishAsync(prefix + ".b", Bytes("b1"));
        await B.PublishAsync(prefix + ".a", Bytes("a2"));
        await B.PublishAsync(prefix + ".c", Bytes("c1"));
        await B.PublishAsync(prefix + ".b", Bytes("b2"));

        var e = await ApiErrorAsync(() => ConsumerAsync(stream, "nofilter", c => c.DeliverPolicy = ConsumerConfigDeliverPolicy.LastPerSubject), 10094);
        e.Message.Should().Contain("filter subject is not set");

        var info = await ConsumerAsync(stream, "lps", c =>
        {
            c.DeliverPolicy = ConsumerConfigDeliverPolicy.LastPerSubject;
            c.FilterSubject = prefix + ".*";
        });
        info.NumPending.Should().Be(3);
        await B.PublishAsync(prefix + ".a", Bytes("a3"));
        var msgs = await B.FetchAsync(stream, "lps", 10);
        msgs.Select(m => Text(m.Data)).Should().Equal("a2", "c1", "b2", "a3");
        msgs.Select(m => m.Metadata.StreamSequence).Should().Equal(3UL, 4UL, 5UL, 6UL);

        // Δ2.10: filter_subjects satisfies the filter requirement.
        var multi = await ConsumerAsync(stream, "multi", c =>
        {
            c.DeliverPolicy = ConsumerConfigDeliverPolicy.LastPerSubject;
            c.FilterSubjects = [prefix + ".a", prefix + ".c"];
        });
        multi.NumPending.Should().Be(2);
        (await B.FetchAsync(stream, "multi", 10)).Select(m => Text(m.Data)).Should().Equal("c1", "a3");
    }

    [Fact]
    public async Task S65_ConflictingStartOptions_Fail10094()
    {
        var (stream, prefix) = Unique("S65");
        await StreamAsync(stream, prefix);
        var seqWithAll = await ApiErrorAsync(() => ConsumerAsync(stream, "a", c => c.OptStartSeq = 3), 10094);
        seqWithAll.Message.Should().Contain("optional start sequence is also set");
        var timeWithNew = await ApiErrorAsync(
            () => ConsumerAsync(stream, "b", c =>
            {
                c.DeliverPolicy = ConsumerConfigDeliverPolicy.New;
                c.OptStartTime = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
            }),
            10094);
        timeWithNew.Message.Should().Contain("optional start time is also set");
        await ApiErrorAsync(
            () => ConsumerAsync(stream, "c", c =>
            {
                c.DeliverPolicy = ConsumerConfigDeliverPolicy.ByStartSequence;
                c.OptStartSeq = 1;
                c.OptStartTime = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
            }),
            10094);
    }
}
