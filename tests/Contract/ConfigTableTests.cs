using System.Reflection;
using FluentAssertions;
using Goflux.InMemory.Internal;
using NATS.Client.JetStream.Models;
using Xunit;

namespace Goflux.Contract.Tests;

/// <summary>
/// The engine's configuration tables cover NATS.Net's models completely: every public property of <see cref="StreamConfig"/>
/// and <see cref="ConsumerConfig"/> is either handled (normalised, compared, with an update rule) or listed as ignored with a
/// reason. A NATS.Net upgrade that adds a property fails here until someone asks the server what it does with it.
/// </summary>
public sealed class ConfigTableTests
{
    [Fact]
    public void ConsumerConfigTable_HasOneRowPerPropertyOfConsumerConfig() => CheckCoverage(typeof(ConsumerConfig), ConsumerConfigTable.Rules);

    [Fact]
    public void StreamConfigTable_HasOneRowPerPropertyOfStreamConfig() => CheckCoverage(typeof(StreamConfig), StreamConfigTable.Rules);

    [Fact]
    public void ConsumerConfigTable_NormalizeFillsTheServerDefaults_S49()
    {
        var n = ConsumerConfigTable.Normalize(new ConsumerConfig(), "eph", durable: false);

        (n.Name, n.DurableName, n.AckWait, n.MaxDeliver, n.MaxAckPending, n.MaxWaiting, n.InactiveThreshold)
            .Should().Be(("eph", (string?)null, TimeSpan.FromSeconds(30), -1L, 1000L, 512L, TimeSpan.FromSeconds(5)));
        ConsumerConfigTable.Normalize(new ConsumerConfig { AckPolicy = ConsumerConfigAckPolicy.None }, "d", durable: true)
            .Should().Match<ConsumerConfig>(c => c.AckWait == TimeSpan.Zero && c.MaxAckPending == 0 && c.InactiveThreshold == TimeSpan.Zero && c.DurableName == "d");
    }

    [Fact]
    public void ConsumerConfigTable_PushConsumer_NoMaxWaiting_PushOnlyFieldsKept_S124()
    {
        var n = ConsumerConfigTable.Normalize(new ConsumerConfig("p") { DeliverSubject = "d.p", IdleHeartbeat = TimeSpan.FromSeconds(1), FlowControl = true, RateLimitBps = 100 }, "p", durable: true);

        (n.MaxWaiting, n.IdleHeartbeat, n.FlowControl, n.MaxAckPending).Should().Be((0L, TimeSpan.FromSeconds(1), true, 1000L));
        n.RateLimitBps.Should().Be(100);
        FluentActions.Invoking(() => ConsumerConfigTable.Validate(n)).Should().NotThrow("push consumers take the push-only fields");
        // The server checks the heartbeat before the deliver subject (measured on 2.10.27).
        var pull = ConsumerConfigTable.Normalize(new ConsumerConfig("p"), "p", durable: true);
        FluentActions.Invoking(() => ConsumerConfigTable.CheckUpdate(n, pull, _ => false)).Should().Throw<GofluxException>()
            .Which.Message.Should().Be("heart beats can not be updated");
        var plain = ConsumerConfigTable.Normalize(new ConsumerConfig("p") { DeliverSubject = "d.p" }, "p", durable: true);
        FluentActions.Invoking(() => ConsumerConfigTable.CheckUpdate(plain, pull, _ => false)).Should().Throw<GofluxException>()
            .Which.Message.Should().Be("can not update push consumer to pull based");
        var beat = ConsumerConfigTable.Normalize(new ConsumerConfig("p") { DeliverSubject = "d.p", IdleHeartbeat = TimeSpan.FromSeconds(2), FlowControl = true, RateLimitBps = 100 }, "p", durable: true);
        FluentActions.Invoking(() => ConsumerConfigTable.CheckUpdate(n, beat, _ => false)).Should().Throw<GofluxException>()
            .Which.Message.Should().Be("heart beats can not be updated");
        var moved = ConsumerConfigTable.Normalize(new ConsumerConfig("p") { DeliverSubject = "d.q" }, "p", durable: true);
        FluentActions.Invoking(() => ConsumerConfigTable.CheckUpdate(plain, moved, s => s == "d.p")).Should().Throw<GofluxException>()
            .Which.ErrorCode.Should().Be(JetStreamErrorCodes.ConsumerNameExists, "nobody may listen on the old deliver subject (S-129)");
        FluentActions.Invoking(() => ConsumerConfigTable.CheckUpdate(plain, moved, _ => false)).Should().NotThrow();
    }

