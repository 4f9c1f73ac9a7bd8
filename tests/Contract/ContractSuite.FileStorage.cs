using FluentAssertions;
using Goflux.InMemory;
using NATS.Client.JetStream.Models;
using Xunit;

namespace Goflux.Contract.Tests;

/// <summary>
/// File storage, the storage a stream gets when none is chosen: where nats-server 2.10.27's file store answers
/// otherwise than its memory store (S-121 to S-123), pinned on both bindings beside the memory answer.
/// </summary>
public abstract partial class ContractSuite
{
    [Theory]
    [InlineData(StreamConfigStorage.File, new ulong[] { 6 })]
    [InlineData(StreamConfigStorage.Memory, new ulong[] { 1, 6 })]
    public async Task S121_SeveralFilters_OnFileStorage_AMessageTheFilterTreeDoesNotReachIsPassedOver(StreamConfigStorage storage, ulong[] delivered)
    {
        var (stream, prefix) = Unique("S121" + storage.ToString()[0]);
        await StreamAsync(stream, prefix, s => s.Storage = storage);
        await ConsumerAsync(stream, "c", c => c.FilterSubjects = [prefix + ".*.x", prefix + ".c.y", prefix + ".b"]);
        foreach (var s in new[] { "b", "d.y.2", "d.y.2", "d.x.1", "d.y.2" })
        {
            await B.PublishAsync(prefix + "." + s, Bytes(s));
        }

        // With fewer subjects than messages ahead, the file store looks for the next message through its subject
        // tree, which at a level holding a wildcard follows only the wildcard: b is not found and the consumer moves
        // to the end of the stream. The memory store scans and delivers it.
        var first = await B.FetchAsync(stream, "c", 3, TimeSpan.FromSeconds(1.1));
        await B.PublishAsync(prefix + ".b", Bytes("b again"));
        var second = await B.FetchAsync(stream, "c", 3, TimeSpan.FromSeconds(1.1)); // NATS.Net's least expiry is over 1 s

        first.Concat(second).Select(m => m.Metadata.StreamSequence).Should().Equal(delivered);
    }

    [Fact]
    public async Task S122_FileStorage_PurgeThatRemovesNothing_LeavesANewStreamsFirstSequenceAtZero()
    {
        var (stream, prefix) = Unique("S122");
        await StreamAsync(stream, prefix, s => s.Storage = StreamConfigStorage.File);

        (await B.PurgeStreamAsync(stream, new StreamPurgeRequest { Filter = prefix + ".a" })).Should().Be(0);
        (await B.PurgeStreamAsync(stream, new StreamPurgeRequest { Seq = 1 })).Should().Be(0);
        (await B.GetStreamInfoAsync(stream)).State.FirstSeq.Should().Be(0, "only a purge of everything moves it");

        await B.PurgeStreamAsync(stream);
        var state = (await B.GetStreamInfoAsync(stream)).State;
        (state.FirstSeq, state.LastSeq).Should().Be((1UL, 0UL));
    }

    [Theory]
    [InlineData(StreamConfigStorage.File, 1, 14UL)]
    [InlineData(StreamConfigStorage.File, 3, 3UL)]
    [InlineData(StreamConfigStorage.Memory, 1, 1UL)]
    [InlineData(StreamConfigStorage.Memory, 3, 3UL)]
    public async Task S150_PurgeUpToASequence_ThatEmptiesTheStream_FirstSequenceAsEachStoreReportsIt(StreamConfigStorage storage, int first, ulong firstAfter)
    {
        var (stream, prefix) = Unique("S150" + storage.ToString()[0] + first);
        await StreamAsync(stream, prefix, s => s.Storage = storage);
        await PublishManyAsync(prefix + ".a", 13);
        for (var seq = 1UL; seq < (ulong)first; seq++)
        {
            await B.DeleteMessageAsync(stream, seq);
        }

        await B.DeleteMessageAsync(stream, 13); // nothing left at or after the purge's sequence

        (await B.PurgeStreamAsync(stream, new StreamPurgeRequest { Seq = 13 })).Should().Be(13 - first);
        var state = (await B.GetStreamInfoAsync(stream)).State;
        (state.Messages, state.FirstSeq, state.LastSeq).Should().Be((0L, firstAfter, 13UL));

        await B.PublishAsync(prefix + ".a", Bytes("next"));
        state = (await B.GetStreamInfoAsync(stream)).State;
        (state.Messages, state.FirstSeq, state.LastSeq).Should().Be((1L, 14UL, 14UL), "the next message stored is the first");
    }

