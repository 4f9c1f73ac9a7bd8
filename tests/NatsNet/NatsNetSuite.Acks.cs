using FluentAssertions;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using Xunit;

namespace Goflux.NatsNet.Tests;

/// <summary>Acks, naks, in-progress, term and the deadlines behind them (S-79 to S-99), with NATS.Net's ack calls.</summary>
public abstract partial class NatsNetSuite
{
    private static readonly TimeSpan AckWait = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task Acks_Nak_RedeliveredAtOnce_CountedTwice()
    {
        var (s, p) = Unique("NAK");
        await StreamAsync(s, p);
        await PublishManyAsync($"{p}.a", 1);
        var c = await ConsumerAsync(s, "c");
        var first = (await FetchAsync(c, 1)).Single();

        await first.NakAsync(Double, Ct);
        var again = (await FetchAsync(c, 1)).Single();

        Text(again).Should().Be("m1");
        again.Metadata!.Value.NumDelivered.Should().Be(2);
        again.Metadata.Value.Sequence.Consumer.Should().Be(2, "a redelivery takes a new consumer sequence");
        again.Metadata.Value.Sequence.Stream.Should().Be(1);
        (await Js.GetConsumerAsync(s, "c", Ct)).Info.NumRedelivered.Should().Be(1);
    }

    [Fact]
    public async Task Acks_NakWithDelay_RedeliveredAfterTheDelayNotBefore()
    {
        var (s, p) = Unique("NAKD");
        await StreamAsync(s, p);
        await PublishManyAsync($"{p}.a", 1);
        var c = await ConsumerAsync(s, "c", c => c.AckWait = TimeSpan.FromSeconds(30));
        var first = (await FetchAsync(c, 1)).Single();

        await first.NakAsync(new AckOpts { NakDelay = TimeSpan.FromSeconds(3), DoubleAck = true }, Ct);
        await T.LetTimePassAsync(TimeSpan.FromSeconds(1));
        var early = await FetchNowAsync(c, 1);
        await T.LetTimePassAsync(TimeSpan.FromSeconds(3));
        var late = await FetchAsync(c, 1);

        early.Should().BeEmpty("the nak delay has not passed");
        late.Select(Text).Should().Equal("m1");
        late[0].Metadata!.Value.NumDelivered.Should().Be(2);
    }

    [Fact]
    public async Task Acks_AckWait_UnackedMessageComesBack()
    {
        var (s, p) = Unique("AWAIT");
        await StreamAsync(s, p);
        await PublishManyAsync($"{p}.a", 1);
        var c = await ConsumerAsync(s, "c", c => c.AckWait = AckWait);
        _ = (await FetchAsync(c, 1)).Single();

        T.LeaveUnsettled();
        await T.LetTimePassAsync(AckWait + TimeSpan.FromSeconds(1));
        var again = await FetchAsync(c, 1);

        again.Select(Text).Should().Equal("m1");
        again[0].Metadata!.Value.NumDelivered.Should().Be(2);
    }

    [Fact]
    public async Task Acks_InProgress_PushesTheAckWaitBack()
    {
        var (s, p) = Unique("WPI");
        await StreamAsync(s, p);
        await PublishManyAsync($"{p}.a", 1);
        var c = await ConsumerAsync(s, "c", c => c.AckWait = TimeSpan.FromSeconds(3));
        var m = (await FetchAsync(c, 1)).Single();
        T.LeaveUnsettled(); // the scenario holds it, working on it

        await T.LetTimePassAsync(TimeSpan.FromSeconds(2));
        await m.AckProgressAsync(Double, Ct);
        await T.LetTimePassAsync(TimeSpan.FromSeconds(2));
        var notYet = await FetchNowAsync(c, 1);
        await T.LetTimePassAsync(TimeSpan.FromSeconds(2));
        var back = await FetchAsync(c, 1);

        notYet.Should().BeEmpty("+WPI restarted the 3 s ack wait 2 s ago");
        back.Select(Text).Should().Equal("m1");
    }

