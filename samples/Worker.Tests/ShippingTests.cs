using FluentAssertions;
using FluentAssertions.Extensions;
using Goflux;
using Goflux.Testing;
using Goflux.Testing.Xunit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Xunit;

namespace Shipping.Tests;

/// <summary>The Shipping worker as it is wired (its own <see cref="ShippingRegistration.AddShipping"/>), on the engine and on a server.</summary>
public sealed class ShippingTests
{
    // begin-snippet: testing-the-worker
    [Theory, Backends]
    public async Task OrderPlaced_CarrierTimesOutOnce_NakedFor30sThenBookedAndAnnounced(TestBackendKind kind)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var goflux = await TestBackend.StartAsync(kind, cancellationToken: ct);
        var builder = Host.CreateApplicationBuilder();
        builder.AddShipping();                                                  // the app's own registration
        builder.Services.AddSingleton<ICarrier>(new FlakyCarrier(timeouts: 1));
        builder.Services.AddGofluxTestHarness(goflux);                          // the engine (or a server) under it
        using var host = builder.Build();
        await host.StartAsync(ct);

        await using var orders = goflux.CreatePublisher<OrderPlaced>();
        await orders.PublishAsync("orders.placed", new OrderPlaced("o-1", "1 Main St"), new PublishOptions { MessageId = "o-1" }, ct);
        var history = await goflux.WaitForOutcomeAsync("o-1", AckOutcome.Acked, ct);

        history.Should().HaveThrown<TimeoutException>().BeNakedWithDelay(30.Seconds()).Then.BeAcked().AndNoMore();
        var booked = goflux.Published<ShipmentBooked>().Should().ContainSingle().Subject;
        (booked.Subject, booked.MessageId, booked.Payload).Should().Be((goflux.Subject("shipments.booked"), "o-1", new ShipmentBooked("o-1", "TRK-o-1")));
        TestContext.Current.TestOutputHelper?.WriteLine($"{history}{Environment.NewLine}{booked}");
        await host.StopAsync(ct);
    }
    // end-snippet
}
