using FluentAssertions;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using Xunit;

namespace Goflux.NatsNet.Tests;

/// <summary>Consumer management through NATS.Net and its errors (S-46 to S-64).</summary>
public abstract partial class NatsNetSuite
{
    [Fact]
    public async Task Consumers_Create_ReportsServerDefaults()
    {
        var (s, p) = Unique("CDEF");
        await StreamAsync(s, p);
        await PublishManyAsync($"{p}.a", 2);

        var c = await Js.CreateOrUpdateConsumerAsync(s, new ConsumerConfig("durable"), Ct);

        var cfg = c.Info.Config;
        cfg.DurableName.Should().Be("durable");
        cfg.AckPolicy.Should().Be(ConsumerConfigAckPolicy.Explicit);
        cfg.AckWait.Should().Be(TimeSpan.FromSeconds(30));
        cfg.MaxDeliver.Should().Be(-1);
        cfg.MaxWaiting.Should().Be(512);
        cfg.MaxAckPending.Should().Be(1000);
        cfg.DeliverPolicy.Should().Be(ConsumerConfigDeliverPolicy.All);
        cfg.ReplayPolicy.Should().Be(ConsumerConfigReplayPolicy.Instant);
        c.Info.NumPending.Should().Be(2);
        c.Info.NumAckPending.Should().Be(0);
    }

    [Fact]
    public async Task Consumers_CreateExistingWithOtherConfig_AlreadyExists10148()
    {
        var (s, p) = Unique("CEXIST");
        await StreamAsync(s, p);
        await Js.CreateConsumerAsync(s, new ConsumerConfig("c") { AckWait = TimeSpan.FromSeconds(10) }, Ct);

        var act = async () => await Js.CreateConsumerAsync(s, new ConsumerConfig("c") { AckWait = TimeSpan.FromSeconds(20) }, Ct);

        (await act.Should().ThrowAsync<NatsJSApiException>()).Which.Error.ErrCode.Should().Be(10148);
    }

    [Fact]
    public async Task Consumers_UpdateMissing_DoesNotExist10149()
    {
        var (s, p) = Unique("CUPD");
        await StreamAsync(s, p);

        var act = async () => await Js.UpdateConsumerAsync(s, new ConsumerConfig("nobody"), Ct);

        (await act.Should().ThrowAsync<NatsJSApiException>()).Which.Error.ErrCode.Should().Be(10149);
    }

    [Fact]
    public async Task Consumers_GetMissing_10014_AndOnMissingStream_10059()
    {
        var (s, p) = Unique("CMISS");
        await StreamAsync(s, p);
        var (gone, _) = Unique("CMISS2");

        var missing = async () => await Js.GetConsumerAsync(s, "nobody", Ct);
        var noStream = async () => await Js.GetConsumerAsync(gone, "nobody", Ct);

        var e = (await missing.Should().ThrowAsync<NatsJSApiException>()).Which.Error;
        e.ErrCode.Should().Be(10014);
        e.Code.Should().Be(404);
        (await noStream.Should().ThrowAsync<NatsJSApiException>()).Which.Error.ErrCode.Should().Be(10059);
    }

    [Fact]
    public async Task Consumers_CreateOnMissingStream_10059()
    {
        var (s, _) = Unique("CNOSTREAM");

        var act = async () => await Js.CreateOrUpdateConsumerAsync(s, new ConsumerConfig("c"), Ct);

        (await act.Should().ThrowAsync<NatsJSApiException>()).Which.Error.ErrCode.Should().Be(10059);
    }

    [Fact]
    public async Task Consumers_Delete_ThenGet10014()
    {
        var (s, p) = Unique("CDEL");
        await StreamAsync(s, p);
        await ConsumerAsync(s, "c");

        (await Js.DeleteConsumerAsync(s, "c", Ct)).Should().BeTrue();
        var act = async () => await Js.GetConsumerAsync(s, "c", Ct);

        (await act.Should().ThrowAsync<NatsJSApiException>()).Which.Error.ErrCode.Should().Be(10014);
    }

