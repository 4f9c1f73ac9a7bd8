using FluentAssertions;
using NATS.Client.JetStream.Models;
using Xunit;

namespace Goflux.Contract.Tests;

/// <summary>Section 3 of JETSTREAM-SEMANTICS.md: publishing (S-17 to S-32).</summary>
public abstract partial class ContractSuite
{
    [Fact]
    public async Task S18_Sequences_SkipNothing_ConsumedOnlyByAcceptedMessages()
    {
        var (stream, prefix) = Unique("S18");
        await StreamAsync(stream, prefix, c => c.MaxMsgSize = 40);
        (await B.PublishAsync(prefix + ".a", Bytes("1"), Id("x"))).Sequence.Should().Be(1);
        (await B.PublishAsync(prefix + ".a", Bytes("1"), Id("x"))).Should().Be(new PublishResult(stream, 1, true));
        (await PublishFailureAsync(prefix + ".a", new MessageHeaders().Add("Nats-Expected-Stream", "other"))).ErrorCode.Should().Be(10060);
        (await PublishFailureAsync(prefix + ".a", data: new byte[41])).ErrorCode.Should().Be(10054);
        (await B.PublishAsync(prefix + ".b", Bytes("2"))).Sequence.Should().Be(2, "rejects and duplicates consume no number");

        await B.PurgeStreamAsync(stream);
        (await B.PublishAsync(prefix + ".b", Bytes("3"))).Sequence.Should().Be(3, "purge does not rewind the counter");
        (await B.GetStreamInfoAsync(stream)).State.LastSeq.Should().Be(3);
    }

    [Fact]
    public async Task S19_PubAckError_CarriesErrCode()
    {
        var (stream, prefix) = Unique("S19");
        await StreamAsync(stream, prefix);
        var error = await PublishFailureAsync(prefix + ".a", new MessageHeaders().Add("Nats-Expected-Last-Sequence", "7"));
        error.ErrorCode.Should().Be(10071);
        error.Subject.Should().Be(prefix + ".a");
        (await B.GetStreamInfoAsync(stream)).State.LastSeq.Should().Be(0);
    }

    [Fact]
    public async Task S20_NoStream_NoResponders_WithoutErrorCode()
    {
        var (_, prefix) = Unique("S20");
        var error = await PublishFailureAsync(prefix + ".nobody");
        error.ErrorCode.Should().BeNull("a no-responders status is not a JetStream API error");
    }

    [Fact]
    public async Task S22_Headers_StoredAndDeliveredVerbatim()
    {
        var (stream, prefix) = Unique("S22");
        await StreamAsync(stream, prefix);
        var headers = new MessageHeaders()
            .Add("Nats-Msg-Id", "id-1")
            .Add("Nats-Expected-Stream", stream)
            .Add("Nats-Expected-Last-Sequence", "0")
            .Add("X-Custom", "one")
            .Add("X-Custom", "two")
            .Add("Mixed-Case", "Value With Spaces");
        await B.PublishAsync(prefix + ".a", Bytes("payload"), headers);
        await ConsumerAsync(stream, "c");

        var msg = (await B.FetchAsync(stream, "c", 1)).Should().ContainSingle().Subject;
        Text(msg.Data).Should().Be("payload");
        msg.Headers.Should().NotBeNull();
        msg.Headers!["Nats-Msg-Id"].Should().Be("id-1");
        msg.Headers["Nats-Expected-Stream"].Should().Be(stream);
        msg.Headers["Nats-Expected-Last-Sequence"].Should().Be("0");
        msg.Headers.TryGetValues("X-Custom", out var custom).Should().BeTrue();
        custom.Should().Equal("one", "two");
        msg.Headers["Mixed-Case"].Should().Be("Value With Spaces");
    }

