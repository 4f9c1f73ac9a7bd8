using System.Collections.Concurrent;
using FluentAssertions;
using Goflux.Contract.Tests.Backends;
using Goflux.InMemory;
using NATS.Client.JetStream.Models;
using Xunit;

namespace Goflux.Contract.Tests;

/// <summary>Section 16: push consumers (S-124 to S-134). A scenario listens on the deliver subject as a client does
/// (<see cref="IBackend.ListenAsync"/>), or runs goflux subscribers on the consumer.</summary>
public abstract partial class ContractSuite
{
    /// <summary>A deliver subject of the scenario's own, outside its stream's subjects.</summary>
    private static string DeliverTo(string prefix) => $"deliver.{prefix}.in";

    private Task<ConsumerInfo> PushAsync(string stream, string name, string deliver, Action<ConsumerConfig>? configure = null)
        => ConsumerAsync(stream, name, c =>
        {
            c.DeliverSubject = deliver;
            configure?.Invoke(c);
        });

    private Task<IReadOnlyList<BackendMessage>> ReceivedAsync(PushReceiver r, int count)
        => B.EventuallyAsync(() => Task.FromResult(r.Received), l => l.Count >= count);

    /// <summary>What arrived once nothing more is on the way: on a server, waits half a second for more than
    /// <paramref name="expected"/> to arrive.</summary>
    private Task<IReadOnlyList<BackendMessage>> NoMoreThanAsync(PushReceiver r, int expected)
        => B.EventuallyAsync(() => Task.FromResult(r.Received), l => l.Count > expected, TimeSpan.FromMilliseconds(500));

    private Task<ConsumerInfo> BoundAsync(string stream, string consumer, bool bound)
        => B.EventuallyAsync(() => B.GetConsumerInfoAsync(stream, consumer), i => i.PushBound == bound);

    [Fact]
    public async Task S124_Push_DeliversToTheDeliverSubject_WithTheStoredSubjectAndAckMetadata()
    {
        var (stream, prefix) = Unique("S124");
        await StreamAsync(stream, prefix);
        await PublishManyAsync(prefix + ".a", 2);
        var deliver = DeliverTo(prefix);
        var created = await PushAsync(stream, "p", deliver, c => c.FilterSubject = prefix + ".a");
        created.Config.DeliverSubject.Should().Be(deliver);
        created.Config.MaxWaiting.Should().Be(0, "push consumers have no pull requests");
        created.Config.MaxAckPending.Should().Be(1000);
        created.Config.AckWait.Should().Be(TimeSpan.FromSeconds(30));
        created.NumWaiting.Should().Be(0);
        created.PushBound.Should().BeFalse();

        await using var r = await B.ListenAsync(deliver);
        (await ReceivedAsync(r, 2)).Should().HaveCount(2, "what was stored goes out once the subscription is there");
        await B.PublishAsync(prefix + ".b", Bytes("other"));
        await B.PublishAsync(prefix + ".a", Bytes("m3"));
        var got = await ReceivedAsync(r, 3);
        got.Select(m => (m.Subject, Text(m.Data), m.Metadata.StreamSequence, m.Metadata.ConsumerSequence, m.Metadata.NumDelivered))
            .Should().Equal((prefix + ".a", "m1", 1UL, 1UL, 1UL), (prefix + ".a", "m2", 2UL, 2UL, 1UL), (prefix + ".a", "m3", 4UL, 3UL, 1UL));
        got.Should().OnlyContain(m => m.Metadata.Stream == stream && m.Metadata.Consumer == "p");
        got.Select(m => m.Metadata.NumPending).Should().Equal(1UL, 0UL, 0UL);

        var info = await BoundAsync(stream, "p", bound: true);
        info.PushBound.Should().BeTrue();
        Counters(info).Should().Be("delivered=3/4 ack_floor=0/0 ack_pending=3 pending=0 redelivered=0");

        foreach (var m in got)
        {
            await m.AckAsync();
        }

        info = await B.EventuallyAsync(() => B.GetConsumerInfoAsync(stream, "p"), i => i.NumAckPending == 0);
        Counters(info).Should().Be("delivered=3/4 ack_floor=3/4 ack_pending=0 pending=0 redelivered=0");
    }

    [Theory]
    [InlineData("wildcard", 10079, "consumer deliver subject has wildcards")]
    [InlineData("full wildcard", 10079, "consumer deliver subject has wildcards")]
    [InlineData("empty token", 10112, "invalid push consumer deliver subject")]
    [InlineData("cycle", 10081, "consumer deliver subject forms a cycle")]
    [InlineData("max waiting", 10080, "consumer in push mode can not set max waiting")]
    [InlineData("max ack pending with ack none", 10082, "consumer requires ack policy for max ack pending")]
    [InlineData("small heartbeat", 10083, "consumer idle heartbeat needs to be >= 100ms")]
    [InlineData("flow control without heartbeat", 10108, "consumer with flow control also needs heartbeats")]
    [InlineData("direct durable", 10091, "consumer direct requires an ephemeral consumer")]
    [InlineData("backoff before deliver subject", 10116, "max deliver is required to be > length of backoff values")]
    [InlineData("cycle before max waiting", 10081, "consumer deliver subject forms a cycle")]
    public async Task S125_PushConsumer_RefusedSettings_WithTheServersErrors(string @case, int code, string description)
    {
        var (stream, prefix) = Unique("S125");
        await StreamAsync(stream, prefix);
        var deliver = DeliverTo(prefix);
        var e = await ApiErrorAsync(() => PushAsync(stream, "p", deliver, c => Refused(@case, prefix, c)), code);
        e.Message.Should().Contain(description);
    }

