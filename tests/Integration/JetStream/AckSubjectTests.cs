using FluentAssertions;
using Goflux.JetStream.Internal;
using Xunit;

namespace Goflux.Integration.Tests.JetStream;

/// <summary>The delivery metadata in a JetStream reply subject (ADR-15), without a server.</summary>
public sealed class AckSubjectTests
{
    private static readonly DateTimeOffset Stored = new(2026, 11, 27, 4, 37, 5, TimeSpan.Zero);
    private static readonly ulong StoredNanos = (ulong)(Stored - DateTimeOffset.UnixEpoch).Ticks * 100 + 1234567;

    [Fact]
    public void TryParse_V1Subject_ReadsEveryFieldAndReusesNames()
    {
        var stream = "ORDERS";
        var consumer = "worker";

        var ok = AckSubject.TryParse($"$JS.ACK.ORDERS.worker.3.42.17.{StoredNanos}.5", stream, consumer, out var delivery);

        ok.Should().BeTrue();
        delivery.Should().Be(new DeliveryInfo("ORDERS", "worker", 42, 17, 3, 5, Stored.AddTicks(12345)));
        delivery.Stream.Should().BeSameAs(stream);
        delivery.Consumer.Should().BeSameAs(consumer);
    }

    [Theory]
    [InlineData("$JS.ACK._.ACCHASH.ORDERS.worker.1.2.3.{0}.4.abc")]
    [InlineData("$JS.ACK.hub.ACCHASH.ORDERS.worker.1.2.3.{0}.4")]
    public void TryParse_V2Subject_SkipsDomainAndAccountHash(string format)
    {
        var ok = AckSubject.TryParse(string.Format(System.Globalization.CultureInfo.InvariantCulture, format, StoredNanos), "ORDERS", "other", out var delivery);

        ok.Should().BeTrue();
        delivery.Should().Be(new DeliveryInfo("ORDERS", "worker", 2, 3, 1, 4, Stored.AddTicks(12345)));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("_INBOX.abc")]
    [InlineData("$JS.ACK.ORDERS.worker.1.2.3")]
    [InlineData("$JS.ACK.ORDERS.worker.x.2.3.4.5")]
    [InlineData("$JS.ACK.ORDERS.worker.-1.2.3.4.5")]
    [InlineData("$JS.ACK.a.b.c.d.e.f.g.h.i.j.k.l")]
    [InlineData("$JS.ACK.ORDERS.worker.1.2.3.4.18446744073709551616")]
    [InlineData("$JS.ACK.ORDERS.worker.1.2.3.4.")]
    public void TryParse_NotAnAckSubject_ReturnsFalse(string? reply)
    {
        AckSubject.TryParse(reply, "ORDERS", "worker", out _).Should().BeFalse();
    }
}
