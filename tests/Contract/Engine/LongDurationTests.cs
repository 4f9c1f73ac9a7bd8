using System.Text;
using FluentAssertions;
using Goflux.InMemory;
using Microsoft.Extensions.Time.Testing;
using NATS.Client.JetStream.Models;
using Xunit;

namespace Goflux.Contract.Tests.Engine;

/// <summary>
/// Durations the server accepts that are beyond a .NET timer's range (about 49.7 days): the engine arms its timer in
/// steps, and a delay too long to represent means never. Nothing throws, nothing is stored twice.
/// </summary>
public sealed class LongDurationTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly byte[] Payload = Encoding.UTF8.GetBytes("x");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task MaxAge90Days_PublishSucceeds_MessageExpiresAfterNinetyDaysNotBefore()
    {
        var clock = new FakeTimeProvider(Start);
        await using var engine = new InMemoryJetStream(clock);
        await engine.CreateStreamAsync(new StreamConfig("S", ["s.>"]) { Storage = StreamConfigStorage.Memory, MaxAge = TimeSpan.FromDays(90) }, Ct);

        (await engine.PublishAsync("s.a", Payload, cancellationToken: Ct)).Sequence.Should().Be(1);
        await engine.AdvanceAsync(TimeSpan.FromDays(89), Ct);
        (await engine.GetStreamInfoAsync("S", Ct)).State.Messages.Should().Be(1);
        await engine.AdvanceAsync(TimeSpan.FromDays(1) + TimeSpan.FromSeconds(1), Ct);
        (await engine.GetStreamInfoAsync("S", Ct)).State.Messages.Should().Be(0, "max age ran out after 90 days (S-36)");
    }

    [Fact]
    public async Task AckWait60Days_RedeliveredAfterSixtyDaysNotBefore()
    {
        var clock = new FakeTimeProvider(Start);
        await using var engine = new InMemoryJetStream(clock);
        var consumer = await SetUpAsync(engine, c => c.AckWait = TimeSpan.FromDays(60));
        await engine.PublishAsync("s.a", Payload, cancellationToken: Ct);
        (await consumer.FetchAsync(1, cancellationToken: Ct)).Should().ContainSingle();

        await engine.AdvanceAsync(TimeSpan.FromDays(59), Ct);
        (await consumer.FetchAsync(1, cancellationToken: Ct)).Should().BeEmpty("the 60-day ack wait has not run out");
        await engine.AdvanceAsync(TimeSpan.FromDays(1) + TimeSpan.FromSeconds(1), Ct);
        var again = await consumer.FetchAsync(1, cancellationToken: Ct);
        again.Should().ContainSingle().Which.Metadata.NumDelivered.Should().Be(2);
        engine.Events.Should().Contain(e => e.Kind == InMemoryEventKind.AckWaitExpired && e.Time == Start + TimeSpan.FromDays(60) + TimeSpan.FromMilliseconds(1), "the check runs 1 ms after the ack wait (S-92)");
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(36525)]
    public async Task NakDelayBeyondTheTimerRange_NeitherThrowsNorRedeliversWithinAYear(int days)
    {
        var delay = days < 0 ? TimeSpan.MaxValue : TimeSpan.FromDays(days);
        var clock = new FakeTimeProvider(Start);
        await using var engine = new InMemoryJetStream(clock);
        var consumer = await SetUpAsync(engine, c => c.AckWait = TimeSpan.FromDays(30));
        await engine.PublishAsync("s.a", Payload, cancellationToken: Ct);
        var first = (await consumer.FetchAsync(1, cancellationToken: Ct)).Single();

        await first.NakAsync(delay, Ct);
        await engine.AdvanceAsync(TimeSpan.FromDays(365), Ct);

        (await consumer.FetchAsync(1, cancellationToken: Ct)).Should().BeEmpty();
        (await consumer.GetInfoAsync(Ct)).NumAckPending.Should().Be(1, "the message waits for its nak delay, still pending");
        await engine.PublishAsync("s.a", Payload, cancellationToken: Ct);
        (await consumer.FetchAsync(1, cancellationToken: Ct)).Should().ContainSingle().Which.Metadata.StreamSequence.Should().Be(2);
    }

    [Fact]
    public async Task NakDelayOfAHundredYears_RedeliveredWhenItRunsOut()
    {
        var clock = new FakeTimeProvider(Start);
        await using var engine = new InMemoryJetStream(clock);
        var consumer = await SetUpAsync(engine, c => c.AckWait = TimeSpan.FromDays(3650));
        await engine.PublishAsync("s.a", Payload, cancellationToken: Ct);
        var first = (await consumer.FetchAsync(1, cancellationToken: Ct)).Single();

        await first.NakAsync(TimeSpan.FromDays(36525), Ct);
        await engine.AdvanceAsync(TimeSpan.FromDays(36524), Ct);
        (await consumer.FetchAsync(1, cancellationToken: Ct)).Should().BeEmpty();
        await engine.AdvanceAsync(TimeSpan.FromDays(2), Ct);

        (await consumer.FetchAsync(1, cancellationToken: Ct)).Should().ContainSingle().Which.Metadata.NumDelivered.Should().Be(2);
        engine.Events.Should().Contain(e => e.Kind == InMemoryEventKind.NakDelayExpired && e.StreamSequence == 1);
    }

    [Fact]
    public async Task SystemClock_LongMaxAgeAckWaitAndNakDelays_NothingThrowsAndTheEngineStaysUsable()
    {
        await using var engine = new InMemoryJetStream(TimeProvider.System);
        await engine.CreateStreamAsync(new StreamConfig("S", ["s.>"]) { Storage = StreamConfigStorage.Memory, MaxAge = TimeSpan.FromDays(90) }, Ct);
        var consumer = await engine.CreateOrUpdateConsumerAsync("S", new ConsumerConfig("c") { AckWait = TimeSpan.FromDays(60) }, Ct);
        for (var i = 0; i < 3; i++)
        {
            await engine.PublishAsync("s.a", Payload, cancellationToken: Ct);
        }

        var got = await consumer.FetchAsync(3, cancellationToken: Ct);
        await got[0].NakAsync(TimeSpan.MaxValue, Ct);
        await got[1].NakAsync(TimeSpan.FromDays(36525), Ct);
        await got[2].InProgressAsync(Ct);

        var info = await consumer.GetInfoAsync(Ct);
        info.NumAckPending.Should().Be(3);
        (await engine.GetStreamInfoAsync("S", Ct)).State.Messages.Should().Be(3);
    }

    private static async Task<InMemoryConsumer> SetUpAsync(InMemoryJetStream engine, Action<ConsumerConfig> configure)
    {
        await engine.CreateStreamAsync(new StreamConfig("S", ["s.>"]) { Storage = StreamConfigStorage.Memory }, Ct);
        var config = new ConsumerConfig("c");
        configure(config);
        return await engine.CreateOrUpdateConsumerAsync("S", config, Ct);
    }
}
