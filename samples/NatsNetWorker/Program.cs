using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using NATS.Client.Core;
using NATS.Net;
using NatsNetWorker;

var builder = Host.CreateApplicationBuilder(args);
builder.Services.AddSingleton<INatsClient>(new NatsClient(Environment.GetEnvironmentVariable("NATS_URL") ?? "nats://127.0.0.1:4222"));
builder.Services.AddOrderWorker();
await builder.Build().RunAsync();

namespace NatsNetWorker
{
    /// <summary>The worker's own registration, used by Program and by its tests alike.</summary>
    public static class OrderWorkerRegistration
    {
        public static IServiceCollection AddOrderWorker(this IServiceCollection services)
        {
            services.AddSingleton<IPaymentGateway, LoggingPaymentGateway>();
            services.AddHostedService<OrderConsumer>();
            return services;
        }
    }

    /// <summary>Stands in for a payment provider in the runnable sample.</summary>
    internal sealed class LoggingPaymentGateway : IPaymentGateway
    {
        public Task ChargeAsync(Order order, CancellationToken cancellationToken)
        {
            Console.WriteLine($"charged {order.Id}: {order.Amount}");
            return Task.CompletedTask;
        }
    }
}
