using FluentAssertions;
using Goflux.InMemory;
using NATS.Client.JetStream.Models;
using Xunit;

namespace Goflux.Contract.Tests;

/// <summary>
/// Behaviours the wide differential test found where the engine and nats-server 2.10.27 first disagreed; each is named
/// after its statement in docs/JETSTREAM-SEMANTICS.md and pinned here on both bindings.
/// </summary>
public abstract partial class ContractSuite
{
    [Fact]
    public async Task S40_Interest_ConsumerUpdate_RemovesWhatItsNewFilterNoLongerNeeds()
    {
        var (stream, prefix) = Unique("S40U");
        await StreamAsync(stream, prefix, c => c.Retention = StreamConfigRetention.Interest);
        await ConsumerAsync(stream, "c");
        await B.PublishAsync(prefix + ".a", Bytes("a1"));
        await B.PublishAsync(prefix + ".b", Bytes("b1"));
        await B.PublishAsync(prefix + ".a", Bytes("a2"));
        var first = (await B.FetchAsync(stream, "c", 1)).Single();
        await first.AckAsync();

        await B.UpdateConsumerAsync(stream, new ConsumerConfig("c") { AckPolicy = ConsumerConfigAckPolicy.Explicit, FilterSubject = prefix + ".a" });

        var info = await B.EventuallyAsync(() => B.GetStreamInfoAsync(stream), i => i.State.Messages == 1);
        (info.State.Messages, info.State.FirstSeq, info.State.LastSeq).Should().Be((1L, 3UL, 3UL), "b1 no longer interests anyone; a2 does");
    }

    [Fact]
    public async Task S60_DeliverLast_Unfiltered_StartsAtTheLastSequenceEvenWhenThatMessageIsGone()
    {
        var (stream, prefix) = Unique("S60L");
        await StreamAsync(stream, prefix);
        await PublishManyAsync(prefix + ".a", 3);
        await B.DeleteMessageAsync(stream, 3);

        var info = await ConsumerAsync(stream, "c", c => c.DeliverPolicy = ConsumerConfigDeliverPolicy.Last);
        (info.Delivered.StreamSeq, info.NumPending).Should().Be((2UL, 0UL), "the start is the last sequence (3), whose message is gone");

        await B.PurgeStreamAsync(stream);
        var afterPurge = await ConsumerAsync(stream, "d", c => c.DeliverPolicy = ConsumerConfigDeliverPolicy.Last);
        afterPurge.Delivered.StreamSeq.Should().Be(2UL, "the last sequence is still 3 after a purge (first is 4): no clamp to the first");
        await B.PublishAsync(prefix + ".a", Bytes("new"));
        (await B.FetchAsync(stream, "d", 5)).Select(m => m.Metadata.StreamSequence).Should().Equal(4UL);
    }

    [Fact]
    public async Task S103_UpdateRemovingEveryFilter_TheConsumerIsNoLongerSignalledForNewMessages()
    {
        var (stream, prefix) = Unique("S103S");
        await StreamAsync(stream, prefix);
        await ConsumerAsync(stream, "c", c => c.FilterSubject = prefix + ".a");
        await B.PublishAsync(prefix + ".a", Bytes("a1"));
        await B.PublishAsync(prefix + ".b", Bytes("b1"));

        var updated = await B.UpdateConsumerAsync(stream, new ConsumerConfig("c") { AckPolicy = ConsumerConfigAckPolicy.Explicit });
        updated.NumPending.Should().Be(2, "the update counts what is pending for the new (absent) filter");
        await B.PublishAsync(prefix + ".b", Bytes("b2"));

        // The server keeps the signal list it built for the filters and, with none left, an empty one: new messages
        // are no longer counted for the consumer (they are still delivered when it pulls).
        var info = await B.EventuallyAsync(() => B.GetConsumerInfoAsync(stream, "c"), i => i.NumPending == 2);
        info.NumPending.Should().Be(2);
        (await B.FetchAsync(stream, "c", 5)).Select(m => m.Metadata.StreamSequence).Should().Equal(1UL, 2UL, 3UL);
    }

