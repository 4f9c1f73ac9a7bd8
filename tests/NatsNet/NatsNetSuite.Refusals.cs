using System.Text;
using System.Text.Json;
using FluentAssertions;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using Xunit;

namespace Goflux.NatsNet.Tests;

/// <summary>
/// Requests a 2.10.27 server refuses: cluster operations on a single server, requests whose subject and body disagree,
/// subjects nobody listens on. (APIs of later servers it leaves unanswered: see <c>EngineRefusalTests</c>.)
/// </summary>
public abstract partial class NatsNetSuite
{
    [Fact]
    public async Task Refusals_LeaderStepdownOnOneServer_ClusterRequired10010()
    {
        var (s, p) = Unique("RSTEP");
        await StreamAsync(s, p);
        await ConsumerAsync(s, "c");

        var stream = await ApiAsync($"$JS.API.STREAM.LEADER.STEPDOWN.{s}");
        var consumer = await ApiAsync($"$JS.API.CONSUMER.LEADER.STEPDOWN.{s}.c");

        stream.GetProperty("error").GetProperty("err_code").GetInt32().Should().Be(10010);
        stream.GetProperty("error").GetProperty("code").GetInt32().Should().Be(503);
        consumer.GetProperty("error").GetProperty("err_code").GetInt32().Should().Be(10010);
    }

    [Fact]
    public async Task Refusals_StreamCreateWithBadJson_InvalidJson10025()
    {
        var (s, _) = Unique("RJSON");

        var answer = await ApiAsync($"$JS.API.STREAM.CREATE.{s}", "{not json");
        var mismatch = await ApiAsync($"$JS.API.STREAM.CREATE.{s}", $$"""{"name":"OTHER","subjects":["x.y"]}""");

        answer.GetProperty("type").GetString().Should().Be("io.nats.jetstream.api.v1.stream_create_response");
        answer.GetProperty("error").GetProperty("err_code").GetInt32().Should().Be(10025);
        mismatch.GetProperty("error").GetProperty("err_code").GetInt32().Should().Be(10056);
    }

    [Fact]
    public async Task Refusals_ConsumerCreateSubjectAndRequestDisagree()
    {
        var (s, p) = Unique("RCCS");
        await StreamAsync(s, p);

        var otherStream = await ApiAsync($"$JS.API.CONSUMER.CREATE.{s}.c", """{"stream_name":"OTHER","config":{"name":"c","ack_policy":"explicit"}}""");
        var durableMismatch = await ApiAsync($"$JS.API.CONSUMER.CREATE.{s}.c", $$$"""{"stream_name":"{{{s}}}","config":{"durable_name":"d","ack_policy":"explicit"}}""");
        var ephemeralWithDurable = await ApiAsync($"$JS.API.CONSUMER.CREATE.{s}", $$$"""{"stream_name":"{{{s}}}","config":{"durable_name":"d","ack_policy":"explicit"}}""");
        var filterMismatch = await ApiAsync($"$JS.API.CONSUMER.CREATE.{s}.c.{p}.a", $$$"""{"stream_name":"{{{s}}}","config":{"name":"c","filter_subject":"{{{p}}}.b","ack_policy":"explicit"}}""");

        otherStream.GetProperty("error").GetProperty("err_code").GetInt32().Should().Be(10056);
        durableMismatch.GetProperty("error").GetProperty("err_code").GetInt32().Should().Be(10017);
        ephemeralWithDurable.GetProperty("error").GetProperty("err_code").GetInt32().Should().Be(10020);
        filterMismatch.GetProperty("error").GetProperty("err_code").GetInt32().Should().Be(10131);
    }

    [Fact]
    public async Task Refusals_PullRequestOnMissingConsumer_NoResponders()
    {
        var (s, p) = Unique("RNEXT");
        await StreamAsync(s, p);

        var act = async () => await Client.RequestAsync<byte[], byte[]>($"$JS.API.CONSUMER.MSG.NEXT.{s}.nobody", Encoding.UTF8.GetBytes("""{"batch":1,"no_wait":true}"""), cancellationToken: Ct);

        await act.Should().ThrowAsync<NATS.Client.Core.NatsNoRespondersException>("a consumer that does not exist has no pull request subscription");
    }

    [Fact]
    public async Task Refusals_DirectGetWithoutAllowDirect_NoResponders()
    {
        var (s, p) = Unique("RDIRECT");
        var stream = await StreamAsync(s, p);
        await PublishManyAsync($"{p}.a", 1);

        var act = async () => await stream.GetDirectAsync<string>(new StreamMsgGetRequest { Seq = 1 }, cancellationToken: Ct);

        await act.Should().ThrowAsync<NATS.Client.Core.NatsNoRespondersException>("only a stream with allow_direct listens on DIRECT.GET");
    }

    /// <summary>A raw JetStream API request; the answer's JSON.</summary>
    protected async Task<JsonElement> ApiAsync(string subject, string? body = null)
    {
        var reply = await Client.RequestAsync<byte[], byte[]>(subject, body is null ? [] : Encoding.UTF8.GetBytes(body), cancellationToken: Ct);
        using var doc = JsonDocument.Parse(reply.Data!);
        return doc.RootElement.Clone();
    }
}