    [Fact]
    public async Task S23_DuplicateWins_OverWrongExpectations()
    {
        var (stream, prefix) = Unique("S23");
        await StreamAsync(stream, prefix);
        await B.PublishAsync(prefix + ".a", Bytes("1"), Id("dup"));
        await B.PublishAsync(prefix + ".a", Bytes("2"));

        var wrong = Id("dup")
            .Add("Nats-Expected-Last-Sequence", "99")
            .Add("Nats-Expected-Last-Subject-Sequence", "99")
            .Add("Nats-Expected-Last-Msg-Id", "nope");
        (await B.PublishAsync(prefix + ".a", Bytes("3"), wrong)).Should().Be(new PublishResult(stream, 1, true));

        // Expected stream is checked before dedupe.
        (await PublishFailureAsync(prefix + ".a", Id("dup").Add("Nats-Expected-Stream", "other"))).ErrorCode.Should().Be(10060);
    }

    [Fact]
    public async Task S23_CheckOrder_FirstFailingCheckDecides()
    {
        var (stream, prefix) = Unique("S23");
        await StreamAsync(stream, prefix, c =>
        {
            c.MaxMsgSize = 200;
            c.MaxMsgs = 1;
            c.Discard = StreamConfigDiscard.New;
        });
        await B.PublishAsync(prefix + ".a", Bytes("1"), Id("first"));
        var big = new byte[300];

        // Expected last msg id (5) before rollup (6).
        (await PublishFailureAsync(prefix + ".a", new MessageHeaders().Add("Nats-Expected-Last-Msg-Id", "other").Add("Nats-Rollup", "sub"))).ErrorCode.Should().Be(10070);

        // Expected last sequence (4) before expected last msg id (5).
        (await PublishFailureAsync(prefix + ".a", new MessageHeaders().Add("Nats-Expected-Last-Sequence", "5").Add("Nats-Expected-Last-Msg-Id", "other"))).ErrorCode.Should().Be(10071);

        // Rollup (6) before max_msg_size (7).
        (await PublishFailureAsync(prefix + ".a", new MessageHeaders().Add("Nats-Rollup", "all"), big)).ErrorCode.Should().Be(10111);

        // Expected last msg id (5) before max_msg_size (7).
        (await PublishFailureAsync(prefix + ".a", new MessageHeaders().Add("Nats-Expected-Last-Msg-Id", "other"), big)).ErrorCode.Should().Be(10070);

        // max_msg_size (7) before limits (9): the stream is full under discard new.
        (await PublishFailureAsync(prefix + ".b", data: big)).ErrorCode.Should().Be(10054);
        (await PublishFailureAsync(prefix + ".b")).ErrorCode.Should().Be(10077);

        (await B.GetStreamInfoAsync(stream)).State.LastSeq.Should().Be(1);
    }

    [Fact]
    public async Task S24_DedupeHit_ReturnsOriginalSequence_StoresNothing()
    {
        var (stream, prefix) = Unique("S24");
        await StreamAsync(stream, prefix);
        (await B.PublishAsync(prefix + ".a", Bytes("1"), Id("m1"))).Should().Be(new PublishResult(stream, 1, false));
        (await B.PublishAsync(prefix + ".a", Bytes("2"), Id("m2"))).Should().Be(new PublishResult(stream, 2, false));
        (await B.PublishAsync(prefix + ".a", Bytes("other payload"), Id("m1"))).Should().Be(new PublishResult(stream, 1, true));
        (await B.PublishAsync(prefix + ".b", Bytes("other subject"), Id("m1"))).Should().Be(new PublishResult(stream, 1, true), "ids are keyed per stream");

        var info = await B.GetStreamInfoAsync(stream);
        info.State.Messages.Should().Be(2);
        info.State.LastSeq.Should().Be(2);
        (await B.PublishAsync(prefix + ".a", Bytes("3"), Id("m3"))).Sequence.Should().Be(3);
    }