    [Fact]
    public async Task S65_FilteredNoWaitPull_NothingMatching_AnswersNoMessagesWithoutMovingThePosition()
    {
        var (stream, prefix) = Unique("S65F");
        await StreamAsync(stream, prefix);
        await ConsumerAsync(stream, "c", c => c.FilterSubject = prefix + ".a");
        await B.PublishAsync(prefix + ".b", Bytes("b1"));
        await B.PublishAsync(prefix + ".b", Bytes("b2"));

        (await B.FetchAsync(stream, "c", 5)).Should().BeEmpty();
        var info = await B.GetConsumerInfoAsync(stream, "c");
        (info.Delivered.StreamSeq, info.NumPending).Should().Be((0UL, 0UL), "a no-wait pull with nothing pending is answered 404 at once: the consumer never looks");

        await B.PublishAsync(prefix + ".a", Bytes("a1"));
        await B.PublishAsync(prefix + ".b", Bytes("b3"));
        (await B.FetchAsync(stream, "c", 5)).Select(m => m.Metadata.StreamSequence).Should().Equal(3UL);
        info = await B.EventuallyAsync(() => B.GetConsumerInfoAsync(stream, "c"), i => i.Delivered.StreamSeq == 4);
        info.Delivered.StreamSeq.Should().Be(4UL, "a pull that found something scans on to the end of the stream");
    }

    [Fact]
    public async Task S64_LastPerSubject_NoMatchingSubject_StartsAtTheLastSequence()
    {
        var (stream, prefix) = Unique("S64N");
        await StreamAsync(stream, prefix);
        await PublishManyAsync(prefix + ".b", 3);

        var info = await ConsumerAsync(stream, "c", c =>
        {
            c.DeliverPolicy = ConsumerConfigDeliverPolicy.LastPerSubject;
            c.FilterSubject = prefix + ".a";
        });
        info.Delivered.StreamSeq.Should().Be(2UL, "with no subject to start from, the start is the last sequence (3)");
        await B.PublishAsync(prefix + ".a", Bytes("a1"));
        (await B.FetchAsync(stream, "c", 5)).Select(m => m.Metadata.StreamSequence).Should().Equal(4UL);
    }

    [Fact]
    public async Task S99_LimitRemovesADeliveredUnackedMessage_SettledAsATermAtOnce()
    {
        var (stream, prefix) = Unique("S99T");
        await StreamAsync(stream, prefix, c => c.MaxMsgs = 2);
        await ConsumerAsync(stream, "c", c => c.AckWait = TimeSpan.FromMinutes(5));
        await PublishManyAsync(prefix + ".a", 2);
        (await B.FetchAsync(stream, "c", 2)).Should().HaveCount(2);

        await B.PublishAsync(prefix + ".a", Bytes("m3")); // max_msgs removes message 1, delivered and unacked

        // The server settles it in a goroutine of its own, so a real server's counters can be read half-way there.
        const string settled = "delivered=2/2 ack_floor=1/1 ack_pending=1 pending=1 redelivered=0";
        var info = await B.EventuallyAsync(() => B.GetConsumerInfoAsync(stream, "c"), i => Counters(i) == settled);
        Counters(info).Should().Be(settled);
        var term = (await B.AdvisoriesAsync(stream, atLeast: 1)).Should().ContainSingle(a => a.Type == JetStreamAdvisory.TerminatedType).Subject;
        (term.StreamSequence, term.Reason).Should().Be(((ulong?)1UL, "Unacknowledged message was deleted"));
    }

    [Fact]
    public async Task S85_AckAll_Term_AcknowledgesEverythingUpToIt()
    {
        var (stream, prefix) = Unique("S85T");
        await StreamAsync(stream, prefix);
        await ConsumerAsync(stream, "c", c => c.AckPolicy = ConsumerConfigAckPolicy.All);
        await PublishManyAsync(prefix + ".a", 3);
        var got = await B.FetchAsync(stream, "c", 3);

        await got[1].TermAsync("poison");

        var info = await B.GetConsumerInfoAsync(stream, "c");
        Counters(info).Should().Be("delivered=3/3 ack_floor=2/2 ack_pending=1 pending=0 redelivered=0");
    }

