using FluentAssertions;
using NATS.Client.JetStream.Models;
using Xunit;

namespace Goflux.Contract.Tests;

/// <summary>Section 2 of JETSTREAM-SEMANTICS.md: stream management (S-09 to S-16).</summary>
public abstract partial class ContractSuite
{
    [Fact]
    public async Task S09_Defaults_ShownInCreateAndInfo()
    {
        var (stream, prefix) = Unique("S09");
        var created = await B.CreateStreamAsync(new StreamConfig(stream, [prefix + ".>"]));
        var info = await B.GetStreamInfoAsync(stream);
        foreach (var c in new[] { created.Config, info.Config })
        {
            c.Retention.Should().Be(StreamConfigRetention.Limits);
            c.Storage.Should().Be(StreamConfigStorage.File);
            c.Discard.Should().Be(StreamConfigDiscard.Old);
            c.MaxMsgs.Should().Be(-1);
            c.MaxBytes.Should().Be(-1);
            c.MaxMsgsPerSubject.Should().Be(-1);
            c.MaxMsgSize.Should().Be(-1);
            c.MaxConsumers.Should().Be(-1);
            c.MaxAge.Should().Be(TimeSpan.Zero);
            c.NumReplicas.Should().Be(1);
            c.DuplicateWindow.Should().Be(TimeSpan.FromMinutes(2));
        }
    }