    [Fact]
    public void ConsumerConfigTable_SameAndCheckUpdate_FollowTheRows()
    {
        var a = ConsumerConfigTable.Normalize(new ConsumerConfig("c"), "c", durable: true);
        var b = ConsumerConfigTable.Normalize(new ConsumerConfig("c") { Metadata = new Dictionary<string, string> { ["k"] = "v" } }, "c", durable: true);
        var replay = ConsumerConfigTable.Normalize(new ConsumerConfig("c") { ReplayPolicy = ConsumerConfigReplayPolicy.Original }, "c", durable: true);

        ConsumerConfigTable.Same(a, ConsumerConfigTable.Normalize(new ConsumerConfig("c"), "c", durable: true)).Should().BeTrue();
        ConsumerConfigTable.Same(a, b).Should().BeFalse("metadata is compared");
        ConsumerConfigTable.Same(a, replay).Should().BeFalse("the replay policy is compared");
        FluentActions.Invoking(() => ConsumerConfigTable.CheckUpdate(a, b, _ => false)).Should().NotThrow();
        FluentActions.Invoking(() => ConsumerConfigTable.CheckUpdate(a, replay, _ => false)).Should().Throw<GofluxException>()
            .Which.Should().Match<GofluxException>(e => e.ErrorCode == 10012 && e.Message == "replay policy can not be updated");
    }

    [Fact]
    public void StreamConfigTable_SealingSetsDenyDeleteDenyPurgeAndDiscardNew()
    {
        var n = StreamConfigTable.Normalize(new StreamConfig("S", ["s.>"]) { Sealed = true });

        (n.Sealed, n.DenyDelete, n.DenyPurge, n.Discard).Should().Be((true, true, true, StreamConfigDiscard.New));
        FluentActions.Invoking(() => StreamConfigTable.CheckCreate(n)).Should().Throw<GofluxException>().Which.ErrorCode.Should().Be(10052);
    }

    [Fact]
    public void StreamConfigTable_UnsupportedFeatures_ThrowNotSupported()
    {
        FluentActions.Invoking(() => StreamConfigTable.Normalize(new StreamConfig("S", ["s.>"]) { Mirror = new StreamSource { Name = "O" } }))
            .Should().Throw<NotSupportedException>().WithMessage("*mirrors*");
    }

    private static void CheckCoverage<T>(Type model, IReadOnlyList<FieldRule<T>> rules)
        where T : class
    {
        var properties = model.GetProperties(BindingFlags.Public | BindingFlags.Instance).Select(p => p.Name).ToList();
        var rows = rules.Select(r => r.Property).ToList();

        rows.Should().OnlyHaveUniqueItems();
        properties.Except(rows).Should().BeEmpty($"every property of {model.Name} needs a row: handled, or ignored with a reason");
        rows.Except(properties).Should().BeEmpty($"every row must name a property of {model.Name}");
        foreach (var rule in rules)
        {
            switch (rule.Update)
            {
                case FieldUpdate.Applied:
                    rule.Same.Should().NotBeNull($"{rule.Property} is applied on update, so idempotent create compares it");
                    break;
                case FieldUpdate.Rejected:
                    rule.Same.Should().NotBeNull($"{rule.Property} is compared");
                    rule.UpdateError.Should().NotBeNull($"{rule.Property} is rejected on update with the server's error");
                    break;
                case FieldUpdate.Refused or FieldUpdate.NotSupported:
                    rule.AnyError.Should().NotBeNull($"{rule.Property} is refused whenever it is set");
                    rule.Note.Should().NotBeNullOrWhiteSpace($"{rule.Property} says why");
                    break;
                case FieldUpdate.Dropped:
                    rule.Note.Should().NotBeNullOrWhiteSpace($"{rule.Property} is ignored, and says why");
                    break;
            }
        }
    }
}