    [Fact]
    public async Task S83_Term_OnInterestStream_RemovesWhatNoOtherConsumerNeeds()
    {
        var (stream, prefix) = Unique("S83I");
        await StreamAsync(stream, prefix, c => c.Retention = StreamConfigRetention.Interest);
        await ConsumerAsync(stream, "a");
        await ConsumerAsync(stream, "b");
        await PublishManyAsync(prefix + ".x", 2);
        var fromA = await B.FetchAsync(stream, "a", 2);
        var fromB = await B.FetchAsync(stream, "b", 2);

        await fromA[0].TermAsync();
        (await B.GetStreamInfoAsync(stream)).State.Messages.Should().Be(2, "b still needs message 1");
        await fromB[0].TermAsync();
        var info = await B.EventuallyAsync(() => B.GetStreamInfoAsync(stream), i => i.State.Messages == 1);
        (info.State.Messages, info.State.FirstSeq).Should().Be((1L, 2UL), "a term is an acknowledgement for retention");
    }

    [Fact]
    public async Task S41_Interest_MessageExhaustedOnOneConsumer_StaysAfterTheOthersAck()
    {
        var (stream, prefix) = Unique("S41X");
        await StreamAsync(stream, prefix, c => c.Retention = StreamConfigRetention.Interest);
        await ConsumerAsync(stream, "once", c =>
        {
            c.MaxDeliver = 1;
            c.AckWait = TimeSpan.FromMilliseconds(500);
        });
        await ConsumerAsync(stream, "other", c => c.AckWait = TimeSpan.FromMinutes(5));
        await B.PublishAsync(prefix + ".x", Bytes("m1"));
        (await B.FetchAsync(stream, "once", 1)).Should().ContainSingle();
        await B.LetTimePassAsync(TimeSpan.FromSeconds(1)); // the only delivery runs out: exhausted
        await B.EventuallyAsync(() => B.GetConsumerInfoAsync(stream, "once"), i => i.NumAckPending == 0);

        await (await B.FetchAsync(stream, "other", 1)).Single().AckAsync();

        var info = await B.EventuallyAsync(() => B.GetStreamInfoAsync(stream), i => i.State.Messages == 0, TimeSpan.FromSeconds(1));
        info.State.Messages.Should().Be(1, "the exhausted consumer keeps its redelivery count for the message, so it still counts as interested");
    }

    [Fact]
    public async Task S37_DiscardNew_MaxBytes_CountsTheStoredSizeWithSubjectAndOverhead()
    {
        var (stream, prefix) = Unique("S37B");
        var subject = prefix + ".a";
        var size = subject.Length + 10 + 16; // memory storage: subject + payload + 16, no headers
        await StreamAsync(stream, prefix, c =>
        {
            c.Discard = StreamConfigDiscard.New;
            c.MaxBytes = (3 * size) + 1;
        });

        for (var i = 0; i < 3; i++)
        {
            await B.PublishAsync(subject, new byte[10]);
        }

        var act = () => B.PublishAsync(subject, new byte[10]);
        (await act.Should().ThrowAsync<GofluxException>()).Which.ErrorCode.Should().Be(JetStreamErrorCodes.StreamStoreFailed);
        (await B.GetStreamInfoAsync(stream)).State.Bytes.Should().Be(3 * size);
    }

    [Fact]
    public async Task S86_StaleAck_FromADeletedConsumer_DoesNotMoveTheNewConsumersFloor()
    {
        var (stream, prefix) = Unique("S86S");
        await StreamAsync(stream, prefix);
        await ConsumerAsync(stream, "c");
        await PublishManyAsync(prefix + ".a", 2);
        var old = await B.FetchAsync(stream, "c", 2);
        await B.DeleteConsumerAsync(stream, "c");
        await ConsumerAsync(stream, "c", c => c.DeliverPolicy = ConsumerConfigDeliverPolicy.New);
        await B.PublishAsync(prefix + ".a", Bytes("m3"));

        await old[0].AckAsync(); // to the new consumer of the same name, which has nothing pending

        var info = await B.GetConsumerInfoAsync(stream, "c");
        Counters(info).Should().Be("delivered=0/2 ack_floor=0/0 ack_pending=0 pending=1 redelivered=0");
    }

    [Fact]
    public async Task S14_PurgeOfAStreamThatNeverStoredAnything_FirstSequenceBecomesOne()
    {
        var (stream, prefix) = Unique("S14E");
        await StreamAsync(stream, prefix);
        (await B.GetStreamInfoAsync(stream)).State.FirstSeq.Should().Be(0);

        await B.PurgeStreamAsync(stream);

        var state = (await B.GetStreamInfoAsync(stream)).State;
        (state.FirstSeq, state.LastSeq, state.Messages).Should().Be((1UL, 0UL, 0L));
    }

