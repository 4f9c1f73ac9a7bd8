using FluentAssertions;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using Xunit;

namespace Goflux.NatsNet.Tests;

/// <summary>Stream management through NATS.Net and its errors (S-09 to S-16).</summary>
public abstract partial class NatsNetSuite
{
    [Fact]
    public async Task Streams_Create_ReportsServerDefaults()
    {
        var (s, p) = Unique("SDEF");

        var stream = await StreamAsync(s, p);

        var c = stream.Info.Config;
        c.Retention.Should().Be(StreamConfigRetention.Limits);
        c.Discard.Should().Be(StreamConfigDiscard.Old);
        c.MaxMsgs.Should().Be(-1);
        c.MaxBytes.Should().Be(-1);
        c.MaxMsgSize.Should().Be(-1);
        c.MaxMsgsPerSubject.Should().Be(-1);
        c.MaxConsumers.Should().Be(-1);
        c.NumReplicas.Should().Be(1);
        c.DuplicateWindow.Should().Be(TimeSpan.FromMinutes(2), "S-09: the default duplicate window");
        stream.Info.State.Messages.Should().Be(0);
        stream.Info.State.FirstSeq.Should().Be(0, "S-16: a stream that never stored reports 0");
        stream.Info.State.LastSeq.Should().Be(0);
    }

    [Fact]
    public async Task Streams_CreateTwiceWithSameConfig_IsIdempotent()
    {
        var (s, p) = Unique("SIDEM");
        await StreamAsync(s, p);
        await PublishManyAsync($"{p}.a", 2);

        var again = await StreamAsync(s, p);

        again.Info.State.Messages.Should().Be(2, "S-11: the existing stream is returned, not replaced");
    }

    [Fact]
    public async Task Streams_CreateSameNameOtherConfig_NameInUse10058()
    {
        var (s, p) = Unique("SNAME");
        await StreamAsync(s, p);

        var act = async () => await StreamAsync(s, p, c => c.MaxMsgs = 5);

        (await act.Should().ThrowAsync<NatsJSApiException>()).Which.Error.ErrCode.Should().Be(10058);
    }

    [Fact]
    public async Task Streams_CreateOverlappingSubjects_SubjectOverlap10065()
    {
        var (s, p) = Unique("SOVER");
        await StreamAsync(s, p);
        var (other, _) = Unique("SOVER2");

        var act = async () => await Js.CreateStreamAsync(new StreamConfig(other, [$"{p}.orders.*"]) { Storage = StreamConfigStorage.Memory }, Ct);

        var e = (await act.Should().ThrowAsync<NatsJSApiException>()).Which.Error;
        e.ErrCode.Should().Be(10065);
        e.Code.Should().Be(400);
    }

    [Fact]
    public async Task Streams_UpdateMissing_NotFound10059()
    {
        var (s, p) = Unique("SUPD");

        var act = async () => await Js.UpdateStreamAsync(new StreamConfig(s, [p + ".>"]) { Storage = StreamConfigStorage.Memory }, Ct);

        var e = (await act.Should().ThrowAsync<NatsJSApiException>()).Which.Error;
        e.ErrCode.Should().Be(10059);
        e.Code.Should().Be(404);
    }

    [Fact]
    public async Task Streams_UpdateAddsSubject_NewSubjectIsCaptured()
    {
        var (s, p) = Unique("SUPD2");
        await StreamAsync(s, p);
        var (_, q) = Unique("SUPD3");

        var updated = await Js.UpdateStreamAsync(new StreamConfig(s, [p + ".>", q + ".>"]) { Storage = StreamConfigStorage.Memory }, Ct);
        var ack = await Js.PublishAsync($"{q}.x", Bytes("in"), cancellationToken: Ct);

        updated.Info.Config.Subjects.Should().BeEquivalentTo([p + ".>", q + ".>"]);
        ack.EnsureSuccess();
        ack.Stream.Should().Be(s);
    }

    [Fact]
    public async Task Streams_GetMissing_NotFound10059()
    {
        var (s, _) = Unique("SMISS");

        var act = async () => await Js.GetStreamAsync(s, cancellationToken: Ct);

        (await act.Should().ThrowAsync<NatsJSApiException>()).Which.Error.ErrCode.Should().Be(10059);
    }

    [Fact]
    public async Task Streams_Delete_ThenGetAndDeleteAgain_NotFound10059()
    {
        var (s, p) = Unique("SDEL");
        await StreamAsync(s, p);

        (await Js.DeleteStreamAsync(s, Ct)).Should().BeTrue();
        var get = async () => await Js.GetStreamAsync(s, cancellationToken: Ct);
        var again = async () => await Js.DeleteStreamAsync(s, Ct);

        (await get.Should().ThrowAsync<NatsJSApiException>()).Which.Error.ErrCode.Should().Be(10059);
        (await again.Should().ThrowAsync<NatsJSApiException>()).Which.Error.ErrCode.Should().Be(10059);
    }

    [Fact]
    public async Task Streams_ListNamesAndInfos_FilterBySubject()
    {
        var (a, pa) = Unique("SLISTA");
        var (b, pb) = Unique("SLISTB");
        await StreamAsync(a, pa);
        await StreamAsync(b, pb);

        var all = new List<string>();
        await foreach (var n in Js.ListStreamNamesAsync(cancellationToken: Ct))
        {
            all.Add(n);
        }

        var filtered = new List<string>();
        await foreach (var n in Js.ListStreamNamesAsync(subject: $"{pb}.x", cancellationToken: Ct))
        {
            filtered.Add(n);
        }

        var infos = new List<string>();
        await foreach (var st in Js.ListStreamsAsync(cancellationToken: Ct))
        {
            infos.Add(st.Info.Config.Name!);
        }

        all.Should().Contain([a, b]);
        filtered.Should().Equal(b);
        infos.Should().Contain([a, b]);
    }

