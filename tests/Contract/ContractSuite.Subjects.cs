using FluentAssertions;
using NATS.Client.JetStream.Models;
using Xunit;

namespace Goflux.Contract.Tests;

/// <summary>Section 1 of JETSTREAM-SEMANTICS.md: subjects and names (S-01 to S-08).</summary>
public abstract partial class ContractSuite
{
    [Theory]
    [InlineData("{0}..b")]
    [InlineData(".{0}")]
    [InlineData("{0}.")]
    [InlineData("{0}.a b")]
    [InlineData("{0}.a\tb")]
    public async Task S01_InvalidTokens_RejectStreamSubjects(string pattern)
    {
        var (stream, prefix) = Unique("S01");
        var subject = string.Format(System.Globalization.CultureInfo.InvariantCulture, pattern, prefix);
        var error = await ApiErrorAsync(() => B.CreateStreamAsync(new StreamConfig(stream, [subject]) { Storage = StreamConfigStorage.Memory }));
        error.Should().Be(10052);
    }

    [Fact]
    public async Task S01_SubjectsAreCaseSensitive()
    {
        var (stream, prefix) = Unique("S01");
        await B.CreateStreamAsync(new StreamConfig(stream, [prefix + ".abc"]) { Storage = StreamConfigStorage.Memory });
        (await B.PublishAsync(prefix + ".abc", Bytes("x"))).Sequence.Should().Be(1);
        var miss = await PublishFailureAsync(prefix + ".ABC");
        miss.ErrorCode.Should().BeNull("no stream captures a subject that differs only in case");
    }

    [Fact]
    public async Task S02_Wildcards_MatchWholeTokensOnly()
    {
        var (stream, prefix) = Unique("S02");
        await B.CreateStreamAsync(new StreamConfig(stream, [prefix + ".one.*", prefix + ".many.>", prefix + ".lit.a*"]) { Storage = StreamConfigStorage.Memory });

        (await B.PublishAsync(prefix + ".one.x", Bytes("1"))).Sequence.Should().Be(1);
        (await B.PublishAsync(prefix + ".many.x.y.z", Bytes("2"))).Sequence.Should().Be(2);
        (await B.PublishAsync(prefix + ".lit.a*", Bytes("3"))).Sequence.Should().Be(3, "'a*' is a literal token, not a wildcard");

        (await PublishFailureAsync(prefix + ".one.x.y")).ErrorCode.Should().BeNull("'*' matches exactly one token");
        (await PublishFailureAsync(prefix + ".many")).ErrorCode.Should().BeNull("'>' needs at least one token");
        (await PublishFailureAsync(prefix + ".lit.ab")).ErrorCode.Should().BeNull("'a*' does not match 'ab'");

        (await B.GetStreamInfoAsync(stream)).State.Messages.Should().Be(3);
    }

    [Fact]
    public async Task S02_FullWildcardOnlyLast_OtherwiseInvalid()
    {
        var (stream, prefix) = Unique("S02");
        (await ApiErrorAsync(() => B.CreateStreamAsync(new StreamConfig(stream, [prefix + ".>.b"]) { Storage = StreamConfigStorage.Memory })))
            .Should().Be(10052);
    }

    [Fact]
    public async Task S04_SubjectList_DuplicatesOverlapsAndApi_Rejected()
    {
        var (stream, prefix) = Unique("S04");
        (await ApiErrorAsync(() => B.CreateStreamAsync(new StreamConfig(stream, [prefix + ".a", prefix + ".a"]) { Storage = StreamConfigStorage.Memory })))
            .Should().Be(10052, "duplicate subjects");
        (await ApiErrorAsync(() => B.CreateStreamAsync(new StreamConfig(stream, [prefix + ".*", prefix + ".b"]) { Storage = StreamConfigStorage.Memory })))
            .Should().Be(10052, "two entries that collide");
        (await ApiErrorAsync(() => B.CreateStreamAsync(new StreamConfig(stream, ["$JS.API.STREAM.INFO.x"]) { Storage = StreamConfigStorage.Memory })))
            .Should().Be(10052, "subjects inside $JS.API.>");

        await B.CreateStreamAsync(new StreamConfig(stream, [prefix + ".a"]) { Storage = StreamConfigStorage.Memory });
        (await ApiErrorAsync(() => B.UpdateStreamAsync(new StreamConfig(stream, [prefix + ".a", prefix + ".a"]) { Storage = StreamConfigStorage.Memory })))
            .Should().Be(10052, "update is validated too");
    }