    [Fact]
    public async Task Consumers_ListAndNames()
    {
        var (s, p) = Unique("CLIST");
        await StreamAsync(s, p);
        await ConsumerAsync(s, "b");
        await ConsumerAsync(s, "a");

        var names = new List<string>();
        await foreach (var n in Js.ListConsumerNamesAsync(s, Ct))
        {
            names.Add(n);
        }

        var infos = new List<string>();
        await foreach (var c in Js.ListConsumersAsync(s, Ct))
        {
            infos.Add(c.Info.Name);
        }

        names.Should().BeEquivalentTo(["a", "b"]);
        infos.Should().BeEquivalentTo(["a", "b"]);
    }

    [Fact]
    public async Task Consumers_Update_KeepsDeliveryState()
    {
        var (s, p) = Unique("CUPDSTATE");
        await StreamAsync(s, p);
        await PublishManyAsync($"{p}.a", 3);
        var c = await ConsumerAsync(s, "c");
        foreach (var m in await FetchAsync(c, 2, TimeSpan.FromSeconds(1)))
        {
            await m.AckAsync(Double, Ct);
        }

        var updated = await Js.UpdateConsumerAsync(s, new ConsumerConfig("c") { AckPolicy = ConsumerConfigAckPolicy.Explicit, Description = "changed", AckWait = TimeSpan.FromSeconds(45) }, Ct);

        updated.Info.Config.Description.Should().Be("changed");
        updated.Info.Config.AckWait.Should().Be(TimeSpan.FromSeconds(45));
        updated.Info.Delivered.ConsumerSeq.Should().Be(2, "S-51: an update keeps the consumer's state");
        updated.Info.NumPending.Should().Be(1);
    }

    [Fact]
    public async Task Consumers_FilterSubject_DeliversOnlyMatching()
    {
        var (s, p) = Unique("CFILT");
        await StreamAsync(s, p);
        await Js.PublishAsync($"{p}.orders.eu", Bytes("eu1"), cancellationToken: Ct);
        await Js.PublishAsync($"{p}.orders.us", Bytes("us1"), cancellationToken: Ct);
        await Js.PublishAsync($"{p}.orders.eu", Bytes("eu2"), cancellationToken: Ct);
        var c = await ConsumerAsync(s, "eu", c => c.FilterSubject = $"{p}.orders.eu");

        var msgs = await FetchNowAsync(c, 10);

        msgs.Select(Text).Should().Equal("eu1", "eu2");
        msgs.Select(m => m.Metadata!.Value.Sequence.Stream).Should().Equal(1UL, 3UL);
        c.Info.NumPending.Should().Be(2);
    }

    [Fact]
    public async Task Consumers_FilterSubjects_DeliversEachMatchingInStreamOrder()
    {
        var (s, p) = Unique("CFILTS");
        await StreamAsync(s, p);
        await Js.PublishAsync($"{p}.a", Bytes("a1"), cancellationToken: Ct);
        await Js.PublishAsync($"{p}.b", Bytes("b1"), cancellationToken: Ct);
        await Js.PublishAsync($"{p}.c", Bytes("c1"), cancellationToken: Ct);
        await Js.PublishAsync($"{p}.a", Bytes("a2"), cancellationToken: Ct);
        var c = await ConsumerAsync(s, "ac", c => c.FilterSubjects = [$"{p}.a", $"{p}.c"]);

        var msgs = await FetchNowAsync(c, 10);

        msgs.Select(Text).Should().Equal("a1", "c1", "a2");
    }

    [Fact]
    public async Task Consumers_WorkQueueOverlappingFilters_NotUnique10100()
    {
        var (s, p) = Unique("CWQ");
        await StreamAsync(s, p, c => c.Retention = StreamConfigRetention.Workqueue);
        await ConsumerAsync(s, "one", c => c.FilterSubject = $"{p}.jobs.>");

        var act = async () => await ConsumerAsync(s, "two", c => c.FilterSubject = $"{p}.jobs.eu");

        (await act.Should().ThrowAsync<NatsJSApiException>()).Which.Error.ErrCode.Should().Be(10100);
    }

    [Fact]
    public async Task Consumers_WorkQueueSecondUnfiltered_MultipleUnfiltered10099()
    {
        var (s, p) = Unique("CWQ2");
        await StreamAsync(s, p, c => c.Retention = StreamConfigRetention.Workqueue);
        await ConsumerAsync(s, "one");

        var act = async () => await ConsumerAsync(s, "two");

        (await act.Should().ThrowAsync<NatsJSApiException>()).Which.Error.ErrCode.Should().Be(10099);
    }

