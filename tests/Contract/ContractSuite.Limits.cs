using FluentAssertions;
using NATS.Client.JetStream.Models;
using Xunit;

namespace Goflux.Contract.Tests;

/// <summary>Section 4 of JETSTREAM-SEMANTICS.md, limits (S-33 to S-37).</summary>
public abstract partial class ContractSuite
{
    [Fact]
    public async Task S33_MaxMsgsDiscardOld_KeepsNewest()
    {
        var (stream, prefix) = Unique("S33");
        await StreamAsync(stream, prefix, c => c.MaxMsgs = 3);
        for (var i = 1; i <= 5; i++)
        {
            (await B.PublishAsync(prefix + ".a", Bytes("m" + i))).Sequence.Should().Be((ulong)i);
        }

        var info = await B.GetStreamInfoAsync(stream);
        info.State.Messages.Should().Be(3);
        info.State.FirstSeq.Should().Be(3);
        info.State.LastSeq.Should().Be(5);

        await ConsumerAsync(stream, "c");
        var msgs = await B.FetchAsync(stream, "c", 10);
        msgs.Select(m => Text(m.Data)).Should().Equal("m3", "m4", "m5");
    }

    [Fact]
    public async Task S34_MaxBytesDiscardOld_MemoryBytesAreSubjectHeadersPayloadPlus16()
    {
        var (stream, prefix) = Unique("S34");
        var subject = prefix + ".a";
        var plain = subject.Length + 10 + 16;
        var header = new MessageHeaders().Add("X", "y"); // an 18-byte header block
        var withHeader = subject.Length + 18 + 10 + 16;
        await StreamAsync(stream, prefix, c => c.MaxBytes = (plain * 3) + 5);

        await B.PublishAsync(subject, new byte[10]);
        (await B.GetStreamInfoAsync(stream)).State.Bytes.Should().Be(plain);
        await B.PublishAsync(subject, new byte[10], header);
        (await B.GetStreamInfoAsync(stream)).State.Bytes.Should().Be(plain + withHeader);

        await B.PublishAsync(subject, new byte[10]);
        await B.PublishAsync(subject, new byte[10]);
        var info = await B.GetStreamInfoAsync(stream);
        info.State.LastSeq.Should().Be(4);
        info.State.Messages.Should().Be(2, "the oldest go until bytes <= max_bytes");
        info.State.FirstSeq.Should().Be(3);
        info.State.Bytes.Should().Be(2 * plain);
    }

    [Fact]
    public async Task S35_MaxAge_RemovesMessagesOnTime()
    {
        var (stream, prefix) = Unique("S35");
        await StreamAsync(stream, prefix, c => c.MaxAge = TimeSpan.FromSeconds(1));
        await PublishManyAsync(prefix + ".a", 2);
        await B.LetTimePassAsync(TimeSpan.FromMilliseconds(500));
        await B.PublishAsync(prefix + ".a", Bytes("young"));
        (await B.GetStreamInfoAsync(stream)).State.Messages.Should().Be(3, "nothing has reached max_age yet");

        await B.LetTimePassAsync(TimeSpan.FromMilliseconds(700));
        var info = await B.EventuallyAsync(() => B.GetStreamInfoAsync(stream), i => i.State.Messages == 1, TimeSpan.FromMilliseconds(250));
        info.State.Messages.Should().Be(1, "the first two are 1.2 s old, the third 0.7 s");
        info.State.FirstSeq.Should().Be(3);

        await B.LetTimePassAsync(TimeSpan.FromMilliseconds(500));
        info = await B.EventuallyAsync(() => B.GetStreamInfoAsync(stream), i => i.State.Messages == 0, TimeSpan.FromMilliseconds(250));
        info.State.Messages.Should().Be(0);
        info.State.LastSeq.Should().Be(3);
        info.State.FirstSeq.Should().Be(4);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task S36_MaxMsgsPerSubject_ReplacesOldest_UnderEitherDiscard(bool discardNew)
    {
        var (stream, prefix) = Unique("S36");
        await StreamAsync(stream, prefix, c =>
        {
            c.MaxMsgsPerSubject = 2;
            c.Discard = discardNew ? StreamConfigDiscard.New : StreamConfigDiscard.Old;
        });
        await PublishManyAsync(prefix + ".a", 3, "a");
        await PublishManyAsync(prefix + ".b", 1, "b");
        (await B.PublishAsync(prefix + ".A", Bytes("A1"))).Sequence.Should().Be(5);

        var info = await B.GetStreamInfoAsync(stream);
        info.State.Messages.Should().Be(4);
        info.State.FirstSeq.Should().Be(2);
        info.State.NumSubjects.Should().Be(3, "subjects are counted exactly, case-sensitively");

        await ConsumerAsync(stream, "c");
        (await B.FetchAsync(stream, "c", 10)).Select(m => Text(m.Data)).Should().Equal("a2", "a3", "b1", "A1");
    }

    [Fact]
    public async Task S36_DiscardNewPerSubject_RejectsAtSubjectLimit()
    {
        var (stream, prefix) = Unique("S36");
        await StreamAsync(stream, prefix, c =>
        {
            c.MaxMsgsPerSubject = 1;
            c.Discard = StreamConfigDiscard.New;
            c.DiscardNewPerSubject = true;
        });
        await B.PublishAsync(prefix + ".a", Bytes("1"));
        (await PublishFailureAsync(prefix + ".a")).ErrorCode.Should().Be(10077);
        (await B.PublishAsync(prefix + ".b", Bytes("2"))).Sequence.Should().Be(2, "the rejected publish consumed no sequence");
        (await B.GetStreamInfoAsync(stream)).State.Messages.Should().Be(2);
    }

    [Fact]
    public async Task S37_DiscardNew_MaxMsgs_RejectsUnlessSubjectReplaces()
    {
        var (stream, prefix) = Unique("S37");
        await StreamAsync(stream, prefix, c =>
        {
            c.MaxMsgs = 2;
            c.MaxMsgsPerSubject = 1;
            c.Discard = StreamConfigDiscard.New;
        });
        await B.PublishAsync(prefix + ".a", Bytes("a1"));
        await B.PublishAsync(prefix + ".b", Bytes("b1"));
        (await PublishFailureAsync(prefix + ".c")).ErrorCode.Should().Be(10077);
        (await B.PublishAsync(prefix + ".a", Bytes("a2"))).Sequence.Should().Be(3, "a subject at its per-subject limit replaces");

        var info = await B.GetStreamInfoAsync(stream);
        info.State.Messages.Should().Be(2);
        info.State.FirstSeq.Should().Be(2);
        info.State.LastSeq.Should().Be(3);
    }

    [Fact]
    public async Task S37_DiscardNew_MaxBytes_Rejects()
    {
        var (stream, prefix) = Unique("S37");
        await StreamAsync(stream, prefix, c =>
        {
            c.MaxBytes = 1000;
            c.Discard = StreamConfigDiscard.New;
        });
        await B.PublishAsync(prefix + ".a", new byte[600]);
        (await PublishFailureAsync(prefix + ".a", data: new byte[600])).ErrorCode.Should().Be(10077);
        (await B.PublishAsync(prefix + ".a", new byte[100])).Sequence.Should().Be(2);
        var info = await B.GetStreamInfoAsync(stream);
        info.State.Messages.Should().Be(2);
        info.State.LastSeq.Should().Be(2);
    }
}
