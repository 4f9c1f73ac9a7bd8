using FluentAssertions;
using Goflux.InMemory;
using NATS.Client.JetStream.Models;
using Xunit;

namespace Goflux.Contract.Tests;

/// <summary>
/// Edges where the in-memory engine once differed from nats-server 2.10.27; each scenario asserts what the server does.
/// </summary>
public abstract partial class ContractSuite
{
    /// <summary>
    /// S-94/S-97: after the pending timer fires under a BackOff, the server re-arms it with the LAST BackOff value. So once a
    /// message has run out of deliveries, the check that moves the ack floor past it comes one last-step later — not one
    /// first-step later. Timeline (BackOff 0.5 s, 2 s): delivery 1 at 0, expiry at 0.5, delivery 2 at 0.7, expiry at
    /// 2.7 (timer re-armed with 2 s), exhausted by the pull at 2.9 (which waits until 4.0), floor moved by the check at 4.7.
    /// </summary>
    [Fact]
    public async Task S97_AfterExhaustionUnderBackOff_FloorMovesOnTheCheckReArmedWithTheLastBackOffValue()
    {
        var (stream, prefix) = Unique("S97b");
        await StreamAsync(stream, prefix);
        await B.PublishAsync(prefix + ".a", Bytes("1"));
        await ConsumerAsync(stream, "c", c =>
        {
            c.MaxDeliver = 2;
            c.Backoff = [TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(2)];
        });
        (await B.FetchAsync(stream, "c", 1)).Should().ContainSingle();
        await B.LetTimePassAsync(TimeSpan.FromMilliseconds(700));
        (await B.FetchAsync(stream, "c", 1)).Single().Metadata.NumDelivered.Should().Be(2);
        await B.LetTimePassAsync(TimeSpan.FromMilliseconds(2200));
        (await B.FetchAsync(stream, "c", 1, TimeSpan.FromMilliseconds(1100))).Should().BeEmpty("the redelivery would be a third delivery");

        // Now about 4.0 s in: a check re-armed with the first BackOff value (at 3.2) would have moved the floor already.
        Counters(await B.GetConsumerInfoAsync(stream, "c")).Should().Be("delivered=2/1 ack_floor=0/0 ack_pending=0 pending=0 redelivered=1");
        (await B.AdvisoriesAsync(stream, 1)).Should().ContainSingle().Which.Type.Should().Be(JetStreamAdvisory.MaxDeliverType);

        // The check re-armed with 2 s at 2.7 finds nothing pending at 4.7 and moves the floor to everything delivered.
        await B.LetTimePassAsync(TimeSpan.FromMilliseconds(1200));
        var info = await B.EventuallyAsync(() => B.GetConsumerInfoAsync(stream, "c"), i => i.AckFloor?.ConsumerSeq == 2);
        Counters(info).Should().Be("delivered=2/1 ack_floor=2/1 ack_pending=0 pending=0 redelivered=1");
    }

    [Fact]
    public async Task S43_AckNonePullConsumerOnWorkQueue_Is10084_WithTheServersDescription()
    {
        var (stream, prefix) = Unique("S43t");
        await StreamAsync(stream, prefix, c => c.Retention = StreamConfigRetention.Workqueue);

        // The configuration is checked before the consumer's existence: an update of a missing consumer gets 10084 too.
        var thrown = await ApiFailureAsync(() => B.UpdateConsumerAsync(stream, new ConsumerConfig("c") { AckPolicy = ConsumerConfigAckPolicy.None }));
        (thrown.ErrorCode, thrown.Message).Should().Be((10084, "consumer in pull mode requires ack policy"));
        thrown = await ApiFailureAsync(() => B.CreateConsumerAsync(stream, new ConsumerConfig("c") { AckPolicy = ConsumerConfigAckPolicy.None }));
        (thrown.ErrorCode, thrown.Message).Should().Be((10084, "consumer in pull mode requires ack policy"));
    }

    /// <summary>S-24: an empty or whitespace-only <c>Nats-Msg-Id</c> is no id to the server: every copy is stored.</summary>
    [Fact]
    public async Task S24_WhitespaceOnlyOrEmptyMsgId_IsNoId_EveryCopyIsStored()
    {
        var (stream, prefix) = Unique("S24w");
        await StreamAsync(stream, prefix);

        // MessageHeaders refuses values with leading or trailing spaces (they are trimmed in transit), so a whitespace-only
        // id reaches the server as an empty one: both are no id, and every copy is stored.
        FluentActions.Invoking(() => new MessageHeaders().Add("Nats-Msg-Id", "   ")).Should().Throw<ArgumentException>();
        var r1 = await B.PublishAsync(prefix + ".a", Bytes("1"), new MessageHeaders().Add("Nats-Msg-Id", string.Empty));
        var r2 = await B.PublishAsync(prefix + ".a", Bytes("2"), new MessageHeaders().Add("Nats-Msg-Id", string.Empty));

        new[] { r1, r2 }.Select(r => (r.Sequence, r.Duplicate)).Should().Equal((1UL, false), (2UL, false));
        (await B.GetStreamInfoAsync(stream)).State.Messages.Should().Be(2);
    }

    /// <summary>
    /// A subject longer than the server's maximum control line (4,096 bytes for the whole protocol line) never reaches the
    /// stream: the server closes the connection with "maximum control line exceeded", so the publish fails and nothing is
    /// stored. Afterwards the same client publishes normally again.
    /// </summary>
    [Fact]
    public async Task S31_SubjectOverTheMaximumControlLine_IsRefused_NothingStored()
    {
        var (stream, prefix) = Unique("S31s");
        await StreamAsync(stream, prefix);
        var subject = prefix + "." + new string('x', 5000);

        var publish = Task.Run(() => B.PublishAsync(subject, Bytes("1")), Ct); // the engine refuses synchronously, a server later
        (await Task.WhenAny(publish, Task.Delay(EndPatience, Ct))).Should().BeSameAs(publish, "the publish fails rather than hangs");
        publish.IsFaulted.Should().BeTrue("a subject over the control line is refused");

        (await B.GetStreamInfoAsync(stream)).State.Messages.Should().Be(0);
        (await B.PublishAsync(prefix + ".a", Bytes("2"))).Sequence.Should().Be(1, "the refused publish consumed no sequence");
    }
}