    /// <summary>One refused setting of <see cref="S125_PushConsumer_RefusedSettings_WithTheServersErrors"/>.</summary>
    private static void Refused(string @case, string prefix, ConsumerConfig c)
    {
        switch (@case)
        {
            case "wildcard":
                c.DeliverSubject = $"deliver.{prefix}.*";
                break;
            case "full wildcard":
                c.DeliverSubject = $"deliver.{prefix}.>";
                break;
            case "empty token":
                c.DeliverSubject = $"deliver..{prefix}";
                break;
            case "cycle":
                c.DeliverSubject = prefix + ".x";
                break;
            case "max waiting":
                c.MaxWaiting = 5;
                break;
            case "max ack pending with ack none":
                c.AckPolicy = ConsumerConfigAckPolicy.None;
                c.MaxAckPending = 5;
                break;
            case "small heartbeat":
                c.IdleHeartbeat = TimeSpan.FromMilliseconds(50);
                break;
            case "flow control without heartbeat":
                c.FlowControl = true;
                break;
            case "direct durable":
                c.Direct = true;
                break;
            case "backoff before deliver subject":
                c.DeliverSubject = $"deliver.{prefix}.*";
                c.Backoff = [TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1)];
                c.MaxDeliver = 1;
                break;
            case "cycle before max waiting":
                c.DeliverSubject = prefix + ".x";
                c.MaxWaiting = 3;
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(@case), @case, "no such case");
        }
    }

    [Fact]
    public async Task S125_PushConsumer_OnAWorkQueue_NeedsExplicitAck()
    {
        var (stream, prefix) = Unique("S125W");
        await StreamAsync(stream, prefix, s => s.Retention = StreamConfigRetention.Workqueue);
        var e = await ApiErrorAsync(() => PushAsync(stream, "p", DeliverTo(prefix), c => c.AckPolicy = ConsumerConfigAckPolicy.None), 10098);
        e.Message.Should().Contain("workqueue stream requires explicit ack");
        (await PushAsync(stream, "q", DeliverTo(prefix))).Config.DeliverSubject.Should().Be(DeliverTo(prefix));
    }

    [Fact]
    public async Task S126_NoInterest_NothingDelivered_UntilASubscriberArrives()
    {
        var (stream, prefix) = Unique("S126");
        await StreamAsync(stream, prefix);
        var deliver = DeliverTo(prefix);
        await PushAsync(stream, "p", deliver);
        await PublishManyAsync(prefix + ".a", 2);

        var idle = await B.GetConsumerInfoAsync(stream, "p");
        idle.PushBound.Should().BeFalse();
        Counters(idle).Should().Be("delivered=0/0 ack_floor=0/0 ack_pending=0 pending=2 redelivered=0");

        await using var r = await B.ListenAsync(deliver);
        (await ReceivedAsync(r, 2)).Select(m => m.Metadata.StreamSequence).Should().Equal(1UL, 2UL);
        Counters(await BoundAsync(stream, "p", bound: true)).Should().Be("delivered=2/2 ack_floor=0/0 ack_pending=2 pending=0 redelivered=0");
    }

    [Fact]
    public async Task S126_OnlyTheDeliverGroupOnTheExactSubject_IsInterest_AnyMatchingSubscriptionReceives()
    {
        var (stream, prefix) = Unique("S126G");
        await StreamAsync(stream, prefix);
        var deliver = DeliverTo(prefix);
        await PushAsync(stream, "p", deliver, c =>
        {
            c.DeliverGroup = "workers";
            c.AckPolicy = ConsumerConfigAckPolicy.None;
        });
        await B.PublishAsync(prefix + ".a", Bytes("1"));

        await using var plain = await B.ListenAsync(deliver);
        await using var other = await B.ListenAsync(deliver, "others");
        await using var wildcard = await B.ListenAsync($"deliver.{prefix}.*");
        (await NoMoreThanAsync(plain, 0)).Should().BeEmpty("a subscription outside the deliver group is no interest");
        (await B.GetConsumerInfoAsync(stream, "p")).PushBound.Should().BeFalse();

        await using var worker = await B.ListenAsync(deliver, "workers");
        (await ReceivedAsync(worker, 1)).Single().Metadata.StreamSequence.Should().Be(1);
        (await BoundAsync(stream, "p", bound: true)).Delivered!.ConsumerSeq.Should().Be(1);

        // Once active, a delivery goes where a publish on the deliver subject goes: every plain and wildcard
        // subscription, and one member of each queue group.
        (await ReceivedAsync(plain, 1)).Single().Metadata.StreamSequence.Should().Be(1);
        (await ReceivedAsync(other, 1)).Single().Metadata.StreamSequence.Should().Be(1);
        (await ReceivedAsync(wildcard, 1)).Single().Metadata.StreamSequence.Should().Be(1);
    }

    [Fact]
    public async Task S127_QueueGroupOfThree_Spreads300Messages_NoneToTwoMembers()
    {
        var (stream, prefix) = Unique("S127");
        await StreamAsync(stream, prefix);
        var deliver = DeliverTo(prefix);
        await PushAsync(stream, "p", deliver, c => c.DeliverGroup = "workers");
        await using var a = await B.ListenAsync(deliver, "workers");
        await using var b = await B.ListenAsync(deliver, "workers");
        await using var c = await B.ListenAsync(deliver, "workers");
        await BoundAsync(stream, "p", bound: true);

        await PublishManyAsync(prefix + ".a", 300);
        var total = await B.EventuallyAsync(
            () => Task.FromResult(a.Received.Count + b.Received.Count + c.Received.Count),
            n => n >= 300);
        total.Should().Be(300);
        var members = new[] { a.Received, b.Received, c.Received };
        members.Should().OnlyContain(m => m.Count > 0, "each member gets a share");
        var seqs = members.SelectMany(m => m.Select(x => x.Metadata.StreamSequence)).ToList();
        seqs.Should().OnlyHaveUniqueItems("each message goes to one member");
        seqs.Order().Should().Equal(Enumerable.Range(1, 300).Select(i => (ulong)i));
        members.SelectMany(m => m).Should().OnlyContain(m => m.Metadata.NumDelivered == 1);
        Counters(await B.GetConsumerInfoAsync(stream, "p")).Should().Be("delivered=300/300 ack_floor=0/0 ack_pending=300 pending=0 redelivered=0");
    }

    [Fact]
    public async Task S127_QueueGroupOfThree_GofluxSubscribers_Spread300Messages_NoneHandledTwice()
    {
        var (stream, prefix) = Unique("S127G");
        await StreamAsync(stream, prefix);
        await PushAsync(stream, "p", DeliverTo(prefix), c => c.DeliverGroup = "workers");
        var handled = new ConcurrentQueue<(int Member, ulong Seq)>();
        var runs = new List<RunningSubscription>();
        try
        {
            for (var member = 0; member < 3; member++)
            {
                var id = member;
                runs.Add(await SubscribeAsync(stream, "p", prefix + ".>", (m, _) =>
                {
                    handled.Enqueue((id, m.Delivery!.Value.StreamSequence));
                    return ValueTask.CompletedTask;
                }));
            }

            await BoundAsync(stream, "p", bound: true);
            await using var publisher = B.CreatePublisher(Codec);
            for (var i = 1; i <= 300; i++)
            {
                await publisher.PublishAsync(prefix + ".orders", new Event(i.ToString(System.Globalization.CultureInfo.InvariantCulture), "created"), cancellationToken: Ct);
            }

            var info = await B.EventuallyAsync(() => B.GetConsumerInfoAsync(stream, "p"), i => i.AckFloor?.StreamSeq == 300);
            Counters(info).Should().Be("delivered=300/300 ack_floor=300/300 ack_pending=0 pending=0 redelivered=0");
            var all = handled.ToArray();
            all.Select(h => h.Seq).Should().OnlyHaveUniqueItems("no message reaches two members").And.HaveCount(300);
            all.GroupBy(h => h.Member).Should().HaveCount(3, "every member handles a share");
        }
        finally
        {
            foreach (var run in runs)
            {
                await run.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task S128_InterestLost_StopsDelivery_InterestBack_DeliversWhatWaited()
    {
        var (stream, prefix) = Unique("S128");
        await StreamAsync(stream, prefix);
        var deliver = DeliverTo(prefix);
        await PushAsync(stream, "p", deliver, c => c.AckPolicy = ConsumerConfigAckPolicy.None);
        var first = await B.ListenAsync(deliver);
        await B.PublishAsync(prefix + ".a", Bytes("1"));
        (await ReceivedAsync(first, 1)).Should().ContainSingle();
        await first.DisposeAsync();
        await BoundAsync(stream, "p", bound: false);

        await PublishManyAsync(prefix + ".a", 2);
        const string waiting = "delivered=1/1 ack_floor=1/1 ack_pending=0 pending=2 redelivered=0";

        // The server counts a new message for its consumer a moment after the publish is acknowledged.
        Counters(await B.EventuallyAsync(() => B.GetConsumerInfoAsync(stream, "p"), i => Counters(i) == waiting)).Should().Be(waiting);

        await using var second = await B.ListenAsync(deliver);
        (await ReceivedAsync(second, 2)).Select(m => (m.Metadata.StreamSequence, m.Metadata.ConsumerSequence)).Should().Equal((2UL, 2UL), (3UL, 3UL));
        first.Received.Should().ContainSingle("nothing reaches a subscription that is gone");
    }

    [Fact]
    public async Task S128_AckWaitPassesWithoutInterest_RedeliveredWhenInterestIsBack()
    {
        var (stream, prefix) = Unique("S128R");
        await StreamAsync(stream, prefix);
        var deliver = DeliverTo(prefix);
        await PushAsync(stream, "p", deliver, c => c.AckWait = OneSecond);
        var first = await B.ListenAsync(deliver);
        await B.PublishAsync(prefix + ".a", Bytes("1"));
        (await ReceivedAsync(first, 1)).Should().ContainSingle();
        await first.DisposeAsync();
        await BoundAsync(stream, "p", bound: false);

        await B.LetTimePassAsync(TimeSpan.FromMilliseconds(1500));
        (await B.GetConsumerInfoAsync(stream, "p")).Delivered!.ConsumerSeq.Should().Be(1, "nothing is delivered without interest");

        await using var second = await B.ListenAsync(deliver);
        var again = (await ReceivedAsync(second, 1)).Single();
        (again.Metadata.StreamSequence, again.Metadata.NumDelivered, again.Metadata.ConsumerSequence).Should().Be((1UL, 2UL, 2UL));
    }

    [Fact]
    public async Task S124_AckWait_RedeliversToTheSubscription()
    {
        var (stream, prefix) = Unique("S124W");
        await StreamAsync(stream, prefix);
        var deliver = DeliverTo(prefix);
        await PushAsync(stream, "p", deliver, c => c.AckWait = OneSecond);
        await using var r = await B.ListenAsync(deliver);
        await B.PublishAsync(prefix + ".a", Bytes("1"));
        (await ReceivedAsync(r, 1)).Should().ContainSingle();

        await B.LetTimePassAsync(TimeSpan.FromMilliseconds(700));
        r.Received.Should().ContainSingle("the ack wait has not passed");
        await B.LetTimePassAsync(TimeSpan.FromMilliseconds(600));
        var got = await ReceivedAsync(r, 2);
        got.Select(m => (m.Metadata.StreamSequence, m.Metadata.NumDelivered)).Should().Equal((1UL, 1UL), (1UL, 2UL));
        await got[1].AckAsync();
        Counters(await B.EventuallyAsync(() => B.GetConsumerInfoAsync(stream, "p"), i => i.NumAckPending == 0))
            .Should().Be("delivered=2/1 ack_floor=2/1 ack_pending=0 pending=0 redelivered=0");
    }

    [Fact]
    public async Task S124_BackOff_SchedulesRedeliveries()
    {
        var (stream, prefix) = Unique("S124B");
        await StreamAsync(stream, prefix);
        var deliver = DeliverTo(prefix);
        await PushAsync(stream, "p", deliver, c =>
        {
            c.Backoff = [OneSecond, TimeSpan.FromSeconds(2)];
            c.MaxDeliver = 5;
        });
        await using var r = await B.ListenAsync(deliver);
        await B.PublishAsync(prefix + ".a", Bytes("1"));
        (await ReceivedAsync(r, 1)).Should().ContainSingle();

        await B.LetTimePassAsync(TimeSpan.FromMilliseconds(1300));
        (await ReceivedAsync(r, 2)).Should().HaveCount(2);
        await B.LetTimePassAsync(TimeSpan.FromMilliseconds(1200));
        r.Received.Should().HaveCount(2, "the second step is two seconds");
        await B.LetTimePassAsync(TimeSpan.FromMilliseconds(1100));
        (await ReceivedAsync(r, 3)).Select(m => m.Metadata.NumDelivered).Should().Equal(1UL, 2UL, 3UL);
    }

    [Fact]
    public async Task S124_MaxDeliver_StopsRedelivering_AndAdvises()
    {
        var (stream, prefix) = Unique("S124M");
        await StreamAsync(stream, prefix);
        var deliver = DeliverTo(prefix);
        await PushAsync(stream, "p", deliver, c =>
        {
            c.AckWait = OneSecond;
            c.MaxDeliver = 2;
        });
        await using var r = await B.ListenAsync(deliver);
        await B.PublishAsync(prefix + ".a", Bytes("1"));
        (await ReceivedAsync(r, 1)).Should().ContainSingle();
        await B.LetTimePassAsync(TimeSpan.FromMilliseconds(1300));
        (await ReceivedAsync(r, 2)).Should().HaveCount(2);
        await B.LetTimePassAsync(TimeSpan.FromMilliseconds(1300));
        (await NoMoreThanAsync(r, 2)).Should().HaveCount(2, "max deliver is 2");

        // Exhausted when its second ack wait ran out; the next pending check (an ack wait later) finds nothing
        // pending and moves the floor over everything delivered (S-96, S-97); it still counts as redelivered.
        await B.LetTimePassAsync(TimeSpan.FromMilliseconds(600));

        var advisory = (await B.AdvisoriesAsync(stream, atLeast: 1)).Single();
        advisory.Type.Should().Be(JetStreamAdvisory.MaxDeliverType);
        advisory.Consumer.Should().Be("p");
        advisory.StreamSequence.Should().Be(1);
        advisory.Deliveries.Should().Be(2);
        Counters(await B.EventuallyAsync(() => B.GetConsumerInfoAsync(stream, "p"), i => i.AckFloor?.ConsumerSeq == 2))
            .Should().Be("delivered=2/1 ack_floor=2/1 ack_pending=0 pending=0 redelivered=1");
    }

    [Fact]
    public async Task S124_MaxAckPending_HoldsNewMessagesBack_UntilAnAck()
    {
        var (stream, prefix) = Unique("S124P");
        await StreamAsync(stream, prefix);
        var deliver = DeliverTo(prefix);
        await PushAsync(stream, "p", deliver, c => c.MaxAckPending = 2);
        await using var r = await B.ListenAsync(deliver);
        await PublishManyAsync(prefix + ".a", 5);
        var held = await NoMoreThanAsync(r, 2);
        held.Select(m => m.Metadata.StreamSequence).Should().Equal(1UL, 2UL);
        Counters(await B.GetConsumerInfoAsync(stream, "p")).Should().Be("delivered=2/2 ack_floor=0/0 ack_pending=2 pending=3 redelivered=0");

        await held[1].AckAsync();
        (await ReceivedAsync(r, 3)).Select(m => m.Metadata.StreamSequence).Should().Equal(1UL, 2UL, 3UL);
        (await NoMoreThanAsync(r, 3)).Should().HaveCount(3);
    }

    [Fact]
    public async Task S124_Nak_RedeliversAtOnce_WithDelay_AfterTheDelay()
    {
        var (stream, prefix) = Unique("S124N");
        await StreamAsync(stream, prefix);
        var deliver = DeliverTo(prefix);
        await PushAsync(stream, "p", deliver);
        await using var r = await B.ListenAsync(deliver);
        await B.PublishAsync(prefix + ".a", Bytes("1"));
        await (await ReceivedAsync(r, 1))[0].NakAsync();
        var again = (await ReceivedAsync(r, 2))[1];
        again.Metadata.NumDelivered.Should().Be(2);

        await again.NakAsync(OneSecond);
        await B.LetTimePassAsync(TimeSpan.FromMilliseconds(600));
        r.Received.Should().HaveCount(2, "the nak's delay has not passed");
        await B.LetTimePassAsync(TimeSpan.FromMilliseconds(700));
        (await ReceivedAsync(r, 3))[2].Metadata.NumDelivered.Should().Be(3);
        (await B.AdvisoriesAsync(stream, atLeast: 2)).Select(a => a.Type).Should().Equal(JetStreamAdvisory.NakType, JetStreamAdvisory.NakType);
    }

    [Fact]
    public async Task S124_Term_NeverRedelivered_AndAdvisedWithTheReason()
    {
        var (stream, prefix) = Unique("S124T");
        await StreamAsync(stream, prefix);
        var deliver = DeliverTo(prefix);
        await PushAsync(stream, "p", deliver, c => c.AckWait = OneSecond);
        await using var r = await B.ListenAsync(deliver);
        await B.PublishAsync(prefix + ".a", Bytes("1"));
        await (await ReceivedAsync(r, 1))[0].TermAsync("bad payload");
        await B.LetTimePassAsync(TimeSpan.FromMilliseconds(1300));
        (await NoMoreThanAsync(r, 1)).Should().ContainSingle();

        var advisory = (await B.AdvisoriesAsync(stream, atLeast: 1)).Single();
        advisory.Type.Should().Be(JetStreamAdvisory.TerminatedType);
        advisory.StreamSequence.Should().Be(1);
        advisory.Reason.Should().Be("bad payload");
        Counters(await B.GetConsumerInfoAsync(stream, "p")).Should().Be("delivered=1/1 ack_floor=1/1 ack_pending=0 pending=0 redelivered=0");
    }

    [Fact]
    public async Task S124_AckAll_AndAckNone_SettleAsOnAPullConsumer()
    {
        var (stream, prefix) = Unique("S124A");
        await StreamAsync(stream, prefix);
        await PublishManyAsync(prefix + ".a", 3);
        await PushAsync(stream, "all", DeliverTo(prefix), c => c.AckPolicy = ConsumerConfigAckPolicy.All);
        await PushAsync(stream, "none", DeliverTo(prefix) + "2", c => c.AckPolicy = ConsumerConfigAckPolicy.None);
        await using var all = await B.ListenAsync(DeliverTo(prefix));
        await using var none = await B.ListenAsync(DeliverTo(prefix) + "2");

        await (await ReceivedAsync(all, 3))[2].AckAsync();
        Counters(await B.EventuallyAsync(() => B.GetConsumerInfoAsync(stream, "all"), i => i.NumAckPending == 0))
            .Should().Be("delivered=3/3 ack_floor=3/3 ack_pending=0 pending=0 redelivered=0");

        (await ReceivedAsync(none, 3)).Should().HaveCount(3);
        var info = await B.GetConsumerInfoAsync(stream, "none");
        Counters(info).Should().Be("delivered=3/3 ack_floor=3/3 ack_pending=0 pending=0 redelivered=0");
        info.Config.MaxAckPending.Should().Be(0, "ack none has no max ack pending");
    }

    [Fact]
    public async Task S129_Update_PushAndPullCannotBeSwapped()
    {
        var (stream, prefix) = Unique("S129");
        await StreamAsync(stream, prefix);
        await PushAsync(stream, "push", DeliverTo(prefix));
        await ConsumerAsync(stream, "pull");

        (await ApiErrorAsync(() => ConsumerAsync(stream, "push"), 10012)).Message.Should().Contain("can not update push consumer to pull based");
        (await ApiErrorAsync(() => PushAsync(stream, "pull", DeliverTo(prefix) + "2"), 10012)).Message.Should().Contain("can not update pull consumer to push based");
    }

    [Fact]
    public async Task S129_Update_CheckedInTheServersOrder_WorkQueuePartitionsFirst_HeartbeatBeforeTheSwap()
    {
        var (stream, prefix) = Unique("S129O");
        await StreamAsync(stream, prefix, s => s.Retention = StreamConfigRetention.Workqueue);
        await ConsumerAsync(stream, "a", c => c.FilterSubject = prefix + ".b");
        await PushAsync(stream, "c", DeliverTo(prefix), c => c.FilterSubject = prefix + ".c.y");

        // Making the pull consumer push based on a filter another consumer's partition overlaps: the work queue's
        // partitions are checked before what an update may not change.
        (await ApiErrorAsync(() => PushAsync(stream, "a", DeliverTo(prefix) + "a", c => c.FilterSubject = prefix + ".c.*"), 10100))
            .Message.Should().Contain("filtered consumer not unique on workqueue stream");

        // A push consumer with heartbeats made pull based: the heartbeat is checked before the deliver subject.
        await PushAsync(stream, "h", DeliverTo(prefix) + "h", c =>
        {
            c.FilterSubject = prefix + ".d.>";
            c.IdleHeartbeat = TimeSpan.FromSeconds(1);
        });
        (await ApiErrorAsync(() => ConsumerAsync(stream, "h", c => c.FilterSubject = prefix + ".d.>"), 10012))
            .Message.Should().Contain("heart beats can not be updated");
    }

    [Fact]
    public async Task S129_Update_NewDeliverSubject_OnlyWhileNobodyListensOnTheOld()
    {
        var (stream, prefix) = Unique("S129D");
        await StreamAsync(stream, prefix);
        var old = DeliverTo(prefix);
        var moved = old + "2";
        await PushAsync(stream, "p", old, c => c.AckPolicy = ConsumerConfigAckPolicy.None);
        var listening = await B.ListenAsync(old);
        (await ApiErrorAsync(() => PushAsync(stream, "p", moved, c => c.AckPolicy = ConsumerConfigAckPolicy.None), 10013)).Message.Should().Contain("consumer name already in use");

        await listening.DisposeAsync();
        await BoundAsync(stream, "p", bound: false);
        (await PushAsync(stream, "p", moved, c => c.AckPolicy = ConsumerConfigAckPolicy.None)).Config.DeliverSubject.Should().Be(moved);
        await using var r = await B.ListenAsync(moved);
        await B.PublishAsync(prefix + ".a", Bytes("1"));
        (await ReceivedAsync(r, 1)).Single().Metadata.StreamSequence.Should().Be(1);
    }

    [Fact]
    public async Task S129_Update_HeartbeatAndFlowControlFixed_RateLimitHeadersOnlyAndGroupApplied()
    {
        var (stream, prefix) = Unique("S129F");
        await StreamAsync(stream, prefix);
        var deliver = DeliverTo(prefix);
        void Base(ConsumerConfig c) => c.IdleHeartbeat = OneSecond;
        (await PushAsync(stream, "p", deliver, Base)).Config.IdleHeartbeat.Should().Be(OneSecond);

        (await ApiErrorAsync(() => PushAsync(stream, "p", deliver, c => { Base(c); c.FlowControl = true; }), 10012)).Message.Should().Contain("flow control can not be updated");
        (await ApiErrorAsync(() => PushAsync(stream, "p", deliver, c => c.IdleHeartbeat = TimeSpan.FromSeconds(2)), 10012)).Message.Should().Contain("heart beats can not be updated");
        var updated = await PushAsync(stream, "p", deliver, c =>
        {
            Base(c);
            c.RateLimitBps = 5000;
            c.HeadersOnly = true;
            c.DeliverGroup = "workers";
        });
        updated.Config.RateLimitBps.Should().Be(5000);
        updated.Config.HeadersOnly.Should().BeTrue();
        updated.Config.DeliverGroup.Should().Be("workers");
    }

    [Fact]
    public async Task S130_DeliverGroupChange_KeepsTheInterestRegisteredBefore()
    {
        // The server registers interest for the deliver subject and group when the consumer is created (or its deliver
        // subject changes); an update that only sets a group keeps that registration: a plain subscription still counts.
        var (stream, prefix) = Unique("S130");
        await StreamAsync(stream, prefix);
        var deliver = DeliverTo(prefix);
        await PushAsync(stream, "p", deliver, c => c.AckPolicy = ConsumerConfigAckPolicy.None);
        await using var plain = await B.ListenAsync(deliver);
        await BoundAsync(stream, "p", bound: true);

        var updated = await PushAsync(stream, "p", deliver, c =>
        {
            c.AckPolicy = ConsumerConfigAckPolicy.None;
            c.DeliverGroup = "workers";
        });
        updated.Config.DeliverGroup.Should().Be("workers");
        (await B.GetConsumerInfoAsync(stream, "p")).PushBound.Should().BeTrue();
        await B.PublishAsync(prefix + ".a", Bytes("1"));
        (await ReceivedAsync(plain, 1)).Single().Metadata.StreamSequence.Should().Be(1);
    }

    [Fact]
    public async Task S131_Ephemeral_RemovedOneThresholdAfterItsDeliverSubjectLostInterest()
    {
        var (stream, prefix) = Unique("S131");
        await StreamAsync(stream, prefix);
        var deliver = DeliverTo(prefix);
        var created = await B.CreateOrUpdateConsumerAsync(stream, new ConsumerConfig { DeliverSubject = deliver, AckPolicy = ConsumerConfigAckPolicy.Explicit, InactiveThreshold = OneSecond });
        var name = created.Name;
        var r = await B.ListenAsync(deliver);
        await BoundAsync(stream, name, bound: true);
        await B.LetTimePassAsync(TimeSpan.FromMilliseconds(1500));
        (await B.GetConsumerInfoAsync(stream, name)).PushBound.Should().BeTrue("a consumer with interest is kept");

        await r.DisposeAsync();
        await BoundAsync(stream, name, bound: false);
        await B.LetTimePassAsync(TimeSpan.FromMilliseconds(500));
        (await B.GetConsumerInfoAsync(stream, name)).Name.Should().Be(name);
        await B.LetTimePassAsync(TimeSpan.FromMilliseconds(800));
        var gone = await B.EventuallyAsync(
            async () =>
            {
                try
                {
                    await B.GetConsumerInfoAsync(stream, name);
                    return 0;
                }
                catch (GofluxException e)
                {
                    return e.ErrorCode ?? -1;
                }
            },
            code => code != 0);
        gone.Should().Be(JetStreamErrorCodes.ConsumerNotFound);
        var actions = await B.ConsumerActionAdvisoriesAsync(stream, atLeast: 2);
        actions.Select(a => a.Subject).Should().Equal($"$JS.EVENT.ADVISORY.CONSUMER.CREATED.{stream}.{name}", $"$JS.EVENT.ADVISORY.CONSUMER.DELETED.{stream}.{name}");
    }

    [Fact]
    public async Task S131_NoInterestFromTheStart_RemovedAfterTheThreshold_DurablesToo_UnlessInterestCame()
    {
        var (stream, prefix) = Unique("S131D");
        await StreamAsync(stream, prefix);
        await PushAsync(stream, "idle", DeliverTo(prefix), c => c.InactiveThreshold = OneSecond);
        await PushAsync(stream, "kept", DeliverTo(prefix) + "2");
        await PushAsync(stream, "joined", DeliverTo(prefix) + "3", c => c.InactiveThreshold = OneSecond);
        await B.LetTimePassAsync(TimeSpan.FromMilliseconds(500));
        await using var r = await B.ListenAsync(DeliverTo(prefix) + "3");
        await BoundAsync(stream, "joined", bound: true);

        await B.LetTimePassAsync(TimeSpan.FromMilliseconds(1200));
        var names = await B.EventuallyAsync(
            async () => (await Task.WhenAll(new[] { "idle", "kept", "joined" }.Select(async n =>
            {
                try
                {
                    return (await B.GetConsumerInfoAsync(stream, n)).Name;
                }
                catch (GofluxException e) when (e.ErrorCode == JetStreamErrorCodes.ConsumerNotFound)
                {
                    return (string?)null;
                }
            }))).OfType<string>().ToList(),
            l => !l.Contains("idle"));
        names.Should().Equal("kept", "joined");
    }

    [Fact]
    public async Task S132_HeadersOnly_DeliversTheHeadersAndThePayloadSize()
    {
        var (stream, prefix) = Unique("S132");
        await StreamAsync(stream, prefix);
        var deliver = DeliverTo(prefix);
        await PushAsync(stream, "p", deliver, c =>
        {
            c.HeadersOnly = true;
            c.AckPolicy = ConsumerConfigAckPolicy.None;
        });
        await using var r = await B.ListenAsync(deliver);
        await B.PublishAsync(prefix + ".a", Bytes("hello"), new MessageHeaders().Add("Tenant", "acme"));
        await B.PublishAsync(prefix + ".a", Bytes("without headers"));
        var got = await ReceivedAsync(r, 2);
        got.Should().OnlyContain(m => m.Data.Length == 0);
        got[0].Headers!["Tenant"].Should().Be("acme");
        got[0].Headers!["Nats-Msg-Size"].Should().Be("5");
        got[1].Headers!["Nats-Msg-Size"].Should().Be("15");
    }

    [Fact]
    public async Task S133_PullRequest_ToAPushConsumer_Refused()
    {
        var (stream, prefix) = Unique("S133");
        await StreamAsync(stream, prefix);
        await B.PublishAsync(prefix + ".a", Bytes("1"));
        await PushAsync(stream, "p", DeliverTo(prefix));
        var thrown = await FluentActions.Invoking(() => B.FetchAsync(stream, "p", 1, OneSecond)).Should().ThrowAsync<Exception>();
        thrown.Which.ToString().Should().ContainEquivalentOf("push based");
        Counters(await B.GetConsumerInfoAsync(stream, "p")).Should().Be("delivered=0/0 ack_floor=0/0 ack_pending=0 pending=1 redelivered=0");
    }

    [Fact]
    public async Task S124_GofluxSubscriber_PushConsumerDeleted_SubscriptionKeepsListening_ARecreatedOneDeliversToIt()
    {
        // The server tells a deliver subject's subscribers nothing when its consumer goes: the subscription keeps
        // listening, and a consumer created again on that deliver subject delivers to it.
        var (stream, prefix) = Unique("S124D");
        await StreamAsync(stream, prefix);
        await PushAsync(stream, "p", DeliverTo(prefix));
        var got = new ConcurrentQueue<ulong>();
        await using var run = await SubscribeAsync(stream, "p", prefix + ".>", (m, _) =>
        {
            got.Enqueue(m.Delivery!.Value.StreamSequence);
            return ValueTask.CompletedTask;
        });
        await BoundAsync(stream, "p", bound: true);
        await B.DeleteConsumerAsync(stream, "p");
        await using var publisher = B.CreatePublisher(Codec);
        await publisher.PublishAsync(prefix + ".a", new Event("1", "created"), cancellationToken: Ct);
        await B.LetTimePassAsync(TimeSpan.FromMilliseconds(500));
        run.Task.IsCompleted.Should().BeFalse("nothing tells the subscription its consumer is gone");
        got.Should().BeEmpty();

        await PushAsync(stream, "p", DeliverTo(prefix));
        var info = await B.EventuallyAsync(() => B.GetConsumerInfoAsync(stream, "p"), i => i.AckFloor?.StreamSeq == 1);
        info.PushBound.Should().BeTrue();
        got.Should().Equal(1UL);
    }

    [Fact]
    public async Task S124_GofluxSubscriber_DurablePushConsumerWithFilter_AutoAck()
    {
        // The seed's first example: a durable push consumer with a filter subject, a handler, auto-ack.
        var (stream, prefix) = Unique("S124G");
        await StreamAsync(stream, prefix);
        await PushAsync(stream, "printer", DeliverTo(prefix), c => c.FilterSubject = prefix + ".events");
        await using var publisher = B.CreatePublisher(Codec);
        var got = new ConcurrentQueue<Message<Event>>();
        await using var run = await SubscribeAsync(stream, "printer", prefix + ".events", (m, _) =>
        {
            got.Enqueue(m);
            return ValueTask.CompletedTask;
        });
        await BoundAsync(stream, "printer", bound: true);

        await publisher.PublishAsync(prefix + ".events", new Event("1", "signed-up"), cancellationToken: Ct);
        await publisher.PublishAsync(prefix + ".events", new Event("2", "logged-in"), cancellationToken: Ct);
        await publisher.PublishAsync(prefix + ".other", new Event("x", "ignored"), cancellationToken: Ct);
        await publisher.PublishAsync(prefix + ".events", new Event("3", "logged-out"), cancellationToken: Ct);

        var info = await B.EventuallyAsync(() => B.GetConsumerInfoAsync(stream, "printer"), i => i.AckFloor?.ConsumerSeq == 3);
        Counters(info).Should().Be("delivered=3/4 ack_floor=3/4 ack_pending=0 pending=0 redelivered=0");
        got.Select(m => (m.Payload.Id, m.Subject, m.Delivery!.Value.StreamSequence, m.Delivery.Value.NumDelivered))
            .Should().Equal(("1", prefix + ".events", 1UL, 1UL), ("2", prefix + ".events", 2UL, 1UL), ("3", prefix + ".events", 4UL, 1UL));
        (await B.AdvisoriesAsync(stream)).Should().BeEmpty("nothing was naked, terminated or exhausted");
        (await B.ConsumerActionAdvisoriesAsync(stream, atLeast: 1)).Select(a => a.Subject).Should().Equal($"$JS.EVENT.ADVISORY.CONSUMER.CREATED.{stream}.printer");
    }
}
