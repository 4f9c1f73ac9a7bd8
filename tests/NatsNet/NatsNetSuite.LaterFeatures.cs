using FluentAssertions;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using Xunit;

namespace Goflux.NatsNet.Tests;

/// <summary>
/// Features of later servers that NATS.Net 3.3 can ask for: a 2.10.27 server takes the request and leaves the feature out,
/// and so does the engine (S-12's dropped fields; the version table's "no effect on 2.10").
/// </summary>
public abstract partial class NatsNetSuite
{
    [Fact]
    public async Task Later_StreamWithPerMessageTtlFields_CreatedWithoutThem()
    {
        var (s, p) = Unique("LTTL");

        var stream = await StreamAsync(s, p, c =>
        {
            c.AllowMsgTTL = true;
            c.SubjectDeleteMarkerTTL = TimeSpan.FromMinutes(1);
        });

        stream.Info.Config.AllowMsgTTL.Should().BeFalse("2.10 does not know allow_msg_ttl and drops it");
        stream.Info.Config.SubjectDeleteMarkerTTL.Should().Be(TimeSpan.Zero);
    }

    [Fact]
    public async Task Later_NatsTtlHeader_IsJustAHeader_TheMessageStays()
    {
        var (s, p) = Unique("LTTLH");
        var stream = await StreamAsync(s, p);

        await Js.PublishAsync($"{p}.a", Bytes("x"), headers: new NatsHeaders { ["Nats-TTL"] = "1s" }, cancellationToken: Ct);
        await T.LetTimePassAsync(TimeSpan.FromSeconds(2));
        await stream.RefreshAsync(Ct);
        var m = (await FetchNowAsync(await ConsumerAsync(s, "c"), 1)).Single();

        stream.Info.State.Messages.Should().Be(1, "2.10 has no per-message TTL");
        m.Headers!["Nats-TTL"].ToString().Should().Be("1s");
    }

    [Fact]
    public async Task Later_ExpectedLastSubjectSequenceSubject_HasNoEffect()
    {
        var (s, p) = Unique("LELSS");
        await StreamAsync(s, p);
        await Js.PublishAsync($"{p}.a", Bytes("a1"), cancellationToken: Ct);
        await Js.PublishAsync($"{p}.b", Bytes("b1"), cancellationToken: Ct);

        // With the 2.11 header the check would be against the last of ".b" (2); 2.10 checks the publish subject ".a" (1).
        var ack = await Js.PublishAsync($"{p}.a", Bytes("a2"), opts: new NatsJSPubOpts { ExpectedLastSubjectSequence = 1, ExpectedLastSubjectSequenceSubject = $"{p}.b" }, cancellationToken: Ct);

        ack.EnsureSuccess();
        ack.Seq.Should().Be(3);
    }
}
