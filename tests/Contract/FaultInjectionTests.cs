using FluentAssertions;
using Goflux.Codecs;
using Goflux.InMemory;
using Microsoft.Extensions.Time.Testing;
using NATS.Client.JetStream.Models;
using Xunit;

namespace Goflux.Contract.Tests;

/// <summary>
/// A lost publish acknowledgement on the in-memory engine: the same <see cref="PublishOutcome.Unknown"/> the JetStream
/// adapter reports when an acknowledgement times out, and what <see cref="RetryingPublisher{T}"/> makes of it with and
/// without a message id.
/// </summary>
public sealed class FaultInjectionTests
{
    private static readonly JsonCodec<Event> Codec = new(ContractJson.Default.Event);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task LoseNextPublishAck_MessageStoredButTheCallerLearnsTheOutcomeIsUnknown()
    {
        await using var engine = await EngineAsync();
        await using var publisher = new InMemoryPublisher<Event>(engine, Codec);
        engine.LoseNextPublishAck();

        var act = async () => await publisher.PublishAsync("orders.a", new Event("1", "lost ack"), cancellationToken: Ct);

        var thrown = (await act.Should().ThrowAsync<GofluxException>()).Which;
        thrown.PublishOutcome.Should().Be(PublishOutcome.Unknown);
        thrown.IsOutcomeUnknown.Should().BeTrue();
        (await engine.GetStreamInfoAsync("ORDERS", Ct)).State.Messages.Should().Be(1, "the message was stored; only its acknowledgement was lost");
    }

    [Fact]
    public async Task RetryingPublisher_UnknownOutcomeWithMessageIdAndDeduplication_StoredOnceRetryReportsTheDuplicate()
    {
        await using var engine = await EngineAsync();
        var inner = new InMemoryPublisher<Event>(engine, Codec, PublisherOptions.Default with { DeduplicateByMessageId = true });
        await using var publisher = new RetryingPublisher<Event>(inner, maxAttempts: 3, backoff: _ => TimeSpan.Zero);
        engine.LoseNextPublishAck();

        var result = await publisher.PublishAsync("orders.a", new Event("1", "once"), new PublishOptions { MessageId = "order-1" }, Ct);

        result.Should().Be(new PublishResult("ORDERS", 1, Duplicate: true));
        (await engine.GetStreamInfoAsync("ORDERS", Ct)).State.Messages.Should().Be(1);
    }

    [Fact]
    public async Task RetryingPublisher_UnknownOutcomeWithoutMessageId_StoresTheMessageTwice()
    {
        await using var engine = await EngineAsync();
        await using var publisher = new RetryingPublisher<Event>(new InMemoryPublisher<Event>(engine, Codec), maxAttempts: 3, backoff: _ => TimeSpan.Zero);
        engine.LoseNextPublishAck();

        var result = await publisher.PublishAsync("orders.a", new Event("1", "twice"), cancellationToken: Ct);

        result.Should().Be(new PublishResult("ORDERS", 2, Duplicate: false), "without an id the server cannot tell the retry from a new message");
        (await engine.GetStreamInfoAsync("ORDERS", Ct)).State.Messages.Should().Be(2);
    }

    private static async Task<InMemoryJetStream> EngineAsync()
    {
        var engine = new InMemoryJetStream(new FakeTimeProvider());
        await engine.CreateOrUpdateStreamAsync(new StreamConfig("ORDERS", ["orders.>"]), Ct);
        return engine;
    }
}
