using FluentAssertions;
using NATS.Client.JetStream.Models;
using Xunit;

namespace Goflux.Contract.Tests;

/// <summary>Section 5: consumer creation and configuration (S-46 to S-58).</summary>
public abstract partial class ContractSuite
{
    private static readonly TimeSpan OneSecond = TimeSpan.FromSeconds(1);

    /// <summary>Runs <paramref name="op"/> and expects it to fail with the server's JetStream error code.</summary>
    protected static async Task<GofluxException> ApiErrorAsync(Func<Task> op, int code)
    {
        var thrown = await op.Should().ThrowAsync<GofluxException>();
        thrown.Which.ErrorCode.Should().Be(code, thrown.Which.Message);
        return thrown.Which;
    }

    [Fact]
    public async Task S46_OnlyDurableName_MakesADurable()
    {
        var (stream, prefix) = Unique("S46");
        await StreamAsync(stream, prefix);

        var durable = await B.CreateOrUpdateConsumerAsync(stream, new ConsumerConfig("dur") { AckPolicy = ConsumerConfigAckPolicy.Explicit });
        durable.Name.Should().Be("dur");
        durable.Config.DurableName.Should().Be("dur");
        durable.Config.InactiveThreshold.Should().Be(TimeSpan.Zero);

        var named = await B.CreateOrUpdateConsumerAsync(stream, new ConsumerConfig { Name = "eph", AckPolicy = ConsumerConfigAckPolicy.Explicit });
        named.Name.Should().Be("eph");
        named.Config.Name.Should().Be("eph");
        named.Config.DurableName.Should().BeNull();
    }

