using System.Text.Json;
using FluentAssertions;
using NATS.Client.Core;
using NATS.Client.JetStream;
using Xunit;

namespace Goflux.NatsNet.Tests;

/// <summary>Advisories on <c>$JS.EVENT.ADVISORY.&gt;</c> as a NATS.Net subscriber sees them (S-106 to S-109).</summary>
public abstract partial class NatsNetSuite
{
    [Fact]
    public async Task Advisories_Nak_Published()
    {
        var (s, p) = Unique("ADVNAK");
        await StreamAsync(s, p);
        await PublishManyAsync($"{p}.a", 1);
        var c = await ConsumerAsync(s, "c");
        await using var sub = await Client.Connection.SubscribeCoreAsync<byte[]>($"$JS.EVENT.ADVISORY.CONSUMER.MSG_NAKED.{s}.c", cancellationToken: Ct);
        await Client.PingAsync(Ct);

        await (await FetchAsync(c, 1)).Single().NakAsync(Double, Ct);
        var a = await ReadAdvisoryAsync(sub);

        a.GetProperty("type").GetString().Should().Be("io.nats.jetstream.advisory.v1.nak");
        a.GetProperty("stream").GetString().Should().Be(s);
        a.GetProperty("consumer").GetString().Should().Be("c");
        a.GetProperty("stream_seq").GetUInt64().Should().Be(1);
        a.GetProperty("consumer_seq").GetUInt64().Should().Be(1);
        a.GetProperty("deliveries").GetUInt64().Should().Be(1);
        a.GetProperty("id").GetString().Should().NotBeNullOrEmpty();
        a.GetProperty("timestamp").GetDateTimeOffset().Should().NotBe(default);
    }

    [Fact]
    public async Task Advisories_ConsumerCreatedAndDeleted()
    {
        var (s, p) = Unique("ADVCONS");
        await StreamAsync(s, p);
        await using var sub = await Client.Connection.SubscribeCoreAsync<byte[]>($"$JS.EVENT.ADVISORY.CONSUMER.*.{s}.*", cancellationToken: Ct);
        await Client.PingAsync(Ct);

        await ConsumerAsync(s, "c");
        await Js.DeleteConsumerAsync(s, "c", Ct);
        var created = await ReadAdvisoryAsync(sub);
        var deleted = await ReadAdvisoryAsync(sub);

        created.GetProperty("type").GetString().Should().Be("io.nats.jetstream.advisory.v1.consumer_action");
        created.GetProperty("action").GetString().Should().Be("create");
        created.GetProperty("consumer").GetString().Should().Be("c");
        deleted.GetProperty("action").GetString().Should().Be("delete");
    }

    [Fact]
    public async Task Advisories_StreamCreatedAndDeleted()
    {
        var (s, p) = Unique("ADVSTREAM");
        await using var sub = await Client.Connection.SubscribeCoreAsync<byte[]>($"$JS.EVENT.ADVISORY.STREAM.*.{s}", cancellationToken: Ct);
        await Client.PingAsync(Ct);

        await StreamAsync(s, p);
        await Js.DeleteStreamAsync(s, Ct);
        var created = await ReadAdvisoryAsync(sub);
        var deleted = await ReadAdvisoryAsync(sub);

        created.GetProperty("type").GetString().Should().Be("io.nats.jetstream.advisory.v1.stream_action");
        created.GetProperty("stream").GetString().Should().Be(s);
        created.GetProperty("action").GetString().Should().Be("create");
        deleted.GetProperty("action").GetString().Should().Be("delete");
    }

    /// <summary>Reads the next advisory of <paramref name="sub"/> (engine: already there once flushed; server: waits).</summary>
    protected async Task<JsonElement> ReadAdvisoryAsync(INatsSub<byte[]> sub)
    {
        NatsMsg<byte[]>? got = null;
        await T.EventuallyAsync(
            () =>
            {
                if (got is null && sub.Msgs.TryRead(out var m))
                {
                    got = m;
                }

                return Task.FromResult(got);
            },
            m => m is not null);
        got.Should().NotBeNull($"an advisory on {sub.Subject}");
        using var doc = JsonDocument.Parse(got!.Value.Data!);
        return doc.RootElement.Clone();
    }
}
