using FluentAssertions;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using Xunit;

namespace Goflux.NatsNet.Tests;

/// <summary>JetStream publish through NATS.Net: PubAck, dedupe, expectations and their errors (S-20 to S-28).</summary>
public abstract partial class NatsNetSuite
{
    [Fact]
    public async Task Publish_NoStreamCaptures_NoResponse()
    {
        var (_, p) = Unique("PNONE");

        var act = async () => await Js.PublishAsync($"{p}.nowhere", Bytes("x"), cancellationToken: Ct);

        await act.Should().ThrowAsync<NatsJSPublishNoResponseException>();
    }

    [Fact]
    public async Task Publish_DuplicateMsgId_DuplicateAckWithOriginalSequence()
    {
        var (s, p) = Unique("PDUP");
        await StreamAsync(s, p);
        await PublishManyAsync($"{p}.a", 1);

        var first = await Js.PublishAsync($"{p}.a", Bytes("x"), opts: new NatsJSPubOpts { MsgId = "id-1" }, cancellationToken: Ct);
        var second = await Js.PublishAsync($"{p}.a", Bytes("x"), opts: new NatsJSPubOpts { MsgId = "id-1" }, cancellationToken: Ct);

        first.Duplicate.Should().BeFalse();
        first.Seq.Should().Be(2);
        second.Duplicate.Should().BeTrue();
        second.Seq.Should().Be(2, "S-24: a duplicate reports the original's sequence");
        second.Invoking(a => a.EnsureSuccess()).Should().Throw<NatsJSDuplicateMessageException>();
        (await Js.GetStreamAsync(s, cancellationToken: Ct)).Info.State.Messages.Should().Be(2);
    }

    [Fact]
    public async Task Publish_ExpectedLastSequenceWrong_10071()
    {
        var (s, p) = Unique("PELS");
        await StreamAsync(s, p);
        await PublishManyAsync($"{p}.a", 2);

        var ack = await Js.PublishAsync($"{p}.a", Bytes("x"), opts: new NatsJSPubOpts { ExpectedLastSequence = 1 }, cancellationToken: Ct);

        ack.Error!.ErrCode.Should().Be(10071);
        ack.Error.Description.Should().Be("wrong last sequence: 2");
        ack.Invoking(a => a.EnsureSuccess()).Should().Throw<NatsJSApiException>().Which.Error.ErrCode.Should().Be(10071);
    }

    [Fact]
    public async Task Publish_ExpectedLastSequenceRight_Stored()
    {
        var (s, p) = Unique("PELS2");
        await StreamAsync(s, p);
        await PublishManyAsync($"{p}.a", 2);

        var ack = await Js.PublishAsync($"{p}.a", Bytes("x"), opts: new NatsJSPubOpts { ExpectedLastSequence = 2 }, cancellationToken: Ct);

        ack.EnsureSuccess();
        ack.Seq.Should().Be(3);
    }

    [Fact]
    public async Task Publish_ExpectedStreamWrong_10060()
    {
        var (s, p) = Unique("PES");
        await StreamAsync(s, p);

        var ack = await Js.PublishAsync($"{p}.a", Bytes("x"), opts: new NatsJSPubOpts { ExpectedStream = "OTHER" }, cancellationToken: Ct);

        ack.Error!.ErrCode.Should().Be(10060);
        ack.Error.Code.Should().Be(400);
    }

    [Fact]
    public async Task Publish_ExpectedLastMsgIdWrong_10070()
    {
        var (s, p) = Unique("PELM");
        await StreamAsync(s, p);
        await Js.PublishAsync($"{p}.a", Bytes("x"), opts: new NatsJSPubOpts { MsgId = "a" }, cancellationToken: Ct);

        var ack = await Js.PublishAsync($"{p}.a", Bytes("y"), opts: new NatsJSPubOpts { ExpectedLastMsgId = "b" }, cancellationToken: Ct);

        ack.Error!.ErrCode.Should().Be(10070);
        ack.Error.Description.Should().Be("wrong last msg ID: a");
    }

