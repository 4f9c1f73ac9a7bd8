using System.Globalization;
using Goflux;
using Goflux.Hosting;
using Goflux.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using NATS.Client.JetStream.Models;

// A Generic Host worker: one publisher, two hosted consumers (one with RetryAck). The in-memory engine by default; a real
// server when NATS_URL is set. Choosing the backend is the only line that differs.
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
var url = Environment.GetEnvironmentVariable("NATS_URL");
var builder = Host.CreateApplicationBuilder(args);
builder.Logging.ClearProviders().AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning).AddFilter("Goflux.Hosting", LogLevel.Information);

builder.Services.AddSingleton(WorkerJson.Default.Order); // the codec for Order: source-generated JSON
builder.Services.AddSingleton(new Ledger(expected: 3));
builder.Services.AddScoped<BillingHandler>();
builder.Services.AddHostedService<OrderProducer>();
builder.Services.AddHealthChecks().AddGoflux();

var attempts = 0;
builder.Services.AddGoflux(goflux =>
{
    _ = string.IsNullOrEmpty(url) ? goflux.UseInMemory() : goflux.UseJetStream(url); // <- the one line that differs

    goflux
        .AddStream(new StreamConfig("WORKER_ORDERS", ["worker.orders.>"]) { Storage = StreamConfigStorage.Memory })
        .AddConsumer("WORKER_ORDERS", new ConsumerConfig("billing") { FilterSubject = "worker.orders.created", AckWait = TimeSpan.FromSeconds(30) })
        .AddConsumer("WORKER_ORDERS", new ConsumerConfig("shipping") { FilterSubject = "worker.orders.created", AckWait = TimeSpan.FromSeconds(30) })
        .AddTopic<Order>("worker.orders.created")
        .AddHandler<Order, BillingHandler>("WORKER_ORDERS", "billing")
        .AddHandler<Order>(
            "WORKER_ORDERS",
            "shipping",
            (message, services, _) =>
            {
                var order = message.Payload;
                if (order.Id == "o-2" && Interlocked.Increment(ref attempts) == 1)
                {
                    Console.WriteLine($"shipping: carrier busy for {order.Id} (delivery #{message.Delivery?.NumDelivered}) -> throws, RetryAck naks with a 200 ms delay");
                    throw new InvalidOperationException("carrier busy");
                }

                Console.WriteLine($"shipping: shipped {order.Id} (delivery #{message.Delivery?.NumDelivered}) -> ack");
                services.GetRequiredService<Ledger>().Shipped();
                return ValueTask.CompletedTask;
            },
            c => c.RetryAck(new RetryPolicy { InitialDelay = TimeSpan.FromMilliseconds(200), MaxAttempts = 5 }).WithMaxConcurrency(2).WithMaxMessages(2));
});

Console.WriteLine(string.IsNullOrEmpty(url) ? "backend:  in-memory engine (set NATS_URL=nats://127.0.0.1:4222 for a real server)" : $"backend:  JetStream at {url}");
await builder.Build().RunAsync();
Console.WriteLine("worker:   stopped");
