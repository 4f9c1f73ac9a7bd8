using FluentAssertions;
using NATS.Client.JetStream.Models;
using Xunit;

namespace Goflux.Contract.Tests;

/// <summary>
/// Field by field, what an update of a consumer (S-50, S-51) or a stream (S-12) does with each property of NATS.Net's
/// configuration models, as nats-server 2.10.27 answers it: applied (and shown in the returned configuration), rejected
/// with the server's code and description, or dropped because 2.10 does not know the field.
/// </summary>
public abstract partial class ContractSuite
{
    /// <summary>Consumer fields: name, the change applied to <c>new ConsumerConfig("c")</c>, and the expected answer.</summary>
    public static TheoryData<string> ConsumerUpdateCases => [.. ConsumerUpdates.Keys];

    /// <summary>Stream fields: name, the change applied to a memory stream on <c>prefix.&gt;</c>, and the expected answer.</summary>
    public static TheoryData<string> StreamUpdateCases => [.. StreamUpdates.Keys];

    private static Dictionary<string, (Action<ConsumerConfig, string> Change, Expect<ConsumerConfig> Expect)> ConsumerUpdates { get; } = new()
    {
        ["MaxExpires"] = ((c, _) => c.MaxExpires = TimeSpan.FromSeconds(5), Applied<ConsumerConfig>(c => c.MaxExpires.Should().Be(TimeSpan.FromSeconds(5)))),
        ["MaxBatch"] = ((c, _) => c.MaxBatch = 10, Applied<ConsumerConfig>(c => c.MaxBatch.Should().Be(10))),
        ["MaxBytes"] = ((c, _) => c.MaxBytes = 1024, Applied<ConsumerConfig>(c => c.MaxBytes.Should().Be(1024))),
        ["InactiveThreshold"] = ((c, _) => c.InactiveThreshold = TimeSpan.FromMinutes(10), Applied<ConsumerConfig>(c => c.InactiveThreshold.Should().Be(TimeSpan.FromMinutes(10)))),
        ["Description"] = ((c, _) => c.Description = "d", Applied<ConsumerConfig>(c => c.Description.Should().Be("d"))),
        ["Metadata"] = ((c, _) => c.Metadata = new Dictionary<string, string> { ["k"] = "v" }, Applied<ConsumerConfig>(c => c.Metadata.Should().Equal(new Dictionary<string, string> { ["k"] = "v" }))),
        ["AckWait"] = ((c, _) => c.AckWait = TimeSpan.FromSeconds(3), Applied<ConsumerConfig>(c => c.AckWait.Should().Be(TimeSpan.FromSeconds(3)))),
        ["MaxDeliver"] = ((c, _) => c.MaxDeliver = 4, Applied<ConsumerConfig>(c => c.MaxDeliver.Should().Be(4))),
        ["MaxAckPending"] = ((c, _) => c.MaxAckPending = 7, Applied<ConsumerConfig>(c => c.MaxAckPending.Should().Be(7))),
        ["FilterSubject"] = ((c, p) => c.FilterSubject = p + ".a", Applied<ConsumerConfig>(c => c.FilterSubject.Should().EndWith(".a"))),
        ["FilterSubjects"] = ((c, p) => c.FilterSubjects = [p + ".a", p + ".b"], Applied<ConsumerConfig>(c => c.FilterSubjects.Should().HaveCount(2))),
        ["HeadersOnly"] = ((c, _) => c.HeadersOnly = true, Applied<ConsumerConfig>(c => c.HeadersOnly.Should().BeTrue())),
        ["Backoff"] = ((c, _) => c.Backoff = [TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2)], Applied<ConsumerConfig>(c =>
        {
            c.Backoff.Should().Equal(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2));
            c.AckWait.Should().Be(TimeSpan.FromSeconds(1), "BackOff overrides ack_wait (S-58)");
        })),
        ["SampleFreq"] = ((c, _) => c.SampleFreq = "50%", Applied<ConsumerConfig>(c => c.SampleFreq.Should().Be("50%"))),
        ["MemStorage"] = ((c, _) => c.MemStorage = true, Applied<ConsumerConfig>(c => c.MemStorage.Should().BeTrue())),
        ["NumReplicas1"] = ((c, _) => c.NumReplicas = 1, Applied<ConsumerConfig>(c => c.NumReplicas.Should().Be(1))),

        // Observed on 2.10.27: a pull consumer accepts a deliver group and shows it.
        ["DeliverGroup"] = ((c, _) => c.DeliverGroup = "g", Applied<ConsumerConfig>(c => c.DeliverGroup.Should().Be("g"))),

        // A 2.11 field: 2.10.27 drops it.
        ["PauseUntil"] = ((c, _) => c.PauseUntil = new DateTimeOffset(2099, 1, 1, 0, 0, 0, TimeSpan.Zero), Applied<ConsumerConfig>(c => c.PauseUntil.Should().BeNull())),

        ["MaxWaiting"] = ((c, _) => c.MaxWaiting = 10, Rejected<ConsumerConfig>(10012, "max waiting can not be updated")),
        ["AckPolicy"] = ((c, _) => c.AckPolicy = ConsumerConfigAckPolicy.All, Rejected<ConsumerConfig>(10012, "ack policy can not be updated")),
        ["DeliverPolicy"] = ((c, _) => c.DeliverPolicy = ConsumerConfigDeliverPolicy.New, Rejected<ConsumerConfig>(10012, "deliver policy can not be updated")),
        ["ReplayPolicy"] = ((c, _) => c.ReplayPolicy = ConsumerConfigReplayPolicy.Original, Rejected<ConsumerConfig>(10012, "replay policy can not be updated")),
        ["DeliverSubject"] = ((c, p) => c.DeliverSubject = "deliver." + p, Rejected<ConsumerConfig>(10012, "can not update pull consumer to push based")),
        ["NumReplicas3"] = ((c, _) => c.NumReplicas = 3, Rejected<ConsumerConfig>(10074, "replicas > 1 not supported in non-clustered mode")),
        ["Direct"] = ((c, _) => c.Direct = true, Rejected<ConsumerConfig>(10090, "consumer direct requires a push based consumer")),
        ["RateLimitBps"] = ((c, _) => c.RateLimitBps = 100, Rejected<ConsumerConfig>(10086, "consumer in pull mode can not have rate limit set")),
        ["IdleHeartbeat"] = ((c, _) => c.IdleHeartbeat = TimeSpan.FromSeconds(5), Rejected<ConsumerConfig>(10088, "consumer idle heartbeat requires a push based consumer")),
        ["FlowControl"] = ((c, _) => c.FlowControl = true, Rejected<ConsumerConfig>(10089, "consumer flow control requires a push based consumer")),
    };

    private static Dictionary<string, (Action<StreamConfig, string> Change, Expect<StreamConfig> Expect)> StreamUpdates { get; } = new()
    {
        ["Description"] = ((c, _) => c.Description = "d", Applied<StreamConfig>(c => c.Description.Should().Be("d"))),
        ["Subjects"] = ((c, p) => c.Subjects = [p + ".>", p + "x.>"], Applied<StreamConfig>(c => c.Subjects.Should().HaveCount(2))),
        ["RetentionInterest"] = ((c, _) => c.Retention = StreamConfigRetention.Interest, Applied<StreamConfig>(c => c.Retention.Should().Be(StreamConfigRetention.Interest))),
        ["RetentionWorkqueue"] = ((c, _) => c.Retention = StreamConfigRetention.Workqueue, Rejected<StreamConfig>(10052, "stream configuration update can not change retention policy to/from workqueue")),
        ["MaxConsumers"] = ((c, _) => c.MaxConsumers = 5, Rejected<StreamConfig>(10052, "stream configuration update can not change MaxConsumers")),
        ["MaxMsgs"] = ((c, _) => c.MaxMsgs = 5, Applied<StreamConfig>(c => c.MaxMsgs.Should().Be(5))),
        ["MaxMsgsPerSubject"] = ((c, _) => c.MaxMsgsPerSubject = 5, Applied<StreamConfig>(c => c.MaxMsgsPerSubject.Should().Be(5))),
        ["MaxBytes"] = ((c, _) => c.MaxBytes = 5000, Applied<StreamConfig>(c => c.MaxBytes.Should().Be(5000))),
        ["MaxAge"] = ((c, _) => c.MaxAge = TimeSpan.FromHours(1), Applied<StreamConfig>(c => c.MaxAge.Should().Be(TimeSpan.FromHours(1)))),
        ["MaxMsgSize"] = ((c, _) => c.MaxMsgSize = 500, Applied<StreamConfig>(c => c.MaxMsgSize.Should().Be(500))),
        ["Storage"] = ((c, _) => c.Storage = StreamConfigStorage.File, Rejected<StreamConfig>(10052, "stream configuration update can not change storage type")),
        ["Compression"] = ((c, _) => c.Compression = StreamConfigCompression.S2, Applied<StreamConfig>(c => c.Compression.Should().Be(StreamConfigCompression.S2))),
        ["NumReplicas1"] = ((c, _) => c.NumReplicas = 1, Applied<StreamConfig>(c => c.NumReplicas.Should().Be(1))),

        // Observed on 2.10.27: a single server refuses to create an R3 stream (10074) but accepts an update to R3 and shows it.
        ["NumReplicas3"] = ((c, _) => c.NumReplicas = 3, Applied<StreamConfig>(c => c.NumReplicas.Should().Be(3))),
        ["NoAck"] = ((c, _) => c.NoAck = true, Applied<StreamConfig>(c => c.NoAck.Should().BeTrue())),
        ["TemplateOwner"] = ((c, _) => c.TemplateOwner = "t", Rejected<StreamConfig>(10052, "stream configuration update can not be owned by a template")),
        ["Discard"] = ((c, _) => c.Discard = StreamConfigDiscard.New, Applied<StreamConfig>(c => c.Discard.Should().Be(StreamConfigDiscard.New))),
        ["DuplicateWindow"] = ((c, _) => c.DuplicateWindow = TimeSpan.FromMinutes(1), Applied<StreamConfig>(c => c.DuplicateWindow.Should().Be(TimeSpan.FromMinutes(1)))),
        ["Placement"] = ((c, _) => c.Placement = new Placement { Cluster = "east" }, Applied<StreamConfig>(c => c.Placement!.Cluster.Should().Be("east"))),

        // Observed on 2.10.27: sealing also sets deny_delete, deny_purge and discard new.
        ["Sealed"] = ((c, _) => c.Sealed = true, Applied<StreamConfig>(c =>
        {
            c.Sealed.Should().BeTrue();
            (c.DenyDelete, c.DenyPurge, c.Discard).Should().Be((true, true, StreamConfigDiscard.New));
        })),
        ["DenyDelete"] = ((c, _) => c.DenyDelete = true, Applied<StreamConfig>(c => c.DenyDelete.Should().BeTrue())),
        ["DenyPurge"] = ((c, _) => c.DenyPurge = true, Applied<StreamConfig>(c => c.DenyPurge.Should().BeTrue())),
        ["AllowRollupHdrs"] = ((c, _) => c.AllowRollupHdrs = true, Applied<StreamConfig>(c => c.AllowRollupHdrs.Should().BeTrue())),
        ["AllowDirect"] = ((c, _) => c.AllowDirect = true, Applied<StreamConfig>(c => c.AllowDirect.Should().BeTrue())),

        // Observed on 2.10.27: refused at create without a mirror (10052), but accepted by an update.
        ["MirrorDirect"] = ((c, _) => c.MirrorDirect = true, Applied<StreamConfig>(c => c.MirrorDirect.Should().BeTrue())),
        ["DiscardNewPerSubject"] = ((c, _) =>
        {
            c.DiscardNewPerSubject = true;
            c.Discard = StreamConfigDiscard.New;
            c.MaxMsgsPerSubject = 1;
        }, Applied<StreamConfig>(c => c.DiscardNewPerSubject.Should().BeTrue())),
        ["Metadata"] = ((c, _) => c.Metadata = new Dictionary<string, string> { ["k"] = "v" }, Applied<StreamConfig>(c => c.Metadata.Should().Equal(new Dictionary<string, string> { ["k"] = "v" }))),

        // 2.11 and later fields: 2.10.27 drops them.
        ["AllowMsgTTL"] = ((c, _) => c.AllowMsgTTL = true, Applied<StreamConfig>(c => c.AllowMsgTTL.Should().BeFalse())),
        ["SubjectDeleteMarkerTTL"] = ((c, _) => c.SubjectDeleteMarkerTTL = TimeSpan.FromSeconds(5), Applied<StreamConfig>(c => c.SubjectDeleteMarkerTTL.Should().Be(TimeSpan.Zero))),
        ["AllowMsgCounter"] = ((c, _) => c.AllowMsgCounter = true, Applied<StreamConfig>(c => c.AllowMsgCounter.Should().BeFalse())),
        ["AllowMsgSchedules"] = ((c, _) => c.AllowMsgSchedules = true, Applied<StreamConfig>(c => c.AllowMsgSchedules.Should().BeFalse())),
        ["AllowAtomicPublish"] = ((c, _) => c.AllowAtomicPublish = true, Applied<StreamConfig>(c => c.AllowAtomicPublish.Should().BeFalse())),
        ["AllowBatchPublish"] = ((c, _) => c.AllowBatchPublish = true, Applied<StreamConfig>(c => c.AllowBatchPublish.Should().BeFalse())),
        ["PersistMode"] = ((c, _) => c.PersistMode = StreamConfigPersistMode.Async, Applied<StreamConfig>(c => c.PersistMode.Should().NotBe(StreamConfigPersistMode.Async))),
    };

    [Theory]
    [MemberData(nameof(ConsumerUpdateCases))]
    public async Task S51_ConsumerUpdate_AppliesOrRejectsEachField(string field)
    {
        var (stream, prefix) = Unique("S51u");
        await StreamAsync(stream, prefix);
        await B.CreateOrUpdateConsumerAsync(stream, new ConsumerConfig("c"));
        var (change, expect) = ConsumerUpdates[field];
        var config = new ConsumerConfig("c");
        change(config, prefix);

        await expect.CheckAsync(() => B.UpdateConsumerAsync(stream, config), async () => (await B.GetConsumerInfoAsync(stream, "c")).Config, c => c.Config);
    }

    [Fact]
    public async Task S51_StartSequenceAndTime_CannotBeUpdated_10012()
    {
        var (stream, prefix) = Unique("S51s");
        await StreamAsync(stream, prefix);
        var start = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        await B.CreateOrUpdateConsumerAsync(stream, new ConsumerConfig("s") { DeliverPolicy = ConsumerConfigDeliverPolicy.ByStartSequence, OptStartSeq = 1 });
        await B.CreateOrUpdateConsumerAsync(stream, new ConsumerConfig("t") { DeliverPolicy = ConsumerConfigDeliverPolicy.ByStartTime, OptStartTime = start });

        var seq = await ApiFailureAsync(() => B.UpdateConsumerAsync(stream, new ConsumerConfig("s") { DeliverPolicy = ConsumerConfigDeliverPolicy.ByStartSequence, OptStartSeq = 2 }));
        (seq.ErrorCode, seq.Message).Should().Be((10012, "start sequence can not be updated"));
        var time = await ApiFailureAsync(() => B.UpdateConsumerAsync(stream, new ConsumerConfig("t") { DeliverPolicy = ConsumerConfigDeliverPolicy.ByStartTime, OptStartTime = start.AddSeconds(5) }));
        (time.ErrorCode, time.Message).Should().Be((10012, "start time can not be updated"));
    }

    [Fact]
    public async Task S50_CreateExisting_WithAnotherReplayPolicy_Fails10148()
    {
        var (stream, prefix) = Unique("S50r");
        await StreamAsync(stream, prefix);
        await B.CreateConsumerAsync(stream, new ConsumerConfig("c"));

        var thrown = await ApiFailureAsync(() => B.CreateConsumerAsync(stream, new ConsumerConfig("c") { ReplayPolicy = ConsumerConfigReplayPolicy.Original }));
        (thrown.ErrorCode, thrown.Message).Should().Be((10148, "consumer already exists"));
        (await B.GetConsumerInfoAsync(stream, "c")).Config.ReplayPolicy.Should().Be(ConsumerConfigReplayPolicy.Instant);
    }

    [Theory]
    [MemberData(nameof(StreamUpdateCases))]
    public async Task S12_StreamUpdate_AppliesOrRejectsEachField(string field)
    {
        var (stream, prefix) = Unique("S12u");
        await StreamAsync(stream, prefix);
        var (change, expect) = StreamUpdates[field];
        var config = new StreamConfig(stream, [prefix + ".>"]) { Storage = StreamConfigStorage.Memory };
        change(config, prefix);

        await expect.CheckAsync(() => B.UpdateStreamAsync(config), async () => (await B.GetStreamInfoAsync(stream)).Config, s => s.Config);
    }

    [Fact]
    public async Task S12_CreateOnly_Refusals_TemplateOwnerMirrorDirectReplicas()
    {
        var (stream, prefix) = Unique("S12c");
        var owner = await ApiFailureAsync(() => StreamAsync(stream, prefix, c => c.TemplateOwner = "t"));
        (owner.ErrorCode, owner.Message).Should().Be((10049, "stream not owned by template"));
        var direct = await ApiFailureAsync(() => StreamAsync(stream, prefix, c => c.MirrorDirect = true));
        (direct.ErrorCode, direct.Message).Should().Be((10052, "stream has no mirror but does have mirror direct"));
        var replicas = await ApiFailureAsync(() => StreamAsync(stream, prefix, c => c.NumReplicas = 3));
        (replicas.ErrorCode, replicas.Message).Should().Be((10074, "replicas > 1 not supported in non-clustered mode"));
        (await ApiFailureAsync(() => B.GetStreamInfoAsync(stream))).ErrorCode.Should().Be(10059, "nothing was created");
    }

    private static Expect<T> Applied<T>(Action<T> check) => new(null, null, check);

    private static Expect<T> Rejected<T>(int code, string description) => new(code, description, null);

    private static async Task<GofluxException> ApiFailureAsync(Func<Task> act)
        => (await act.Should().ThrowAsync<GofluxException>()).Which;

    /// <summary>What an update must answer: applied (the returned and the stored configuration pass the check) or an error.</summary>
    private sealed record Expect<T>(int? Code, string? Description, Action<T>? Check)
    {
        public async Task CheckAsync<TInfo>(Func<Task<TInfo>> update, Func<Task<T>> stored, Func<TInfo, T> configOf)
        {
            if (Check is { } check)
            {
                check(configOf(await update()));
                check(await stored());
                return;
            }

            var thrown = await ApiFailureAsync(update);
            (thrown.ErrorCode, thrown.Message).Should().Be((Code, Description!));
        }
    }
}