    [Fact]
    public async Task S04_OmittedSubjects_DefaultToStreamName()
    {
        var (stream, _) = Unique("S04");
        var info = await B.CreateStreamAsync(new StreamConfig { Name = stream, Storage = StreamConfigStorage.Memory });
        info.Config.Subjects.Should().Equal(stream);
        (await B.PublishAsync(stream, Bytes("x"))).Should().Be(new PublishResult(stream, 1, false));
    }

    [Theory]
    [InlineData("a.*", "a.b", true)]
    [InlineData("a.*.c", "a.b.*", true)]
    [InlineData("a.>", "a", false)]
    [InlineData("a.*", "a.b.c", false)]
    public async Task S05_CrossStreamOverlap_Rejected10065(string first, string second, bool collide)
    {
        var (s1, prefix) = Unique("S05");
        var s2 = s1 + "_two";
        await B.CreateStreamAsync(new StreamConfig(s1, [prefix + "." + first]) { Storage = StreamConfigStorage.Memory });
        var create = () => B.CreateStreamAsync(new StreamConfig(s2, [prefix + "." + second]) { Storage = StreamConfigStorage.Memory });
        if (collide)
        {
            (await ApiErrorAsync(create)).Should().Be(10065);
        }
        else
        {
            (await create()).Config.Name.Should().Be(s2);
        }
    }

    [Fact]
    public async Task S05_UpdateOverlap_Rejected_ButNotAgainstItself()
    {
        var (s1, prefix) = Unique("S05");
        var s2 = s1 + "_two";
        await B.CreateStreamAsync(new StreamConfig(s1, [prefix + ".a.>"]) { Storage = StreamConfigStorage.Memory });
        await B.CreateStreamAsync(new StreamConfig(s2, [prefix + ".b.>"]) { Storage = StreamConfigStorage.Memory });

        (await ApiErrorAsync(() => B.UpdateStreamAsync(new StreamConfig(s2, [prefix + ".b.>", prefix + ".a.x"]) { Storage = StreamConfigStorage.Memory })))
            .Should().Be(10065);
        var updated = await B.UpdateStreamAsync(new StreamConfig(s1, [prefix + ".a.*", prefix + ".c"]) { Storage = StreamConfigStorage.Memory });
        updated.Config.Subjects.Should().Equal(prefix + ".a.*", prefix + ".c");
    }

    [Fact]
    public async Task S06_StreamNames_PathSeparatorsAndLength()
    {
        var (stream, prefix) = Unique("S06");
        (await ApiErrorAsync(() => B.CreateStreamAsync(new StreamConfig(stream + "/x", [prefix + ".a"]) { Storage = StreamConfigStorage.Memory })))
            .Should().Be(10128);
        (await ApiErrorAsync(() => B.CreateStreamAsync(new StreamConfig(stream + "\\x", [prefix + ".b"]) { Storage = StreamConfigStorage.Memory })))
            .Should().Be(10128);
        (await ApiErrorAsync(() => B.CreateStreamAsync(new StreamConfig(stream + new string('x', 256 - stream.Length), [prefix + ".c"]) { Storage = StreamConfigStorage.Memory })))
            .Should().Be(10052, "names longer than 255 bytes");
        (await ApiErrorAsync(() => B.CreateStreamAsync(new StreamConfig(stream + "*", [prefix + ".e"]) { Storage = StreamConfigStorage.Memory })))
            .Should().Be(10052, "'*' in a name");
        (await ApiErrorAsync(() => B.CreateStreamAsync(new StreamConfig(stream + ">", [prefix + ".f"]) { Storage = StreamConfigStorage.Memory })))
            .Should().Be(10052, "'>' in a name");
        var ok = await B.CreateStreamAsync(new StreamConfig(stream + new string('x', 255 - stream.Length), [prefix + ".d"]) { Storage = StreamConfigStorage.Memory });
        ok.Config.Name.Should().HaveLength(255);
    }