    [Fact]
    public async Task Acks_TermWithReason_NeverRedelivered_AdvisoryCarriesReason()
    {
        var (s, p) = Unique("TERM");
        await StreamAsync(s, p);
        await PublishManyAsync($"{p}.a", 1);
        var c = await ConsumerAsync(s, "c", c => c.AckWait = AckWait);
        await using var advisories = await Client.Connection.SubscribeCoreAsync<byte[]>($"$JS.EVENT.ADVISORY.CONSUMER.MSG_TERMINATED.{s}.c", cancellationToken: Ct);
        await Client.PingAsync(Ct);
        var m = (await FetchAsync(c, 1)).Single();

        await m.AckTerminateAsync(new AckOpts { TerminateReason = "bad payload", DoubleAck = true }, Ct);
        await T.LetTimePassAsync(AckWait + TimeSpan.FromSeconds(1));
        var again = await FetchNowAsync(c, 1);
        var advisory = await ReadAdvisoryAsync(advisories);

        again.Should().BeEmpty();
        advisory.GetProperty("type").GetString().Should().Be("io.nats.jetstream.advisory.v1.terminated");
        advisory.GetProperty("reason").GetString().Should().Be("bad payload");
        advisory.GetProperty("stream_seq").GetUInt64().Should().Be(1);
        advisory.GetProperty("consumer_seq").GetUInt64().Should().Be(1);
        advisory.GetProperty("deliveries").GetUInt64().Should().Be(1);
        (await Js.GetConsumerAsync(s, "c", Ct)).Info.NumAckPending.Should().Be(0);
    }

    [Fact]
    public async Task Acks_MaxDeliver_StopsRedeliveringAndAdvises()
    {
        var (s, p) = Unique("MAXD");
        await StreamAsync(s, p);
        await PublishManyAsync($"{p}.a", 1);
        var c = await ConsumerAsync(s, "c", c =>
        {
            c.AckWait = AckWait;
            c.MaxDeliver = 2;
        });
        await using var advisories = await Client.Connection.SubscribeCoreAsync<byte[]>($"$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.{s}.c", cancellationToken: Ct);
        await Client.PingAsync(Ct);

        var first = await FetchAsync(c, 1);
        T.LeaveUnsettled();
        await T.LetTimePassAsync(AckWait + TimeSpan.FromSeconds(1));
        var second = await FetchAsync(c, 1);
        T.LeaveUnsettled();
        await T.LetTimePassAsync(AckWait + TimeSpan.FromSeconds(1));
        var third = await FetchNothingAsync(c, "c", s);
        var advisory = await ReadAdvisoryAsync(advisories);

        first.Should().ContainSingle();
        second.Should().ContainSingle().Which.Metadata!.Value.NumDelivered.Should().Be(2);
        third.Should().BeEmpty("max_deliver 2 was reached");
        advisory.GetProperty("type").GetString().Should().Be("io.nats.jetstream.advisory.v1.max_deliver");
        advisory.GetProperty("stream_seq").GetUInt64().Should().Be(1);
        advisory.GetProperty("deliveries").GetUInt64().Should().Be(2);
    }

    [Fact]
    public async Task Acks_BackOff_RedeliveryFollowsTheBackoffNotTheAckWait()
    {
        var (s, p) = Unique("BACKOFF");
        await StreamAsync(s, p);
        await PublishManyAsync($"{p}.a", 1);
        var c = await ConsumerAsync(s, "c", c =>
        {
            c.AckWait = TimeSpan.FromSeconds(30);
            c.MaxDeliver = 4;
            c.Backoff = [TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(4)];
        });

        _ = await FetchAsync(c, 1);
        T.LeaveUnsettled();
        await T.LetTimePassAsync(TimeSpan.FromSeconds(2));
        var second = await FetchAsync(c, 1);
        T.LeaveUnsettled();
        await T.LetTimePassAsync(TimeSpan.FromSeconds(2));
        var tooEarly = await FetchNowAsync(c, 1);
        await T.LetTimePassAsync(TimeSpan.FromSeconds(3));
        var third = await FetchAsync(c, 1);

        second.Should().ContainSingle("the first backoff is 1 s");
        tooEarly.Should().BeEmpty("the second backoff is 4 s");
        third.Should().ContainSingle().Which.Metadata!.Value.NumDelivered.Should().Be(3);
    }

    [Fact]
    public async Task Acks_MaxAckPending_HoldsBackUntilAnAck()
    {
        var (s, p) = Unique("MAP");
        await StreamAsync(s, p);
        await PublishManyAsync($"{p}.a", 4);
        var c = await ConsumerAsync(s, "c", c => c.MaxAckPending = 2);

        var first = await FetchAsync(c, 2);
        var waiting = FetchAsync(c, 1, TimeSpan.FromSeconds(10));
        await T.ConsumingAsync(s, "c");
        var held = (await Js.GetConsumerAsync(s, "c", Ct)).Info;
        await first[0].AckAsync(Double, Ct);
        var second = await waiting;

        first.Select(Text).Should().Equal("m1", "m2");
        held.NumAckPending.Should().Be(2);
        held.NumPending.Should().Be(2, "S-76: max_ack_pending holds m3 and m4 back");
        second.Select(Text).Should().Equal("m3");
    }