    [Theory]
    [InlineData(StreamConfigStorage.File, 3)]
    [InlineData(StreamConfigStorage.Memory, 3)]
    [InlineData(StreamConfigStorage.File, 2)]
    [InlineData(StreamConfigStorage.Memory, 2)]
    public async Task S151_NewestOfASubjectDeleted_GetLastForTheSubject_IsNotFoundUntilTheSubjectIsRecalculated(StreamConfigStorage storage, int published)
    {
        var (stream, prefix) = Unique("S151" + storage.ToString()[0] + published);
        await StreamAsync(stream, prefix, s => s.Storage = storage);
        await PublishManyAsync(prefix + ".a", published);
        await B.PublishAsync(prefix + ".b", Bytes("b"));
        await B.DeleteMessageAsync(stream, (ulong)published);
        var last = new StreamMsgGetRequest { LastBySubj = prefix + ".a" };

        if (published == 2)
        {
            // One left: the store sets its last from its first at once.
            (await B.GetMessageAsync(stream, last)).Sequence.Should().Be(1);
            return;
        }

        // Two or more left: the subject's last still names the deleted message.
        var get = () => B.GetMessageAsync(stream, last);
        (await get.Should().ThrowAsync<GofluxException>()).Which.ErrorCode.Should().Be(JetStreamErrorCodes.NoMessageFound);
        var expect = () => B.PublishAsync(prefix + ".a", Bytes("x"), LastSubjectSeq((ulong)published - 1));
        (await expect.Should().ThrowAsync<GofluxException>()).Which.ErrorCode.Should().Be(JetStreamErrorCodes.WrongLastSequence);

        // A consumer filtered on the subject counts its pending messages through the subject's state, which recalculates it.
        await ConsumerAsync(stream, "c", c => c.FilterSubject = prefix + ".a");
        (await B.GetMessageAsync(stream, last)).Sequence.Should().Be((ulong)published - 1);
    }

    [Theory]
    [InlineData(StreamConfigStorage.File, 2UL, JetStreamErrorCodes.SequenceNotFound)]
    [InlineData(StreamConfigStorage.File, 9UL, JetStreamErrorCodes.MessageDeleteFailed)]
    [InlineData(StreamConfigStorage.Memory, 2UL, JetStreamErrorCodes.SequenceNotFound)]
    [InlineData(StreamConfigStorage.Memory, 9UL, JetStreamErrorCodes.SequenceNotFound)]
    public async Task S123_DeleteOfAMissingMessage_PastTheLastSequenceOnFileStorageIs10057(StreamConfigStorage storage, ulong seq, int code)
    {
        var (stream, prefix) = Unique("S123" + storage.ToString()[0] + seq);
        await StreamAsync(stream, prefix, s => s.Storage = storage);
        await PublishManyAsync(prefix + ".a", 3);
        await B.DeleteMessageAsync(stream, 2);

        var act = () => B.DeleteMessageAsync(stream, seq);
        (await act.Should().ThrowAsync<GofluxException>()).Which.ErrorCode.Should().Be(code);

        var state = (await B.GetStreamInfoAsync(stream)).State;
        (state.Messages, state.FirstSeq, state.LastSeq, state.NumDeleted).Should().Be((2L, 1UL, 3UL, 1L));
    }

    [Fact]
    public async Task S123_FileStorage_StartTime_FindsTheFirstMessageStoredAtOrAfterIt_EvenPastAnInteriorDelete()
    {
        var (stream, prefix) = Unique("S123T");
        await StreamAsync(stream, prefix, s => s.Storage = StreamConfigStorage.File);
        await PublishManyAsync(prefix + ".a", 2);
        await B.LetTimePassAsync(TimeSpan.FromMilliseconds(200));
        await PublishManyAsync(prefix + ".a", 3, "later");
        var start = (await B.GetMessageAsync(stream, new StreamMsgGetRequest { Seq = 3 })).Time - TimeSpan.FromMilliseconds(50);
        await B.DeleteMessageAsync(stream, 3);

        await ConsumerAsync(stream, "c", c =>
        {
            c.DeliverPolicy = ConsumerConfigDeliverPolicy.ByStartTime;
            c.OptStartTime = start;
        });

        (await B.FetchAsync(stream, "c", 5)).Select(m => m.Metadata.StreamSequence).Should().Equal(4UL, 5UL);
    }

