using FluentAssertions;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using Xunit;

namespace Goflux.NatsNet.Tests;

/// <summary>What NATS.Net reads from a delivery: <see cref="NatsJSMsgMetadata"/> from the ack subject, headers, limits in time.</summary>
public abstract partial class NatsNetSuite
{
    [Fact]
    public async Task Metadata_TimestampIsTheStoreTime()
    {
        var (s, p) = Unique("MDTS");
        var stream = await StreamAsync(s, p);
        await PublishManyAsync($"{p}.a", 1);
        var stored = await stream.GetAsync(new StreamMsgGetRequest { Seq = 1 }, Ct);
        var c = await ConsumerAsync(s, "c");

        var m = (await FetchAsync(c, 1)).Single();

        // NATS.Net reads the timestamp from the ack subject (nanoseconds) and keeps millisecond precision.
        m.Metadata!.Value.Timestamp.Should().BeCloseTo(stored.Message.Time, TimeSpan.FromMilliseconds(1));
        m.Metadata.Value.Domain.Should().BeNullOrEmpty();
    }

    [Fact]
    public async Task Metadata_PendingCountsDown_ConsumerSequenceCountsUp()
    {
        var (s, p) = Unique("MDPEND");
        await StreamAsync(s, p);
        await PublishManyAsync($"{p}.a", 3);
        var c = await ConsumerAsync(s, "c");

        var msgs = await FetchAsync(c, 3);

        msgs.Select(m => m.Metadata!.Value.NumPending).Should().Equal(2UL, 1UL, 0UL);
        msgs.Select(m => m.Metadata!.Value.Sequence.Consumer).Should().Equal(1UL, 2UL, 3UL);
    }

    [Fact]
    public async Task Metadata_ReplyIsTheServersAckSubject()
    {
        var (s, p) = Unique("MDREPLY");
        await StreamAsync(s, p);
        await PublishManyAsync($"{p}.a", 1);
        var c = await ConsumerAsync(s, "c");

        var m = (await FetchAsync(c, 1)).Single();

        var tokens = m.ReplyTo!.Split('.');
        tokens.Should().HaveCount(9, "S-89: $JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ns>.<pending>");
        tokens[..7].Should().Equal("$JS", "ACK", s, "c", "1", "1", "1");
        tokens[8].Should().Be("0");
        m.Subject.Should().Be($"{p}.a");
    }

    [Fact]
    public async Task Limits_MaxAge_RemovesOldMessages()
    {
        var (s, p) = Unique("MAXAGE");
        var stream = await StreamAsync(s, p, c => c.MaxAge = TimeSpan.FromSeconds(1));
        await PublishManyAsync($"{p}.a", 2);

        await T.LetTimePassAsync(TimeSpan.FromSeconds(2));
        var info = await T.EventuallyAsync(
            async () =>
            {
                await stream.RefreshAsync(Ct);
                return stream.Info;
            },
            i => i.State.Messages == 0);

        info.State.Messages.Should().Be(0);
        info.State.LastSeq.Should().Be(2);
    }

    [Fact]
    public async Task Limits_DuplicateWindowPassed_SameIdStoredAgain()
    {
        var (s, p) = Unique("DUPWIN");
        await StreamAsync(s, p, c => c.DuplicateWindow = TimeSpan.FromSeconds(1));
        var first = await Js.PublishAsync($"{p}.a", Bytes("x"), opts: new NatsJSPubOpts { MsgId = "same" }, cancellationToken: Ct);

        await T.LetTimePassAsync(TimeSpan.FromSeconds(2));
        var second = await Js.PublishAsync($"{p}.a", Bytes("x"), opts: new NatsJSPubOpts { MsgId = "same" }, cancellationToken: Ct);

        first.Seq.Should().Be(1);
        second.Duplicate.Should().BeFalse("the window has passed");
        second.Seq.Should().Be(2);
    }
}
