using Goflux;
using Goflux.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using NATS.Client.JetStream.Models;

namespace Shipping;

/// <summary>
/// The Shipping service's registration: what <c>Program.cs</c> runs, and what its tests run under the test kit's harness.
/// </summary>
public static class ShippingRegistration
{
    /// <summary>The subject this service publishes <see cref="ShipmentBooked"/> on.</summary>
    public const string ShipmentsBooked = "shipments.booked";

    /// <summary>A carrier timeout is retried 30 seconds later, then after 60 s, 120 s, …; the fifth attempt is the last.</summary>
    public static readonly RetryPolicy Retry = RetryPolicy.Default with { InitialDelay = TimeSpan.FromSeconds(30), MaxAttempts = 5 };

    /// <summary>
    /// Registers the Shipping service: the hosted consumer <c>shipping</c> of <see cref="OrderPlaced"/> on JetStream (the
    /// server at the <c>NATS_URL</c> setting, by default <c>nats://127.0.0.1:4222</c>), the <see cref="ShipmentBooked"/>
    /// publisher, the carrier and the health check.
    /// </summary>
    /// <param name="builder">The application's host builder.</param>
    /// <returns>The builder.</returns>
    public static IHostApplicationBuilder AddShipping(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        // begin-snippet: shipping-registration
        builder.Services.AddSingleton(ShippingJson.Default.OrderPlaced);      // the codecs: source-generated JSON
        builder.Services.AddSingleton(ShippingJson.Default.ShipmentBooked);
        builder.Services.AddSingleton<ICarrier, SimulatedCarrier>();
        builder.Services.AddScoped<ShippingHandler>();                        // resolved from a new scope per message
        builder.Services.AddHealthChecks().AddGoflux();                       // one entry per hosted consumer
        builder.Services.AddGoflux(goflux => goflux
            .UseJetStream(builder.Configuration["NATS_URL"] ?? "nats://127.0.0.1:4222")   // or UseJetStream() and AddNatsClient(…)
            .AddStream(new StreamConfig("ORDERS", ["orders.>"]))
            .AddStream(new StreamConfig("SHIPMENTS", ["shipments.>"]))
            .AddConsumer("ORDERS", new ConsumerConfig("shipping") { FilterSubject = "orders.placed", AckPolicy = ConsumerConfigAckPolicy.Explicit })
            .AddPublisher<ShipmentBooked>(ShipmentsBooked)   // [FromKeyedServices("shipments.booked")] BoundPublisher<ShipmentBooked>
            .AddHandler<OrderPlaced, ShippingHandler>("ORDERS", "shipping", c => c.RetryAck(Retry).WithMaxConcurrency(2)));
        // end-snippet
        return builder;
    }
}