    [Fact]
    public async Task Consumers_MaxDeliverNotAboveBackoff_10116()
    {
        var (s, p) = Unique("CBACK");
        await StreamAsync(s, p);

        var act = async () => await ConsumerAsync(s, "c", c =>
        {
            c.MaxDeliver = 1;
            c.Backoff = [TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2)];
        });

        (await act.Should().ThrowAsync<NatsJSApiException>()).Which.Error.ErrCode.Should().Be(10116);
    }

    [Fact]
    public async Task Consumers_DeliverLast_StartsAtTheLastMessage()
    {
        var (s, p) = Unique("CLAST");
        await StreamAsync(s, p);
        await PublishManyAsync($"{p}.a", 3);
        var c = await ConsumerAsync(s, "c", c => c.DeliverPolicy = ConsumerConfigDeliverPolicy.Last);

        var msgs = await FetchNowAsync(c, 10);

        msgs.Select(Text).Should().Equal("m3");
    }

    [Fact]
    public async Task Consumers_DeliverNew_OnlyLaterMessages()
    {
        var (s, p) = Unique("CNEW");
        await StreamAsync(s, p);
        await PublishManyAsync($"{p}.a", 2);
        var c = await ConsumerAsync(s, "c", c => c.DeliverPolicy = ConsumerConfigDeliverPolicy.New);
        await PublishManyAsync($"{p}.a", 1, "later");

        var msgs = await FetchNowAsync(c, 10);

        msgs.Select(Text).Should().Equal("later1");
    }

    [Fact]
    public async Task Consumers_DeliverByStartSequence()
    {
        var (s, p) = Unique("CSEQ");
        await StreamAsync(s, p);
        await PublishManyAsync($"{p}.a", 5);
        var c = await ConsumerAsync(s, "c", c =>
        {
            c.DeliverPolicy = ConsumerConfigDeliverPolicy.ByStartSequence;
            c.OptStartSeq = 4;
        });

        var msgs = await FetchNowAsync(c, 10);

        msgs.Select(Text).Should().Equal("m4", "m5");
    }

    [Fact]
    public async Task Consumers_DeliverLastPerSubject_LastOfEachSubjectInStreamOrder()
    {
        var (s, p) = Unique("CLPS");
        await StreamAsync(s, p);
        await Js.PublishAsync($"{p}.a", Bytes("a1"), cancellationToken: Ct);
        await Js.PublishAsync($"{p}.b", Bytes("b1"), cancellationToken: Ct);
        await Js.PublishAsync($"{p}.a", Bytes("a2"), cancellationToken: Ct);
        var c = await ConsumerAsync(s, "c", c =>
        {
            c.DeliverPolicy = ConsumerConfigDeliverPolicy.LastPerSubject;
            c.FilterSubject = p + ".>";
        });

        var msgs = await FetchNowAsync(c, 10);

        msgs.Select(Text).Should().Equal("b1", "a2");
    }

    [Fact]
    public async Task Consumers_DeliverLastPerSubjectWithoutFilter_Refused()
    {
        var (s, p) = Unique("CLPS2");
        await StreamAsync(s, p);

        var act = async () => await ConsumerAsync(s, "c", c => c.DeliverPolicy = ConsumerConfigDeliverPolicy.LastPerSubject);

        var e = (await act.Should().ThrowAsync<NatsJSApiException>()).Which.Error;
        e.ErrCode.Should().Be(10094);
        e.Description.Should().Be("consumer delivery policy is deliver last per subject, but optional filter subject is not set");
    }

    [Fact]
    public async Task Consumers_OrderedConsumer_ReadsTheStreamInOrder()
    {
        var (s, p) = Unique("CORD");
        await StreamAsync(s, p);
        await PublishManyAsync($"{p}.a", 5);
        var ordered = await Js.CreateOrderedConsumerAsync(s, cancellationToken: Ct);

        var got = new List<string>();
        await foreach (var m in ordered.FetchAsync<byte[]>(new NatsJSFetchOpts { MaxMsgs = 5, Expires = TimeSpan.FromSeconds(2) }, cancellationToken: Ct))
        {
            got.Add(Text(m));
        }

        got.Should().Equal("m1", "m2", "m3", "m4", "m5");
    }
}