    [Fact]
    public async Task S09_DuplicateWindow_DefaultsToSmallerMaxAge()
    {
        var (stream, prefix) = Unique("S09");
        var info = await StreamAsync(stream, prefix, c => c.MaxAge = TimeSpan.FromSeconds(30));
        info.Config.DuplicateWindow.Should().Be(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task S10_WindowValidation_Rejected10052()
    {
        var (stream, prefix) = Unique("S10");
        (await ApiErrorAsync(() => StreamAsync(stream, prefix, c => c.MaxAge = TimeSpan.FromMilliseconds(50)))).Should().Be(10052, "max_age under 100 ms");
        (await ApiErrorAsync(() => StreamAsync(stream, prefix, c => c.DuplicateWindow = TimeSpan.FromMilliseconds(50)))).Should().Be(10052, "duplicate_window under 100 ms");
        (await ApiErrorAsync(() => StreamAsync(stream, prefix, c =>
        {
            c.MaxAge = TimeSpan.FromSeconds(1);
            c.DuplicateWindow = TimeSpan.FromSeconds(2);
        }))).Should().Be(10052, "duplicate_window above max_age");
        (await ApiErrorAsync(() => StreamAsync(stream, prefix, c =>
        {
            c.DiscardNewPerSubject = true;
            c.MaxMsgsPerSubject = 1;
        }))).Should().Be(10052, "discard_new_per_subject without discard new");
        (await ApiErrorAsync(() => StreamAsync(stream, prefix, c =>
        {
            c.DiscardNewPerSubject = true;
            c.Discard = StreamConfigDiscard.New;
        }))).Should().Be(10052, "discard_new_per_subject without max_msgs_per_subject");

        var ok = await StreamAsync(stream, prefix, c =>
        {
            c.MaxAge = TimeSpan.FromMilliseconds(100);
            c.DuplicateWindow = TimeSpan.FromMilliseconds(100);
        });
        ok.Config.MaxAge.Should().Be(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public async Task S11_CreateIsIdempotent_DifferentConfigIs10058()
    {
        var (stream, prefix) = Unique("S11");
        await StreamAsync(stream, prefix);
        await PublishManyAsync(prefix + ".a", 2);

        var again = await StreamAsync(stream, prefix);
        again.State.Messages.Should().Be(2, "the existing stream is returned with its state");
        again.State.LastSeq.Should().Be(2);

        // Spelling out a default is the same effective configuration.
        (await StreamAsync(stream, prefix, c => c.MaxMsgs = -1)).State.Messages.Should().Be(2);

        (await ApiErrorAsync(() => StreamAsync(stream, prefix, c => c.MaxMsgs = 10))).Should().Be(10058);
        (await B.GetStreamInfoAsync(stream)).Config.MaxMsgs.Should().Be(-1);
    }

    [Fact]
    public async Task S12_UpdateRestrictions_Rejected10052()
    {
        var (stream, prefix) = Unique("S12");
        await StreamAsync(stream, prefix, c =>
        {
            c.DenyPurge = true;
            c.MaxConsumers = 5;
        });

        (await ApiErrorAsync(() => B.UpdateStreamAsync(Cfg(c => c.Storage = StreamConfigStorage.File)))).Should().Be(10052, "storage type");
        (await ApiErrorAsync(() => B.UpdateStreamAsync(Cfg(c => c.Retention = StreamConfigRetention.Workqueue)))).Should().Be(10052, "retention to workqueue");
        (await ApiErrorAsync(() => B.UpdateStreamAsync(Cfg(c => c.MaxConsumers = 6)))).Should().Be(10052, "max_consumers");
        (await ApiErrorAsync(() => B.UpdateStreamAsync(Cfg(c => c.DenyPurge = false)))).Should().Be(10052, "deny_purge true to false");

        // Δ2.10: limits to interest and back is allowed.
        (await B.UpdateStreamAsync(Cfg(c => c.Retention = StreamConfigRetention.Interest))).Config.Retention.Should().Be(StreamConfigRetention.Interest);
        (await B.UpdateStreamAsync(Cfg(_ => { }))).Config.Retention.Should().Be(StreamConfigRetention.Limits);

        StreamConfig Cfg(Action<StreamConfig> change)
        {
            var c = new StreamConfig(stream, [prefix + ".>"]) { Storage = StreamConfigStorage.Memory, DenyPurge = true, MaxConsumers = 5 };
            change(c);
            return c;
        }
    }

    [Fact]
    public async Task S12_SealedAndDenyDelete_CannotBeUndone()
    {
        var (stream, prefix) = Unique("S12");
        (await ApiErrorAsync(() => StreamAsync(stream, prefix, c => c.Sealed = true))).Should().Be(10052, "a stream can not be created sealed");
        await StreamAsync(stream, prefix, c => c.DenyDelete = true);
        await B.PublishAsync(prefix + ".a", Bytes("1"));

        (await ApiErrorAsync(() => B.UpdateStreamAsync(new StreamConfig(stream, [prefix + ".>"]) { Storage = StreamConfigStorage.Memory })))
            .Should().Be(10052, "deny_delete true to false");
        var sealedInfo = await B.UpdateStreamAsync(new StreamConfig(stream, [prefix + ".>"]) { Storage = StreamConfigStorage.Memory, DenyDelete = true, Sealed = true });
        sealedInfo.Config.Sealed.Should().BeTrue();
        (await ApiErrorAsync(() => B.UpdateStreamAsync(new StreamConfig(stream, [prefix + ".>"]) { Storage = StreamConfigStorage.Memory, DenyDelete = true })))
            .Should().Be(10052, "sealed to unsealed");

        // Not in the catalogue, observed on 2.10.27: a sealed stream refuses publishes and purges with 10109.
        (await PublishFailureAsync(prefix + ".a")).ErrorCode.Should().Be(10109);
        (await ApiErrorAsync(() => B.PurgeStreamAsync(stream))).Should().Be(10109);
        var info = await B.GetStreamInfoAsync(stream);
        info.State.Messages.Should().Be(1);
        info.State.LastSeq.Should().Be(1);
    }

    [Fact]
    public async Task S12_UpdateMissingStream_10059_AfterValidation()
    {
        var (stream, prefix) = Unique("S12");
        (await ApiErrorAsync(() => B.UpdateStreamAsync(new StreamConfig(stream, [prefix + ".>"]) { Storage = StreamConfigStorage.Memory })))
            .Should().Be(10059);
        (await ApiErrorAsync(() => B.UpdateStreamAsync(new StreamConfig(stream, [prefix + ".>"]) { Storage = StreamConfigStorage.Memory, MaxAge = TimeSpan.FromMilliseconds(50) })))
            .Should().Be(10052, "config validation is reported before the missing stream");
    }

    [Theory]
    [InlineData(StreamConfigStorage.Memory)]
    [InlineData(StreamConfigStorage.File)]
    public async Task S13_LoweringLimits_TrimsAtOnce_PerSubjectEvenWithDiscardNew(StreamConfigStorage storage)
    {
        var (stream, prefix) = Unique("S13");
        await StreamAsync(stream, prefix, c =>
        {
            c.Storage = storage;
            c.Discard = StreamConfigDiscard.New;
        });
        await PublishManyAsync(prefix + ".a", 4);
        await PublishManyAsync(prefix + ".b", 2);

        // Server correction: setting max_msgs_per_subject where there was none trims nothing; only lowering an
        // existing per-subject limit trims at once (memory and file store alike, 2.10.27).
        var perSubject = await B.UpdateStreamAsync(Cfg(c => c.MaxMsgsPerSubject = 3));
        perSubject.State.Messages.Should().Be(6);
        perSubject.State.FirstSeq.Should().Be(1);

        perSubject = await B.UpdateStreamAsync(Cfg(c => c.MaxMsgsPerSubject = 2));
        perSubject.State.Messages.Should().Be(4);
        perSubject.State.FirstSeq.Should().Be(3);

        // Server correction: under discard "new", lowering max_msgs (or max_bytes) trims nothing; it only refuses
        // further publishes. Only the per-subject limit trims whatever the discard policy.
        var newPolicy = await B.UpdateStreamAsync(Cfg(c =>
        {
            c.MaxMsgsPerSubject = 2;
            c.MaxMsgs = 2;
            c.MaxBytes = 10;
        }));
        newPolicy.State.Messages.Should().Be(4);
        (await B.GetStreamInfoAsync(stream)).State.Messages.Should().Be(4);
        (await PublishFailureAsync(prefix + ".c")).ErrorCode.Should().Be(10077);

        var info = await B.UpdateStreamAsync(Cfg(c =>
        {
            c.Discard = StreamConfigDiscard.Old;
            c.MaxMsgsPerSubject = 2;
            c.MaxMsgs = 2;
        }));
        info.State.Messages.Should().Be(2);
        info.State.FirstSeq.Should().Be(5);
        info.State.LastSeq.Should().Be(6);
        (await B.GetStreamInfoAsync(stream)).State.Messages.Should().Be(2);

        StreamConfig Cfg(Action<StreamConfig> change)
        {
            var c = new StreamConfig(stream, [prefix + ".>"]) { Storage = storage, Discard = StreamConfigDiscard.New };
            change(c);
            return c;
        }
    }

    [Fact]
    public async Task S13_AConfigurationReadFromInfo_ChangesNothingUntilItIsSentAsAnUpdate()
    {
        var (stream, prefix) = Unique("S13C");
        var config = (await StreamAsync(stream, prefix)).Config;
        var consumerConfig = (await ConsumerAsync(stream, "c")).Config;

        // What info returns is the caller's copy, as a server's decoded answer is.
        config.MaxMsgs = 1;
        consumerConfig.MaxAckPending = 1;
        (await B.GetStreamInfoAsync(stream)).Config.MaxMsgs.Should().Be(-1);
        await PublishManyAsync(prefix + ".a", 3);
        (await B.GetStreamInfoAsync(stream)).State.Messages.Should().Be(3);
        (await B.FetchAsync(stream, "c", 3)).Should().HaveCount(3);

        (await B.UpdateStreamAsync(config)).State.Messages.Should().Be(1, "the update applies it (S-13)");
    }

    [Fact]
    public async Task S13_LoweringMaxBytes_TrimsOldest()
    {
        var (stream, prefix) = Unique("S13");
        await StreamAsync(stream, prefix);
        await PublishManyAsync(prefix + ".a", 5);
        var size = (await B.GetStreamInfoAsync(stream)).State.Bytes / 5;
        var info = await B.UpdateStreamAsync(new StreamConfig(stream, [prefix + ".>"]) { Storage = StreamConfigStorage.Memory, MaxBytes = (size * 2) + 1 });
        info.State.Messages.Should().Be(2);
        info.State.FirstSeq.Should().Be(4);
    }

    [Fact]
    public async Task S13_LoweringMaxAge_ExpiresOldMessages()
    {
        var (stream, prefix) = Unique("S13");
        await StreamAsync(stream, prefix);
        await PublishManyAsync(prefix + ".a", 2);
        await B.LetTimePassAsync(TimeSpan.FromMilliseconds(1200));
        await B.PublishAsync(prefix + ".a", Bytes("fresh"));

        await B.UpdateStreamAsync(new StreamConfig(stream, [prefix + ".>"]) { Storage = StreamConfigStorage.Memory, MaxAge = TimeSpan.FromSeconds(1), DuplicateWindow = TimeSpan.FromSeconds(1) });
        var info = await B.EventuallyAsync(() => B.GetStreamInfoAsync(stream), i => i.State.Messages == 1, TimeSpan.FromMilliseconds(600));
        info.State.Messages.Should().Be(1, "the two old messages go at once, the fresh one stays");
        info.State.FirstSeq.Should().Be(3);
        info.State.LastSeq.Should().Be(3);
    }

    [Fact]
    public async Task S14_Purge_KeepsSequence_AndClearsConsumers()
    {
        var (stream, prefix) = Unique("S14");
        await StreamAsync(stream, prefix);
        await PublishManyAsync(prefix + ".a", 3);
        await ConsumerAsync(stream, "c");
        (await B.FetchAsync(stream, "c", 1)).Should().ContainSingle();

        await B.PurgeStreamAsync(stream);
        var info = await B.GetStreamInfoAsync(stream);
        info.State.Messages.Should().Be(0);
        info.State.Bytes.Should().Be(0);
        info.State.FirstSeq.Should().Be(4);
        info.State.LastSeq.Should().Be(3);

        var consumer = await B.GetConsumerInfoAsync(stream, "c");
        consumer.NumPending.Should().Be(0);
        consumer.NumAckPending.Should().Be(0);

        (await B.PublishAsync(prefix + ".a", Bytes("after"))).Sequence.Should().Be(4);
        var next = await B.FetchAsync(stream, "c", 5);
        next.Select(m => m.Metadata.StreamSequence).Should().Equal(4UL);
    }

    [Fact]
    public async Task S15_DeleteStream_RemovesConsumers_LaterCallsAre10059()
    {
        var (stream, prefix) = Unique("S15");
        await StreamAsync(stream, prefix);
        await B.PublishAsync(prefix + ".a", Bytes("x"));
        await ConsumerAsync(stream, "c");

        await B.DeleteStreamAsync(stream);
        (await ApiErrorAsync(() => B.GetStreamInfoAsync(stream))).Should().Be(10059);
        (await ApiErrorAsync(() => B.GetConsumerInfoAsync(stream, "c"))).Should().Be(10059);
        (await ApiErrorAsync(() => B.PurgeStreamAsync(stream))).Should().Be(10059);
        (await ApiErrorAsync(() => B.DeleteStreamAsync(stream))).Should().Be(10059);
        (await PublishFailureAsync(prefix + ".a")).ErrorCode.Should().BeNull("nothing captures the subject any more");

        var recreated = await StreamAsync(stream, prefix);
        recreated.State.ConsumerCount.Should().Be(0);
        recreated.State.LastSeq.Should().Be(0);
    }

    [Fact]
    public async Task S16_StateFields_LastSeqSurvivesRemoval_GapsCounted()
    {
        var (stream, prefix) = Unique("S16");
        var empty = await StreamAsync(stream, prefix, c => c.MaxMsgsPerSubject = 1);
        empty.State.Messages.Should().Be(0);
        empty.State.FirstSeq.Should().Be(0);
        empty.State.LastSeq.Should().Be(0);

        await B.PublishAsync(prefix + ".a", Bytes("1"));
        await B.PublishAsync(prefix + ".b", Bytes("2"));
        await B.PublishAsync(prefix + ".b", Bytes("3")); // replaces seq 2: an interior gap
        await B.PublishAsync(prefix + ".c", Bytes("4"));
        await ConsumerAsync(stream, "c");

        var info = await B.GetStreamInfoAsync(stream);
        info.State.Messages.Should().Be(3);
        info.State.FirstSeq.Should().Be(1);
        info.State.LastSeq.Should().Be(4);
        info.State.NumSubjects.Should().Be(3);
        info.State.NumDeleted.Should().Be(1);
        info.State.ConsumerCount.Should().Be(1);

        await B.PublishAsync(prefix + ".c", Bytes("5"));
        await B.PurgeStreamAsync(stream);
        var purged = await B.GetStreamInfoAsync(stream);
        purged.State.LastSeq.Should().Be(5);
        purged.State.NumSubjects.Should().Be(0);
        purged.State.NumDeleted.Should().Be(0);
    }
}