    [Fact]
    public async Task S25_DedupeWindow_SurvivesPurge_ExpiresWithTime()
    {
        var (stream, prefix) = Unique("S25");
        await StreamAsync(stream, prefix, c => c.DuplicateWindow = TimeSpan.FromSeconds(1));
        (await B.PublishAsync(prefix + ".a", Bytes("1"), Id("w"))).Sequence.Should().Be(1);
        await B.PurgeStreamAsync(stream);
        (await B.PublishAsync(prefix + ".a", Bytes("again"), Id("w"))).Should().Be(new PublishResult(stream, 1, true), "purge does not forget ids");

        await B.LetTimePassAsync(TimeSpan.FromMilliseconds(1500));
        (await B.PublishAsync(prefix + ".a", Bytes("later"), Id("w"))).Should().Be(new PublishResult(stream, 2, false));
        (await B.PublishAsync(prefix + ".a", Bytes("later"), Id("w"))).Should().Be(new PublishResult(stream, 2, true), "the new acceptance opens a new window");
    }

    [Fact]
    public async Task S26_ExpectedStream_MismatchIs10060()
    {
        var (stream, prefix) = Unique("S26");
        await StreamAsync(stream, prefix);
        (await PublishFailureAsync(prefix + ".a", new MessageHeaders().Add("Nats-Expected-Stream", stream + "x"))).ErrorCode.Should().Be(10060);
        (await B.PublishAsync(prefix + ".a", Bytes("ok"), new MessageHeaders().Add("Nats-Expected-Stream", stream))).Sequence.Should().Be(1);
    }

    [Fact]
    public async Task S27_ExpectedLastSequence_CountsPurgedMessages()
    {
        var (stream, prefix) = Unique("S27");
        await StreamAsync(stream, prefix);
        (await B.PublishAsync(prefix + ".a", Bytes("1"), LastSeq(0))).Sequence.Should().Be(1, "0 passes on a stream that never had a message");
        (await B.PublishAsync(prefix + ".b", Bytes("2"), LastSeq(1))).Sequence.Should().Be(2);
        (await PublishFailureAsync(prefix + ".a", LastSeq(1))).ErrorCode.Should().Be(10071);

        await B.PurgeStreamAsync(stream);
        (await PublishFailureAsync(prefix + ".a", LastSeq(0))).ErrorCode.Should().Be(10071, "0 fails once a message was ever stored");
        (await B.PublishAsync(prefix + ".a", Bytes("3"), LastSeq(2))).Sequence.Should().Be(3);
    }

    [Fact]
    public async Task S28_ExpectedLastSubjectSequence_UsesStoredMessagesOnThatSubject()
    {
        var (stream, prefix) = Unique("S28");
        await StreamAsync(stream, prefix);
        (await B.PublishAsync(prefix + ".a", Bytes("1"), LastSubjectSeq(0))).Sequence.Should().Be(1);
        (await B.PublishAsync(prefix + ".b", Bytes("2"), LastSubjectSeq(0))).Sequence.Should().Be(2, "0 means no message on this subject");
        (await PublishFailureAsync(prefix + ".a", LastSubjectSeq(2))).ErrorCode.Should().Be(10071);
        (await B.PublishAsync(prefix + ".a", Bytes("3"), LastSubjectSeq(1))).Sequence.Should().Be(3);

        await B.PurgeStreamAsync(stream);
        (await PublishFailureAsync(prefix + ".a", LastSubjectSeq(3))).ErrorCode.Should().Be(10071, "purged messages no longer count");
        (await B.PublishAsync(prefix + ".a", Bytes("4"), LastSubjectSeq(0))).Sequence.Should().Be(4);
    }

    [Fact]
    public async Task S29_ExpectedLastMsgId_ComparesWithNewestMessage()
    {
        var (stream, prefix) = Unique("S29");
        await StreamAsync(stream, prefix);
        await B.PublishAsync(prefix + ".a", Bytes("1"), Id("one"));
        (await PublishFailureAsync(prefix + ".a", LastId("two"))).ErrorCode.Should().Be(10070);
        (await B.PublishAsync(prefix + ".b", Bytes("2"), LastId("one"))).Sequence.Should().Be(2);

        // Message 2 had no id, so the stream's last id is now empty.
        (await PublishFailureAsync(prefix + ".a", LastId("one"))).ErrorCode.Should().Be(10070);
        (await B.PublishAsync(prefix + ".a", Bytes("3"), Id("three"))).Sequence.Should().Be(3);
        (await B.PublishAsync(prefix + ".a", Bytes("4"), LastId("three"))).Sequence.Should().Be(4);
    }