    [Fact]
    public async Task S07_ConsumerNames_Validated()
    {
        var (stream, prefix) = Unique("S07");
        await StreamAsync(stream, prefix);
        (await ApiErrorAsync(() => B.CreateOrUpdateConsumerAsync(stream, new ConsumerConfig("a/b") { AckPolicy = ConsumerConfigAckPolicy.Explicit })))
            .Should().Be(10127);
        (await ApiErrorAsync(() => B.CreateOrUpdateConsumerAsync(stream, new ConsumerConfig(new string('c', 256)) { AckPolicy = ConsumerConfigAckPolicy.Explicit })))
            .Should().Be(10102);
        // Server correction: NATS.Net puts the name in the API subject, so the server answers 10017 (durable name does
        // not match the subject) before it could answer 10132.
        (await ApiErrorAsync(() => B.CreateOrUpdateConsumerAsync(stream, new ConsumerConfig("one") { Name = "two", AckPolicy = ConsumerConfigAckPolicy.Explicit })))
            .Should().Be(10017);
        (await B.CreateOrUpdateConsumerAsync(stream, new ConsumerConfig(new string('c', 255)) { AckPolicy = ConsumerConfigAckPolicy.Explicit }))
            .Name.Should().HaveLength(255);
    }

    [Fact]
    public async Task S08_RecognisedHeaders_AreCaseSensitive()
    {
        var (stream, prefix) = Unique("S08");
        await StreamAsync(stream, prefix);
        var lower = new MessageHeaders().Add("nats-msg-id", "same").Add("nats-expected-stream", "not-this-stream");
        (await B.PublishAsync(prefix + ".a", Bytes("1"), lower)).Should().Be(new PublishResult(stream, 1, false));
        (await B.PublishAsync(prefix + ".a", Bytes("2"), lower)).Should().Be(new PublishResult(stream, 2, false), "a lower-case id is not a Nats-Msg-Id");

        var exact = new MessageHeaders().Add("Nats-Msg-Id", "same");
        (await B.PublishAsync(prefix + ".a", Bytes("3"), exact)).Should().Be(new PublishResult(stream, 3, false));
        (await B.PublishAsync(prefix + ".a", Bytes("4"), exact)).Should().Be(new PublishResult(stream, 3, true));
    }

    [Fact]
    public async Task S08_Headers211_AreOrdinaryHeadersOn210()
    {
        var (stream, prefix) = Unique("S08");
        await StreamAsync(stream, prefix);
        await B.PublishAsync(prefix + ".other", Bytes("1"));

        // On 2.11 the check would use the wildcard subject and fail; on 2.10 it uses the exact subject (none yet).
        var headers = new MessageHeaders()
            .Add("Nats-Expected-Last-Subject-Sequence", "0")
            .Add("Nats-Expected-Last-Subject-Sequence-Subject", prefix + ".>")
            .Add("Nats-TTL", "1s");
        (await B.PublishAsync(prefix + ".a", Bytes("2"), headers)).Sequence.Should().Be(2);
        await ConsumerAsync(stream, "c", c => c.FilterSubject = prefix + ".a");
        var msg = (await B.FetchAsync(stream, "c", 1)).Should().ContainSingle().Subject;
        msg.Headers!["Nats-TTL"].Should().Be("1s");
    }

    /// <summary>Runs a management call that must fail and returns the JetStream error code.</summary>
    private static async Task<int?> ApiErrorAsync(Func<Task> act)
    {
        var thrown = await act.Should().ThrowAsync<GofluxException>();
        return thrown.Which.ErrorCode;
    }

    /// <summary>Publishes a message that must be rejected and returns the exception.</summary>
    private async Task<GofluxException> PublishFailureAsync(string subject, MessageHeaders? headers = null, byte[]? data = null)
    {
        var thrown = await FluentActions.Awaiting(() => B.PublishAsync(subject, data ?? Bytes("x"), headers)).Should().ThrowAsync<GofluxException>();
        thrown.Which.Stage.Should().Be(GofluxStage.Publish);
        return thrown.Which;
    }
}