    [Fact]
    public async Task S47_Ephemeral_GetsDefaultInactiveThreshold()
    {
        var (stream, prefix) = Unique("S47");
        await StreamAsync(stream, prefix);
        var eph = await B.CreateOrUpdateConsumerAsync(stream, new ConsumerConfig { Name = "eph", AckPolicy = ConsumerConfigAckPolicy.Explicit });
        eph.Config.InactiveThreshold.Should().Be(TimeSpan.FromSeconds(5));

        var custom = await B.CreateOrUpdateConsumerAsync(stream, new ConsumerConfig { Name = "eph2", AckPolicy = ConsumerConfigAckPolicy.Explicit, InactiveThreshold = TimeSpan.FromSeconds(30) });
        custom.Config.InactiveThreshold.Should().Be(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task S48_UnnamedEphemeral_GetsRandomEightCharacterName()
    {
        var (stream, prefix) = Unique("S48");
        await StreamAsync(stream, prefix);
        var a = await B.CreateOrUpdateConsumerAsync(stream, new ConsumerConfig { AckPolicy = ConsumerConfigAckPolicy.Explicit });
        var b = await B.CreateOrUpdateConsumerAsync(stream, new ConsumerConfig { AckPolicy = ConsumerConfigAckPolicy.Explicit });
        a.Name.Should().HaveLength(8);
        b.Name.Should().HaveLength(8).And.NotBe(a.Name);
        a.Config.DurableName.Should().BeNull();
        (await B.GetConsumerInfoAsync(stream, a.Name)).Name.Should().Be(a.Name);
    }

    [Fact]
    public async Task S49_ServerDefaults_AppearInReturnedConfig()
    {
        var (stream, prefix) = Unique("S49");
        await StreamAsync(stream, prefix);
        var c = (await ConsumerAsync(stream, "c")).Config;
        c.DeliverPolicy.Should().Be(ConsumerConfigDeliverPolicy.All);
        c.ReplayPolicy.Should().Be(ConsumerConfigReplayPolicy.Instant);
        c.MaxDeliver.Should().Be(-1);
        c.AckWait.Should().Be(TimeSpan.FromSeconds(30));
        c.MaxAckPending.Should().Be(1000);
        c.MaxWaiting.Should().Be(512);

        var none = (await B.CreateOrUpdateConsumerAsync(stream, new ConsumerConfig("n") { AckPolicy = ConsumerConfigAckPolicy.None })).Config;
        none.AckPolicy.Should().Be(ConsumerConfigAckPolicy.None);
        none.MaxWaiting.Should().Be(512);
        none.MaxDeliver.Should().Be(-1);
    }

    [Fact]
    public async Task S50_CreateOrUpdate_SameConfigKeepsState_UpdatableChangeApplied()
    {
        var (stream, prefix) = Unique("S50a");
        await StreamAsync(stream, prefix);
        await PublishManyAsync(prefix + ".a", 3);
        await ConsumerAsync(stream, "c", c => c.AckWait = TimeSpan.FromSeconds(10));
        (await B.FetchAsync(stream, "c", 2)).Should().HaveCount(2);

        var same = await ConsumerAsync(stream, "c", c => c.AckWait = TimeSpan.FromSeconds(10));
        Counters(same).Should().Be("delivered=2/2 ack_floor=0/0 ack_pending=2 pending=1 redelivered=0");

        var updated = await ConsumerAsync(stream, "c", c =>
        {
            c.AckWait = TimeSpan.FromSeconds(20);
            c.Description = "updated";
        });
        updated.Config.AckWait.Should().Be(TimeSpan.FromSeconds(20));
        updated.Config.Description.Should().Be("updated");
        Counters(updated).Should().Be("delivered=2/2 ack_floor=0/0 ack_pending=2 pending=1 redelivered=0");
    }

    [Fact]
    public async Task S50_ActionCreate_DifferentConfigFails10148_IdenticalSucceeds()
    {
        var (stream, prefix) = Unique("S50b");
        await StreamAsync(stream, prefix);
        var config = new ConsumerConfig("c") { AckPolicy = ConsumerConfigAckPolicy.Explicit, AckWait = TimeSpan.FromSeconds(10) };
        await B.CreateConsumerAsync(stream, config);
        (await B.CreateConsumerAsync(stream, new ConsumerConfig("c") { AckPolicy = ConsumerConfigAckPolicy.Explicit, AckWait = TimeSpan.FromSeconds(10) }))
            .Name.Should().Be("c");
        await ApiErrorAsync(
            () => B.CreateConsumerAsync(stream, new ConsumerConfig("c") { AckPolicy = ConsumerConfigAckPolicy.Explicit, AckWait = TimeSpan.FromSeconds(11) }),
            10148);
        (await B.GetConsumerInfoAsync(stream, "c")).Config.AckWait.Should().Be(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task S50_ActionUpdate_MissingConsumerFails10149()
    {
        var (stream, prefix) = Unique("S50c");
        await StreamAsync(stream, prefix);
        await ApiErrorAsync(() => B.UpdateConsumerAsync(stream, new ConsumerConfig("nope") { AckPolicy = ConsumerConfigAckPolicy.Explicit }), 10149);
        await ApiErrorAsync(() => B.GetConsumerInfoAsync(stream, "nope"), 10014);

        await ConsumerAsync(stream, "c");
        var updated = await B.UpdateConsumerAsync(stream, new ConsumerConfig("c") { AckPolicy = ConsumerConfigAckPolicy.Explicit, MaxDeliver = 7 });
        updated.Config.MaxDeliver.Should().Be(7);
    }

    [Fact]
    public async Task S51_NonUpdatableFields_Fail10012()
    {
        var (stream, prefix) = Unique("S51a");
        await StreamAsync(stream, prefix);
        await ConsumerAsync(stream, "c");

        var ack = await ApiErrorAsync(() => ConsumerAsync(stream, "c", c => c.AckPolicy = ConsumerConfigAckPolicy.All), 10012);
        ack.Message.Should().Contain("ack policy can not be updated");
        var deliver = await ApiErrorAsync(() => ConsumerAsync(stream, "c", c => c.DeliverPolicy = ConsumerConfigDeliverPolicy.New), 10012);
        deliver.Message.Should().Contain("deliver policy can not be updated");
        var waiting = await ApiErrorAsync(() => ConsumerAsync(stream, "c", c => c.MaxWaiting = 10), 10012);
        waiting.Message.Should().Contain("max waiting can not be updated");

        (await B.GetConsumerInfoAsync(stream, "c")).Config.AckPolicy.Should().Be(ConsumerConfigAckPolicy.Explicit);
    }

    [Fact]
    public async Task S51_UpdatableFields_AreApplied()
    {
        var (stream, prefix) = Unique("S51b");
        await StreamAsync(stream, prefix);
        await ConsumerAsync(stream, "c");
        var u = await ConsumerAsync(stream, "c", c =>
        {
            c.AckWait = TimeSpan.FromSeconds(3);
            c.MaxDeliver = 4;
            c.MaxAckPending = 7;
            c.Description = "d";
            c.HeadersOnly = true;
        });
        u.Config.AckWait.Should().Be(TimeSpan.FromSeconds(3));
        u.Config.MaxDeliver.Should().Be(4);
        u.Config.MaxAckPending.Should().Be(7);
        u.Config.Description.Should().Be("d");
        u.Config.HeadersOnly.Should().BeTrue();
        (await B.GetConsumerInfoAsync(stream, "c")).Config.MaxAckPending.Should().Be(7);
    }

    [Fact]
    public async Task S52_PullConsumer_RejectsPushOnlySettings()
    {
        var (stream, prefix) = Unique("S52");
        await StreamAsync(stream, prefix);
        await ApiErrorAsync(() => ConsumerAsync(stream, "hb", c => c.IdleHeartbeat = TimeSpan.FromSeconds(5)), 10088);
        await ApiErrorAsync(() => ConsumerAsync(stream, "fc", c => c.FlowControl = true), 10089);
        await ApiErrorAsync(() => ConsumerAsync(stream, "rl", c => c.RateLimitBps = 1024), 10086);
        await ApiErrorAsync(() => B.GetConsumerInfoAsync(stream, "hb"), 10014);
    }

    [Fact]
    public async Task S53_FilterOutsideStreamSubjects_IsAcceptedAndReceivesNothing()
    {
        var (stream, prefix) = Unique("S53");
        await StreamAsync(stream, prefix);
        await B.PublishAsync(prefix + ".a", Bytes("1"));

        // Δ2.10: no subset check any more (10093 only on 2.9).
        var info = await ConsumerAsync(stream, "c", c => c.FilterSubject = "elsewhere." + prefix);
        info.NumPending.Should().Be(0);
        (await B.FetchAsync(stream, "c", 5)).Should().BeEmpty();

        var narrow = await ConsumerAsync(stream, "n", c => c.FilterSubject = prefix + ".a");
        narrow.NumPending.Should().Be(1);
    }

    [Fact]
    public async Task S54_FilterSubjects_ValidationErrors()
    {
        var (stream, prefix) = Unique("S54a");
        await StreamAsync(stream, prefix);
        // NATS.Net creates a consumer with a filter_subject on CREATE.<stream>.<name>.<filter>, so the server answers
        // 10137 (filter_subjects with the subject form) before its 10136 check (correction to S-54).
        await ApiErrorAsync(
            () => ConsumerAsync(stream, "both", c =>
            {
                c.FilterSubject = prefix + ".a";
                c.FilterSubjects = [prefix + ".b"];
            }),
            10137);
        await ApiErrorAsync(() => ConsumerAsync(stream, "empty", c => c.FilterSubjects = [prefix + ".a", string.Empty]), 10139);
        await ApiErrorAsync(() => ConsumerAsync(stream, "overlap", c => c.FilterSubjects = [prefix + ".a", prefix + ".*"]), 10138);
    }

    [Fact]
    public async Task S54_FilterSubjects_DeliverOnlyMatchingMessages()
    {
        var (stream, prefix) = Unique("S54b");
        await StreamAsync(stream, prefix);
        await B.PublishAsync(prefix + ".a", Bytes("1"));
        await B.PublishAsync(prefix + ".b", Bytes("2"));
        await B.PublishAsync(prefix + ".c", Bytes("3"));
        await B.PublishAsync(prefix + ".a", Bytes("4"));
        var info = await ConsumerAsync(stream, "c", c => c.FilterSubjects = [prefix + ".a", prefix + ".c"]);
        info.NumPending.Should().Be(3);
        info.Config.FilterSubjects.Should().BeEquivalentTo([prefix + ".a", prefix + ".c"]);
        var msgs = await B.FetchAsync(stream, "c", 10);
        msgs.Select(m => m.Metadata.StreamSequence).Should().Equal(1UL, 3UL, 4UL);
    }

    [Fact]
    public async Task S56_MaxConsumers_Fails10026()
    {
        var (stream, prefix) = Unique("S56");
        await StreamAsync(stream, prefix, s => s.MaxConsumers = 1);
        await ConsumerAsync(stream, "one");
        await ApiErrorAsync(() => ConsumerAsync(stream, "two", c => c.FilterSubject = prefix + ".x"), 10026);

        // Re-submitting the existing consumer is not a new consumer.
        (await ConsumerAsync(stream, "one")).Name.Should().Be("one");
    }

    [Fact]
    public async Task S57_BackOff_MaxDeliverValidation()
    {
        var (stream, prefix) = Unique("S57");
        await StreamAsync(stream, prefix);
        TimeSpan[] backoff = [OneSecond, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(3)];

        await ApiErrorAsync(
            () => ConsumerAsync(stream, "short", c =>
            {
                c.Backoff = backoff;
                c.MaxDeliver = 2;
            }),
            10116);

        // 2.10.14+: unlimited is allowed; 2.10.23+: max_deliver == len(backoff) is allowed.
        (await ConsumerAsync(stream, "unlimited", c => c.Backoff = backoff)).Config.MaxDeliver.Should().Be(-1);
        (await ConsumerAsync(stream, "equal", c =>
        {
            c.Backoff = backoff;
            c.MaxDeliver = 3;
        })).Config.MaxDeliver.Should().Be(3);

        await ConsumerAsync(stream, "upd", c => c.MaxDeliver = 2);
        await ApiErrorAsync(
            () => ConsumerAsync(stream, "upd", c =>
            {
                c.Backoff = backoff;
                c.MaxDeliver = 2;
            }),
            10116);
    }

    [Fact]
    public async Task S58_BackOff_OverridesAckWait()
    {
        var (stream, prefix) = Unique("S58");
        await StreamAsync(stream, prefix);
        var info = await ConsumerAsync(stream, "c", c =>
        {
            c.AckWait = TimeSpan.FromSeconds(30);
            c.Backoff = [TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4)];
            c.MaxDeliver = 5;
        });
        info.Config.AckWait.Should().Be(TimeSpan.FromSeconds(2));
        info.Config.Backoff.Should().Equal(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4));
        (await B.GetConsumerInfoAsync(stream, "c")).Config.AckWait.Should().Be(TimeSpan.FromSeconds(2));
    }
}