    [Fact]
    public async Task S30_MaxMsgSize_CountsPayloadAndWholeHeaderBlock()
    {
        var (stream, prefix) = Unique("S30");
        await StreamAsync(stream, prefix, c => c.MaxMsgSize = 100);
        var longSubject = prefix + "." + new string('s', 150);
        (await B.PublishAsync(longSubject, new byte[100])).Sequence.Should().Be(1, "the subject is not counted");
        (await PublishFailureAsync(prefix + ".a", data: new byte[101])).ErrorCode.Should().Be(10054);

        // "NATS/1.0\r\n" + "X: y\r\n" + "\r\n" = 18 bytes.
        var header = new MessageHeaders().Add("X", "y");
        (await B.PublishAsync(prefix + ".a", new byte[82], header)).Sequence.Should().Be(2);
        (await PublishFailureAsync(prefix + ".a", header, new byte[83])).ErrorCode.Should().Be(10054);
        (await B.GetStreamInfoAsync(stream)).State.Messages.Should().Be(2);
    }

    [Fact]
    public async Task S30_HeaderBlockOver64k_Is10097()
    {
        var (stream, prefix) = Unique("S30");
        await StreamAsync(stream, prefix);
        var error = await PublishFailureAsync(prefix + ".a", new MessageHeaders().Add("X-Big", new string('h', 70_000)));
        error.ErrorCode.Should().Be(10097);
    }

    [Fact]
    public async Task S32_Rollup_NotPermittedWithoutAllowRollup()
    {
        var (stream, prefix) = Unique("S32");
        await StreamAsync(stream, prefix);
        (await PublishFailureAsync(prefix + ".a", new MessageHeaders().Add("Nats-Rollup", "sub"))).ErrorCode.Should().Be(10111);

        // Server correction: allow_rollup_hdrs with deny_purge is refused when the stream is created (10052), so the
        // publish-time "deny_purge forbids rollups" branch cannot be reached.
        var (denied, p2) = Unique("S32");
        (await ApiErrorAsync(() => StreamAsync(denied, p2, c =>
        {
            c.AllowRollupHdrs = true;
            c.DenyPurge = true;
        }))).Should().Be(10052);
    }

    [Fact]
    public async Task S32_Rollup_PurgesOlderMessages()
    {
        var (stream, prefix) = Unique("S32");
        await StreamAsync(stream, prefix, c => c.AllowRollupHdrs = true);
        await PublishManyAsync(prefix + ".a", 3);
        await PublishManyAsync(prefix + ".b", 2);

        (await B.PublishAsync(prefix + ".a", Bytes("rollup-a"), new MessageHeaders().Add("Nats-Rollup", "sub"))).Sequence.Should().Be(6);
        var afterSub = await B.GetStreamInfoAsync(stream);
        afterSub.State.Messages.Should().Be(3, "b1, b2 and the rollup remain");
        afterSub.State.FirstSeq.Should().Be(4);

        (await B.PublishAsync(prefix + ".c", Bytes("rollup-all"), new MessageHeaders().Add("Nats-Rollup", "all"))).Sequence.Should().Be(7);
        var afterAll = await B.GetStreamInfoAsync(stream);
        afterAll.State.Messages.Should().Be(1);
        afterAll.State.FirstSeq.Should().Be(7);
        afterAll.State.LastSeq.Should().Be(7);
    }

    private static MessageHeaders Id(string id) => new MessageHeaders().Add("Nats-Msg-Id", id);

    private static MessageHeaders LastSeq(ulong seq) => new MessageHeaders().Add("Nats-Expected-Last-Sequence", seq.ToString(System.Globalization.CultureInfo.InvariantCulture));

    private static MessageHeaders LastSubjectSeq(ulong seq) => new MessageHeaders().Add("Nats-Expected-Last-Subject-Sequence", seq.ToString(System.Globalization.CultureInfo.InvariantCulture));

    private static MessageHeaders LastId(string id) => new MessageHeaders().Add("Nats-Expected-Last-Msg-Id", id);
}