    [Theory]
    [InlineData(StreamConfigStorage.File, 1L)]
    [InlineData(StreamConfigStorage.Memory, 0L)]
    public async Task S35_MaxAge_FileStorageChecksAgainNoSoonerThanASecondWhenTheNextMessageIsDueWithinAQuarterSecond(StreamConfigStorage storage, long left)
    {
        var (stream, prefix) = Unique("S35F" + storage.ToString()[0]);
        await StreamAsync(stream, prefix, s =>
        {
            s.Storage = storage;
            s.MaxAge = TimeSpan.FromSeconds(2);
        });
        await B.LetTimePassAsync(TimeSpan.FromMilliseconds(300));
        await B.PublishAsync(prefix + ".a", Bytes("m1"));
        await B.LetTimePassAsync(TimeSpan.FromMilliseconds(20));
        await B.PublishAsync(prefix + ".a", Bytes("m2"));

        await B.LetTimePassAsync(TimeSpan.FromSeconds(2));
        await B.EventuallyAsync(() => B.GetStreamInfoAsync(stream), i => i.State.FirstSeq >= 2);

        // m2 is due 20 ms after m1: the memory store removes it then; the file store's age check, started with the
        // stream, runs when m1 is due and, the next message being due within a quarter second, next runs a second later.
        await B.LetTimePassAsync(TimeSpan.FromMilliseconds(250));
        (await B.GetStreamInfoAsync(stream)).State.Messages.Should().Be(left);

        await B.LetTimePassAsync(TimeSpan.FromSeconds(1));
        var state = (await B.EventuallyAsync(() => B.GetStreamInfoAsync(stream), i => i.State.Messages == 0)).State;
        (state.Messages, state.FirstSeq).Should().Be((0L, 3UL));
    }

    [Fact]
    public async Task S35_MaxAge_FileStorage_AMessageDueSoonAfterTheStreamsFirstAgeCheck_ExpiresASecondLate()
    {
        // The age check runs a max age after the stream was created, finds m1 due within a quarter second and runs
        // again a second later.
        var (stream, _) = await OneMessagePastItsAgeBeforeTheAgeCheckAsync("S35C");

        await B.LetTimePassAsync(TimeSpan.FromSeconds(1));
        var state = (await B.EventuallyAsync(() => B.GetStreamInfoAsync(stream), i => i.State.Messages == 0)).State;
        (state.Messages, state.FirstSeq).Should().Be((0L, 2UL));
    }

    [Fact]
    public async Task S13_UpdateWithTheSameConfig_FileStorage_ExpiresWhatIsPastMaxAgeBeforeTheAgeCheckRuns()
    {
        // Past its age, but the store's age check next runs a second after the first (S-35).
        var (_, info) = await OneMessagePastItsAgeBeforeTheAgeCheckAsync("S13F");

        // An update that changes nothing still applies the configuration, and max age with it.
        var state = (await B.UpdateStreamAsync(info.Config)).State;
        (state.Messages, state.FirstSeq, state.LastSeq).Should().Be((0L, 2UL, 1UL));
    }

    /// <summary>
    /// A file stream with a 2 s max age, one message stored 100 ms in, and 2.4 s later: the message is past its age and
    /// still there, since the store's age check ran before it was due (S-35). The premise needs the message stored
    /// within a quarter second of the stream's creation; on a real server a slow first publish (cold code, a loaded
    /// machine) can miss that, so such a try is deleted and the setup runs again, at most three times.
    /// </summary>
    private async Task<(string Stream, StreamInfo Info)> OneMessagePastItsAgeBeforeTheAgeCheckAsync(string name)
    {
        for (var attempt = 1; ; attempt++)
        {
            var (stream, prefix) = Unique(name);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var info = await StreamAsync(stream, prefix, s =>
            {
                s.Storage = StreamConfigStorage.File;
                s.MaxAge = TimeSpan.FromSeconds(2);
            });
            await B.LetTimePassAsync(TimeSpan.FromMilliseconds(100));
            await B.PublishAsync(prefix + ".a", Bytes("m1"));
            var stored = clock.Elapsed;
            if (stored > TimeSpan.FromMilliseconds(200) && attempt < 3)
            {
                await B.DeleteStreamAsync(stream);
                continue;
            }

            await B.LetTimePassAsync(TimeSpan.FromMilliseconds(2400));
            (await B.GetStreamInfoAsync(stream)).State.Messages.Should().Be(1, "the message was stored {0} ms after the stream was created", (long)stored.TotalMilliseconds);
            return (stream, info);
        }
    }
}
