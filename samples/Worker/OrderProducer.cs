using Goflux.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;

namespace Goflux.Worker;

/// <summary>
/// The application's own service: publishes three orders as soon as it starts (goflux has already made every consumer
/// listen), waits until both consumers handled them, prints the health report, and stops the host.
/// </summary>
internal sealed class OrderProducer(
    [FromKeyedServices("worker.orders.created")] BoundPublisher<Order> orders,
    Ledger ledger,
    HealthCheckService health,
    IHostApplicationLifetime lifetime) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var report = await health.CheckHealthAsync(stoppingToken);
        Console.WriteLine($"health:   {report.Status} ({string.Join(", ", report.Entries["goflux"].Data.Select(d => $"{d.Key}={d.Value}"))})");

        foreach (var (id, amount) in new[] { ("o-1", 12.50m), ("o-2", 99.00m), ("o-3", 5.25m) })
        {
            var result = await orders.PublishAsync(new Order(id, amount), cancellationToken: stoppingToken);
            Console.WriteLine($"producer: published {id} to {orders.Subject} (stream {result.Stream}, seq {result.Sequence})");
        }

        await ledger.Done.WaitAsync(TimeSpan.FromSeconds(30), stoppingToken); // a hang guard, not a timing assumption
        Console.WriteLine("producer: every order billed and shipped; stopping the host");
        lifetime.StopApplication();
    }
}