    [Fact]
    public async Task S53_ConsumerCreate_BackoffLongerThanMaxDeliverIsCheckedBeforeTheDeliverPolicy_10116()
    {
        var (stream, prefix) = Unique("S53P");
        await StreamAsync(stream, prefix);

        var act = () => ConsumerAsync(stream, "c", c =>
        {
            c.DeliverPolicy = ConsumerConfigDeliverPolicy.LastPerSubject; // needs a filter: 10094 on its own
            c.MaxDeliver = 1;
            c.Backoff = [TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2)];
        });

        (await act.Should().ThrowAsync<GofluxException>()).Which.ErrorCode.Should().Be(JetStreamErrorCodes.ConsumerMaxDeliverBackoff);
    }

    [Fact]
    public async Task S103_TwoFilterSubjectsWithAWildcardAtOneLevel_NumPendingCountsOnlyWhatTheServersFilterTreeReaches()
    {
        var (stream, prefix) = Unique("S103W");
        await StreamAsync(stream, prefix);
        await B.PublishAsync(prefix + ".a.x", Bytes("1"));
        await B.PublishAsync(prefix + ".b.y", Bytes("2"));
        await B.PublishAsync(prefix + ".c.x", Bytes("3"));

        var info = await ConsumerAsync(stream, "c", c => c.FilterSubjects = [prefix + ".*.x", prefix + ".b.y"]);

        // The server totals several filters by walking a tree of their tokens; at a level with a wildcard it follows
        // only the wildcard, so b.y is not counted, though it is delivered.
        info.NumPending.Should().Be(2UL);
        (await B.FetchAsync(stream, "c", 5)).Select(m => m.Metadata.StreamSequence).Should().Equal(1UL, 2UL, 3UL);
    }

    [Fact]
    public async Task S14_PurgeByFilterKeepAndSequence_AndMessageDeleteAndGet_AsTheServerAnswers()
    {
        var (stream, prefix) = Unique("S14X");
        await StreamAsync(stream, prefix);
        foreach (var s in new[] { "a", "b", "a", "b", "a", "b" })
        {
            await B.PublishAsync(prefix + "." + s, Bytes(s));
        }

        (await B.PurgeStreamAsync(stream, new StreamPurgeRequest { Filter = prefix + ".a", Keep = 1 })).Should().Be(2, "a1 and a3 go, a5 stays");
        (await B.PurgeStreamAsync(stream, new StreamPurgeRequest { Seq = 4 })).Should().Be(1, "below 4 only b2 is left");
        var state = (await B.GetStreamInfoAsync(stream)).State;
        (state.Messages, state.FirstSeq, state.LastSeq).Should().Be((3L, 4UL, 6UL));

        (await B.GetMessageAsync(stream, new StreamMsgGetRequest { LastBySubj = prefix + ".b" })).Sequence.Should().Be(6UL);
        (await B.GetMessageAsync(stream, new StreamMsgGetRequest { NextBySubj = prefix + ".a", Seq = 1 })).Sequence.Should().Be(5UL);
        await B.DeleteMessageAsync(stream, 5);
        (await B.GetStreamInfoAsync(stream)).State.NumDeleted.Should().Be(1);

        async Task<int?> CodeOf(Func<Task> op)
        {
            try
            {
                await op();
                return null;
            }
            catch (GofluxException ex)
            {
                return ex.ErrorCode;
            }
        }

        (await CodeOf(() => B.DeleteMessageAsync(stream, 5))).Should().Be(JetStreamErrorCodes.SequenceNotFound);
        (await CodeOf(() => B.GetMessageAsync(stream, new StreamMsgGetRequest { Seq = 5 }))).Should().Be(JetStreamErrorCodes.NoMessageFound);
        (await CodeOf(() => B.GetMessageAsync(stream, new StreamMsgGetRequest { LastBySubj = prefix + ".zzz" }))).Should().Be(JetStreamErrorCodes.NoMessageFound);
        (await CodeOf(() => B.PurgeStreamAsync(stream, new StreamPurgeRequest { Seq = 2, Keep = 1 }))).Should().Be(JetStreamErrorCodes.BadRequest);
        (await CodeOf(() => B.PurgeStreamAsync("NO_SUCH_" + stream, new StreamPurgeRequest()))).Should().Be(JetStreamErrorCodes.StreamNotFound);
    }
}