    [Fact]
    public async Task Acks_AckAll_AcksEverythingUpToIt()
    {
        var (s, p) = Unique("ACKALL");
        await StreamAsync(s, p);
        await PublishManyAsync($"{p}.a", 4);
        var c = await ConsumerAsync(s, "c", c => c.AckPolicy = ConsumerConfigAckPolicy.All);

        var msgs = await FetchAsync(c, 4);
        await msgs[2].AckAsync(Double, Ct);
        var info = (await Js.GetConsumerAsync(s, "c", Ct)).Info;

        info.AckFloor.StreamSeq.Should().Be(3);
        info.NumAckPending.Should().Be(1);
    }

    [Fact]
    public async Task Acks_AckNone_NothingPendingAfterDelivery()
    {
        var (s, p) = Unique("ACKNONE");
        await StreamAsync(s, p);
        await PublishManyAsync($"{p}.a", 3);
        var c = await ConsumerAsync(s, "c", c => c.AckPolicy = ConsumerConfigAckPolicy.None);

        var msgs = await FetchAsync(c, 3);
        var info = (await Js.GetConsumerAsync(s, "c", Ct)).Info;

        msgs.Should().HaveCount(3);
        info.NumAckPending.Should().Be(0);
        info.AckFloor.StreamSeq.Should().Be(3);
    }

    [Fact]
    public async Task Acks_DoubleAckOnAnAckedMessage_StillAnswered()
    {
        var (s, p) = Unique("DACK");
        await StreamAsync(s, p);
        await PublishManyAsync($"{p}.a", 1);
        var c = await ConsumerAsync(s, "c");
        var m = (await FetchAsync(c, 1)).Single();

        await m.AckAsync(Double, Ct);
        var again = async () => await m.AckAsync(Double, Ct);

        await again.Should().NotThrowAsync("S-84: an ack of a message no longer pending changes nothing and is answered");
    }

    [Fact]
    public async Task Acks_AckOnDeletedConsumer_DoubleAckGetsNoResponders()
    {
        var (s, p) = Unique("DACKGONE");
        await StreamAsync(s, p);
        await PublishManyAsync($"{p}.a", 1);
        var c = await ConsumerAsync(s, "c");
        var m = (await FetchAsync(c, 1)).Single();
        await Js.DeleteConsumerAsync(s, "c", Ct);

        var act = async () => await m.AckAsync(Double, Ct);

        await act.Should().ThrowAsync<NATS.Client.Core.NatsNoRespondersException>("nobody listens on a deleted consumer's ack subject");
    }

    [Fact]
    public async Task Acks_WorkQueue_AckRemovesTheMessage()
    {
        var (s, p) = Unique("WQACK");
        var stream = await StreamAsync(s, p, c => c.Retention = StreamConfigRetention.Workqueue);
        await PublishManyAsync($"{p}.a", 2);
        var c = await ConsumerAsync(s, "c");

        var msgs = await FetchAsync(c, 2);
        await msgs[0].AckAsync(Double, Ct);
        await stream.RefreshAsync(Ct);

        stream.Info.State.Messages.Should().Be(1);
        stream.Info.State.FirstSeq.Should().Be(2);
    }

    [Fact]
    public async Task Acks_InterestRetention_RemovedOnceEveryConsumerAcked()
    {
        var (s, p) = Unique("INTEREST");
        var stream = await StreamAsync(s, p, c => c.Retention = StreamConfigRetention.Interest);
        var a = await ConsumerAsync(s, "a");
        var b = await ConsumerAsync(s, "b");
        await PublishManyAsync($"{p}.x", 1);

        await (await FetchAsync(a, 1)).Single().AckAsync(Double, Ct);
        await stream.RefreshAsync(Ct);
        var afterOne = stream.Info.State.Messages;
        await (await FetchAsync(b, 1)).Single().AckAsync(Double, Ct);
        await stream.RefreshAsync(Ct);

        afterOne.Should().Be(1, "consumer b still needs it");
        stream.Info.State.Messages.Should().Be(0);
    }
}
