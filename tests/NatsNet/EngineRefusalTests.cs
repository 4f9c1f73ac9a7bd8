using System.Text;
using System.Text.Json;
using FluentAssertions;
using Goflux.InMemory;
using Microsoft.Extensions.Time.Testing;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using NATS.Net;
using Xunit;

namespace Goflux.NatsNet.Tests;

/// <summary>
/// What the engine does not model fails fast through NATS.Net, with a message naming the feature: one test per refused
/// family. Each call runs under a short guard, so a refusal that hung would fail here rather than wait.
/// </summary>
public sealed class EngineRefusalTests : IAsyncLifetime
{
    private static readonly TimeSpan FailFast = TimeSpan.FromSeconds(4); // under NATS.Net's 5 s request timeout
    private InMemoryJetStream _engine = null!;
    private NatsClient _client = null!;
    private INatsJSContext _js = null!;

    public async ValueTask InitializeAsync()
    {
        _engine = new InMemoryJetStream(new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero)));
        _client = _engine.CreateClient();
        _js = _client.CreateJetStreamContext();
        await _js.CreateStreamAsync(new StreamConfig("R", ["r.>"]) { Storage = StreamConfigStorage.Memory, AllowDirect = true }, Guard());
        await _js.CreateOrUpdateConsumerAsync("R", new ConsumerConfig("c"), Guard());
        await _js.PublishAsync("r.a", "one", cancellationToken: Guard());
    }

    public async ValueTask DisposeAsync()
    {
        await _client.DisposeAsync();
        await _engine.DisposeAsync();
    }

    [Fact]
    public async Task LaterServerApis_PauseResumeUnpinReset_BadRequestNamingTheApi()
    {
        var pause = await Refused(() => _js.PauseConsumerAsync("R", "c", DateTimeOffset.UnixEpoch.AddYears(100), Guard()).AsTask());
        var resume = await Refused(() => _js.ResumeConsumerAsync("R", "c", Guard()).AsTask());
        var unpin = await Refused(() => _js.UnpinConsumerAsync("R", "c", "g", Guard()).AsTask());
        var reset = await Refused(() => _js.ResetConsumerAsync("R", "c", 0, Guard()).AsTask());

        foreach (var e in new[] { pause, resume, unpin, reset })
        {
            e.ErrCode.Should().Be(10003);
            e.Description.Should().Contain("nats-server 2.1").And.Contain("2.10.27");
        }

        pause.Description.Should().Contain("consumer pause");
        unpin.Description.Should().Contain("unpin");
        reset.Description.Should().Contain("consumer reset");
    }

    [Fact]
    public async Task UnknownApiSubject_BadRequestAtOnce()
    {
        var answer = await ApiAsync("$JS.API.STREAM.FROBNICATE.R");

        answer.GetProperty("error").GetProperty("err_code").GetInt32().Should().Be(10003);
        answer.GetProperty("error").GetProperty("description").GetString().Should().Contain("$JS.API.STREAM.FROBNICATE.R");
    }

    [Fact]
    public async Task MirrorsSourcesTransformsRepublish_RefusedNamingTheFeature()
    {
        var mirror = await Refused(() => _js.CreateStreamAsync(new StreamConfig("M", []) { Storage = StreamConfigStorage.Memory, Mirror = new StreamSource { Name = "R" } }, Guard()).AsTask());
        var sources = await Refused(() => _js.CreateStreamAsync(new StreamConfig("S", ["s.>"]) { Storage = StreamConfigStorage.Memory, Sources = [new StreamSource { Name = "R" }] }, Guard()).AsTask());
        var republish = await Refused(() => _js.CreateStreamAsync(new StreamConfig("P", ["p.>"]) { Storage = StreamConfigStorage.Memory, Republish = new Republish { Src = ">", Dest = "out.>" } }, Guard()).AsTask());

        mirror.Description.Should().Contain("mirrors");
        sources.Description.Should().Contain("sourced streams");
        republish.Description.Should().Contain("republishing");
        new[] { mirror, sources, republish }.Select(e => e.Code).Should().AllBeEquivalentTo(501);
    }

    [Fact]
    public async Task SnapshotRestoreTemplates_RefusedNamingTheFeature()
    {
        var snapshot = await ApiAsync("$JS.API.STREAM.SNAPSHOT.R", """{"deliver_subject":"snap.x"}""");
        var restore = await ApiAsync("$JS.API.STREAM.RESTORE.R", """{"config":{"name":"R"}}""");
        var template = await ApiAsync("$JS.API.STREAM.TEMPLATE.NAMES");

        snapshot.GetProperty("error").GetProperty("description").GetString().Should().Contain("stream snapshots");
        restore.GetProperty("error").GetProperty("description").GetString().Should().Contain("stream restores");
        template.GetProperty("error").GetProperty("description").GetString().Should().Contain("stream templates");
        snapshot.GetProperty("error").GetProperty("code").GetInt32().Should().Be(501);
    }

    [Fact]
    public async Task SystemAccountApis_RefusedInsteadOfLeftUnanswered()
    {
        var stepdown = await ApiAsync("$JS.API.META.LEADER.STEPDOWN");
        var remove = await ApiAsync("$JS.API.SERVER.REMOVE");
        var purge = await ApiAsync("$JS.API.ACCOUNT.PURGE.X");

        foreach (var a in new[] { stepdown, remove, purge })
        {
            a.GetProperty("error").GetProperty("description").GetString().Should().Contain("system account requests");
        }
    }

    [Fact]
    public async Task HeaderTheEngineCannotStore_PublishFailsNamingTheHeader()
    {
        // Two names differing only in case: NATS.Net keeps both only with case-sensitive headers.
        await using var client = _engine.CreateClient(NatsOpts.Default with { CaseSensitiveHeaders = true });
        var js = client.CreateJetStreamContext();
        var headers = new NatsHeaders(new Dictionary<string, Microsoft.Extensions.Primitives.StringValues>(StringComparer.Ordinal) { ["X-Key"] = "1", ["x-key"] = "2" });

        var ack = await js.PublishAsync("r.b", "two", headers: headers, cancellationToken: Guard());

        ack.Error!.Code.Should().Be(501);
        ack.Error.Description.Should().Contain("cannot store header");
    }

    private static CancellationToken Guard()
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(FailFast);
        return cts.Token;
    }

    private static async Task<ApiError> Refused(Func<Task> call)
    {
        var e = await call.Should().ThrowAsync<NatsJSApiException>();
        return e.Which.Error;
    }

    private async Task<JsonElement> ApiAsync(string subject, string? body = null)
    {
        var reply = await _client.RequestAsync<byte[], byte[]>(subject, body is null ? [] : Encoding.UTF8.GetBytes(body), cancellationToken: Guard());
        using var doc = JsonDocument.Parse(reply.Data!);
        return doc.RootElement.Clone();
    }
}