    [Fact]
    public async Task Publish_ExpectedLastSubjectSequenceWrong_10071()
    {
        var (s, p) = Unique("PELSS");
        await StreamAsync(s, p);
        await Js.PublishAsync($"{p}.a", Bytes("a1"), cancellationToken: Ct);
        await Js.PublishAsync($"{p}.b", Bytes("b1"), cancellationToken: Ct);

        var wrong = await Js.PublishAsync($"{p}.a", Bytes("a2"), opts: new NatsJSPubOpts { ExpectedLastSubjectSequence = 2 }, cancellationToken: Ct);
        var right = await Js.PublishAsync($"{p}.a", Bytes("a2"), opts: new NatsJSPubOpts { ExpectedLastSubjectSequence = 1 }, cancellationToken: Ct);

        wrong.Error!.ErrCode.Should().Be(10071);
        right.EnsureSuccess();
        right.Seq.Should().Be(3);
    }

    [Fact]
    public async Task Publish_Headers_ReachTheConsumerAsPublished()
    {
        var (s, p) = Unique("PHDR");
        await StreamAsync(s, p);
        var headers = new NatsHeaders { ["X-Tenant"] = "acme", ["trace-ID"] = "abc" };
        headers.Add("X-Many", new Microsoft.Extensions.Primitives.StringValues(["1", "2"]));
        await Js.PublishAsync($"{p}.a", Bytes("x"), headers: headers, opts: new NatsJSPubOpts { MsgId = "m-1" }, cancellationToken: Ct);
        var c = await ConsumerAsync(s, "c");

        var m = (await FetchAsync(c, 1, TimeSpan.FromSeconds(1))).Single();

        m.Headers!["X-Tenant"].ToString().Should().Be("acme");
        m.Headers["trace-ID"].ToString().Should().Be("abc");
        m.Headers["X-Many"].ToArray().Should().Equal("1", "2");
        m.Headers["Nats-Msg-Id"].ToString().Should().Be("m-1", "S-22: stored headers are delivered as published");
    }

    [Fact]
    public async Task Publish_OverMaxMsgSize_10054()
    {
        var (s, p) = Unique("PSIZE");
        await StreamAsync(s, p, c => c.MaxMsgSize = 16);

        var ack = await Js.PublishAsync($"{p}.a", new byte[64], cancellationToken: Ct);

        ack.Error!.ErrCode.Should().Be(10054);
    }

    [Fact]
    public async Task Publish_DiscardNewAtMaxMsgs_Refused()
    {
        var (s, p) = Unique("PDISC");
        await StreamAsync(s, p, c =>
        {
            c.MaxMsgs = 2;
            c.Discard = StreamConfigDiscard.New;
        });
        await PublishManyAsync($"{p}.a", 2);

        var ack = await Js.PublishAsync($"{p}.a", Bytes("third"), cancellationToken: Ct);

        ack.Error!.ErrCode.Should().Be(10077);
        ack.Error.Description.Should().Be("maximum messages exceeded");
    }

    [Fact]
    public async Task Publish_CorePublishIntoStream_IsStored()
    {
        var (s, p) = Unique("PCORE");
        var stream = await StreamAsync(s, p);

        await Client.PublishAsync($"{p}.a", Bytes("core"), cancellationToken: Ct);
        var info = await T.EventuallyAsync(
            async () =>
            {
                await stream.RefreshAsync(Ct);
                return stream.Info;
            },
            i => i.State.Messages == 1);

        info.State.Messages.Should().Be(1);
    }

    [Fact]
    public async Task Publish_MaxMsgsPerSubject_KeepsTheLatest()
    {
        var (s, p) = Unique("PPERSUBJ");
        var stream = await StreamAsync(s, p, c => c.MaxMsgsPerSubject = 1);
        await Js.PublishAsync($"{p}.a", Bytes("a1"), cancellationToken: Ct);
        await Js.PublishAsync($"{p}.b", Bytes("b1"), cancellationToken: Ct);
        await Js.PublishAsync($"{p}.a", Bytes("a2"), cancellationToken: Ct);
        var c = await ConsumerAsync(s, "c");

        var msgs = await FetchNowAsync(c, 10);

        msgs.Select(Text).Should().Equal("b1", "a2");
        await stream.RefreshAsync(Ct);
        stream.Info.State.Messages.Should().Be(2);
    }
}
