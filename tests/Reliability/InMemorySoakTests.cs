using System.Collections.Concurrent;
using System.Globalization;
using FluentAssertions;
using Goflux.InMemory;
using Goflux.Reliability.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;
using NATS.Client.JetStream.Models;

namespace Goflux.Reliability.Tests;

/// <summary>
/// The in-memory engine under load: every delivery is settled at random (ack, nak, nak with delay, term, throw, ignore)
/// by two subscriptions on one consumer (one auto-ack, one manual), MaxDeliver 5, while a publisher adds messages and
/// another task moves the <see cref="FakeTimeProvider"/> forward concurrently. The test keeps its own ledger of every
/// delivery and settlement and checks it against the consumer's counters and advisories.
/// </summary>
public sealed class InMemorySoakTests
{
    private const string SeedVariable = "GOFLUX_SOAK_SEED";
    private const int MaxDeliver = 5;
    private static readonly TimeSpan AckWait = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(10);

    [Fact]
    public async Task Soak_RandomSettlementMaxDeliver5ClockMovedConcurrently_NothingLostNothingSettledTwiceCountersMatchLedger()
    {
        var seed = Environment.GetEnvironmentVariable(SeedVariable) is { Length: > 0 } s ? int.Parse(s, CultureInfo.InvariantCulture) : 20261128;
        var count = Scale.Of(1_000_000, 20_000);
        var ct = TestContext.Current.CancellationToken;
        var repro = $"(seed {seed}, {count:N0} messages; reproduce with {SeedVariable}={seed} {Scale.Variable}={Scale.Factor.ToString(CultureInfo.InvariantCulture)})";

        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        await using var engine = new InMemoryJetStream(new InMemoryJetStreamOptions { TimeProvider = clock, RecordEvents = false });
        var advisories = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        var exhaustedBySeq = new ConcurrentDictionary<long, int>();
        engine.AdvisoryRaised += (_, a) =>
        {
            advisories.AddOrUpdate(a.Type, 1, (_, n) => n + 1);
            if (a.Type == JetStreamAdvisory.MaxDeliverType)
            {
                exhaustedBySeq.AddOrUpdate((long)a.StreamSequence!.Value, 1, (_, n) => n + 1);
            }
        };

        await engine.CreateOrUpdateStreamAsync(new StreamConfig("SOAK", ["soak.>"]), ct);
        var consumer = await engine.CreateOrUpdateConsumerAsync(
            "SOAK",
            new ConsumerConfig("soak") { AckPolicy = ConsumerConfigAckPolicy.Explicit, AckWait = AckWait, MaxDeliver = MaxDeliver },
            ct);

        var ledger = new SoakLedger(count, seed, consumer);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var options = SubscriberOptions.Default with { EnableTelemetry = false, TimeProvider = clock };
        await using var auto = new InMemorySubscriber<long>(consumer, Int64Codec.Instance, options with { MaxMessages = 64 });
        await using var manual = new InMemorySubscriber<long>(consumer, Int64Codec.Instance, options with { ManualAck = true, MaxMessages = 1 });
        var autoRun = auto.SubscribeAsync("soak.>", (m, _) => ledger.HandleAsync(m, manual: false), stop.Token);
        var manualRun = manual.SubscribeAsync("soak.>", (m, _) => ledger.HandleAsync(m, manual: true), stop.Token);

        var publishing = Task.Run(
            async () =>
            {
                await using var publisher = new InMemoryPublisher<long>(engine, Int64Codec.Instance, PublisherOptions.Default with { EnableTelemetry = false, TimeProvider = clock });
                for (long i = 1; i <= count; i++)
                {
                    await publisher.PublishAsync("soak.m", i, cancellationToken: stop.Token);
                }
            },
            ct);

        // Moves the clock while publishes, deliveries and settlements happen: a step of up to 1 s (seeded) whenever the
        // subscribers made progress or went idle, so ack waits and nak delays expire in the middle of everything.
        var advancing = Task.Run(
            async () =>
            {
                var random = new Random(seed);
                long seen = 0;
                while (!ledger.AllResolved.IsCompleted && !stop.IsCancellationRequested)
                {
                    var handled = ledger.Deliveries;
                    if (handled - seen >= 32 || engine.InFlight == 0)
                    {
                        clock.Advance(TimeSpan.FromMilliseconds(random.Next(0, 1000)));
                        seen = handled;
                    }

                    await Task.Yield();
                }
            },
            ct);

        var finished = await Task.WhenAny(
            ledger.AllResolved,
            FailedOnly(autoRun),
            FailedOnly(manualRun),
            FailedOnly(publishing),
            FailedOnly(advancing),
            Task.Delay(RunTimeout, TimeProvider.System, ct));
        if (finished != ledger.AllResolved)
        {
            await stop.CancelAsync();
            var why = finished.IsFaulted ? finished.Exception!.GetBaseException().ToString() : $"not done after {RunTimeout.TotalMinutes:0} min";
            throw new Xunit.Sdk.XunitException($"The soak did not resolve every message {repro}: {ledger.Resolved:N0} of {count:N0} resolved; {why}. Violations: {ledger.Describe()}");
        }

        await Poll.WithinAsync(_ => publishing, TimeSpan.FromSeconds(30), "the publisher", ct);
        await Poll.WithinAsync(_ => advancing, TimeSpan.FromSeconds(30), "the clock task", ct);

        // Let every ack wait and nak delay run out with the pulls still open, so exhaustion is detected (S-96) and the
        // ack floor moves past exhausted messages once nothing is pending (S-97).
        for (var i = 0; i < 4; i++)
        {
            await engine.AdvanceAsync(AckWait + TimeSpan.FromSeconds(5), ct);
        }

        var info = await consumer.GetInfoAsync(ct);
        var stream = await engine.GetStreamInfoAsync("SOAK", ct);
        await stop.CancelAsync();
        await Poll.WithinAsync(_ => Task.WhenAll(autoRun, manualRun), TimeSpan.FromSeconds(30), "both subscriptions stopping", ct);

        var exhausted = ledger.Exhausted;
        Figures.Add(new FigureRow(
            "in-memory soak (random settlement, MaxDeliver 5, clock moved concurrently)",
            count,
            ledger.Lost,
            ledger.Deliveries - count,
            null,
            null,
            $"seed {seed}; duplicates are redeliveries: {ledger.Deliveries:N0} deliveries, {ledger.Acked:N0} acked, {ledger.Termed:N0} termed, {exhausted:N0} exhausted; double-settled {ledger.ViolationCount}"));

        ledger.ViolationCount.Should().Be(0, $"no message may be delivered twice with the same count, past MaxDeliver, or after it was acked/termed {repro}: {ledger.Describe()}");
        ledger.Lost.Should().Be(0, $"every message ends acked, termed or exhausted {repro}");
        (ledger.Acked + ledger.Termed + exhausted).Should().Be(count, repro);
        info.Delivered.StreamSeq.Should().Be((ulong)count, repro);
        info.Delivered.ConsumerSeq.Should().Be((ulong)ledger.Deliveries, $"the consumer counts exactly the deliveries the handlers saw {repro}");
        info.NumAckPending.Should().Be(0, repro);
        info.NumPending.Should().Be(0, repro);
        info.AckFloor.StreamSeq.Should().Be((ulong)count, $"nothing pending: the floor reaches the last message (S-97) {repro}");
        info.AckFloor.ConsumerSeq.Should().Be(info.Delivered.ConsumerSeq, repro);
        info.NumRedelivered.Should().Be((int)exhausted, $"exhausted messages stay counted as redelivered; acked and termed ones do not, also when the ack or term came after they ran out (S-98, as measured on 2.10.27) {repro}");
        exhaustedBySeq.Values.Should().OnlyContain(n => n == 1, $"one MAX_DELIVERIES advisory per message (S-95) {repro}");
        ledger.ExhaustedSequences().Should().BeSubsetOf(exhaustedBySeq.Keys, $"each message the ledger saw exhausted has its advisory {repro}");
        exhaustedBySeq.Keys.Should().BeSubsetOf(ledger.MaybeExhaustedSequences(), $"only a message delivered {MaxDeliver} times and not settled before its last delivery can run out {repro}");
        advisories.GetValueOrDefault(JetStreamAdvisory.TerminatedType).Should().Be((int)ledger.TermCalls, $"one MSG_TERMINATED advisory per +TERM sent (S-83) {repro}");
        stream.State.Messages.Should().Be(count, $"limits retention keeps every message, exhausted ones too (S-95) {repro}");
    }

    /// <summary>Completes only when <paramref name="task"/> fails; a task that ends normally is not a reason to stop waiting.</summary>
    private static async Task FailedOnly(Task task)
    {
        try
        {
            await task;
        }
        catch (OperationCanceledException)
        {
        }

        await Task.Delay(Timeout.InfiniteTimeSpan, TimeProvider.System, TestContext.Current.CancellationToken);
    }
}