    [Fact]
    public async Task Streams_Purge_RemovesAll_SequencesContinue()
    {
        var (s, p) = Unique("SPURGE");
        var stream = await StreamAsync(s, p);
        await PublishManyAsync($"{p}.a", 3);

        var purged = await Js.PurgeStreamAsync(s, new StreamPurgeRequest(), Ct);
        var ack = await Js.PublishAsync($"{p}.a", Bytes("after"), cancellationToken: Ct);
        await stream.RefreshAsync(Ct);

        purged.Success.Should().BeTrue();
        purged.Purged.Should().Be(3);
        ack.Seq.Should().Be(4, "S-14: sequences continue after a purge");
        stream.Info.State.Messages.Should().Be(1);
        stream.Info.State.FirstSeq.Should().Be(4);
    }

    [Fact]
    public async Task Streams_PurgeDenied_Refused()
    {
        var (s, p) = Unique("SDENY");
        await StreamAsync(s, p, c => c.DenyPurge = true);

        var act = async () => await Js.PurgeStreamAsync(s, new StreamPurgeRequest(), Ct);

        var e = (await act.Should().ThrowAsync<NatsJSApiException>()).Which.Error;
        e.ErrCode.Should().Be(10110, "the server reports JSStreamPurgeFailedF: 'stream purge not permitted'");
        e.Description.Should().Be("stream purge not permitted");
    }

    [Fact]
    public async Task Streams_AccountInfo_CountsStreamsAndConsumers()
    {
        var before = await Js.GetAccountInfoAsync(Ct);
        var (s, p) = Unique("SACC");
        await StreamAsync(s, p);
        await ConsumerAsync(s, "c1");
        await PublishManyAsync($"{p}.a", 2);

        var after = await Js.GetAccountInfoAsync(Ct);

        (after.Streams - before.Streams).Should().BeGreaterThanOrEqualTo(1);
        (after.Consumers - before.Consumers).Should().BeGreaterThanOrEqualTo(1);
        after.Memory.Should().BeGreaterThan(before.Memory);
        after.Api.Total.Should().BeGreaterThan(before.Api.Total);
    }

    [Fact]
    public async Task Streams_GetMessageBySequence_WithHeaders_AndMissingIs10037()
    {
        var (s, p) = Unique("SGET");
        var stream = await StreamAsync(s, p);
        await Js.PublishAsync($"{p}.a", Bytes("one"), headers: new NATS.Client.Core.NatsHeaders { ["X-Kind"] = "first" }, cancellationToken: Ct);

        var got = await stream.GetAsync(new StreamMsgGetRequest { Seq = 1 }, Ct);
        var missing = async () => await stream.GetAsync(new StreamMsgGetRequest { Seq = 9 }, Ct);

        got.Message.Subject.Should().Be($"{p}.a");
        got.Message.Seq.Should().Be(1);
        System.Text.Encoding.UTF8.GetString(got.Message.Data.Span).Should().Be("one");
        System.Text.Encoding.ASCII.GetString(Convert.FromBase64String(got.Message.Hdrs!)).Should().Contain("X-Kind: first");
        var e = (await missing.Should().ThrowAsync<NatsJSApiException>()).Which.Error;
        e.ErrCode.Should().Be(10037);
        e.Code.Should().Be(404);
    }

    [Fact]
    public async Task Streams_DirectGet_AnswersWithServerHeaders()
    {
        var (s, p) = Unique("SDIRECT");
        var stream = await StreamAsync(s, p, c => c.AllowDirect = true);
        await PublishManyAsync($"{p}.a", 2);

        var msg = await stream.GetDirectAsync<string>(new StreamMsgGetRequest { Seq = 2 }, cancellationToken: Ct);

        msg.Data.Should().Be("m2");
        msg.Headers!["Nats-Stream"].ToString().Should().Be(s);
        msg.Headers["Nats-Sequence"].ToString().Should().Be("2");
        msg.Headers["Nats-Subject"].ToString().Should().Be($"{p}.a");
        msg.Headers.ContainsKey("Nats-Time-Stamp").Should().BeTrue();
    }

    [Fact]
    public async Task Streams_DirectGetMissing_404MessageNotFound()
    {
        var (s, p) = Unique("SDIR404");
        var stream = await StreamAsync(s, p, c => c.AllowDirect = true);

        var msg = await stream.GetDirectAsync<string>(new StreamMsgGetRequest { Seq = 5 }, cancellationToken: Ct);

        msg.Headers!.Code.Should().Be(404);
        msg.Headers.MessageText.Should().Be("Message Not Found");
    }

    [Fact]
    public async Task Streams_SubjectsOverlapJetStreamApi_InvalidConfig10052()
    {
        var (s, _) = Unique("SAPI");

        var act = async () => await Js.CreateStreamAsync(new StreamConfig(s, ["$JS.API.>"]) { Storage = StreamConfigStorage.Memory }, Ct);

        var e = (await act.Should().ThrowAsync<NatsJSApiException>()).Which.Error;
        e.ErrCode.Should().Be(10052);
        e.Code.Should().Be(500);
    }

    [Fact]
    public async Task Streams_ThreeReplicasOnOneServer_ReplicasNotSupported10074()
    {
        var (s, p) = Unique("SREPL");

        var act = async () => await StreamAsync(s, p, c => c.NumReplicas = 3);

        (await act.Should().ThrowAsync<NatsJSApiException>()).Which.Error.ErrCode.Should().Be(10074);
    }
}
