using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using NATS.Net;

namespace NatsNetWorker;

/// <summary>
/// A JetStream consumer as NATS.Net's documentation writes one: a <see cref="BackgroundService"/> with a durable pull
/// consumer and a <c>ConsumeAsync</c> loop. A charged order is acked; a declined one is terminated; any other failure is
/// naked with a delay, so the order comes back later.
/// </summary>
public sealed class OrderConsumer(INatsClient client, IPaymentGateway payments, ILogger<OrderConsumer> logger) : BackgroundService
{
    /// <summary>How long a failed order waits before it comes back.</summary>
    public static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(30);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var js = client.CreateJetStreamContext();
        await js.CreateOrUpdateStreamAsync(new StreamConfig("ORDERS", ["orders.>"]), stoppingToken);
        var consumer = await js.CreateOrUpdateConsumerAsync("ORDERS", new ConsumerConfig("payments"), stoppingToken);

        await foreach (var msg in consumer.ConsumeAsync<Order>(cancellationToken: stoppingToken))
        {
            var order = msg.Data!;
            try
            {
                await payments.ChargeAsync(order, stoppingToken);
                await msg.AckAsync(cancellationToken: stoppingToken);
            }
            catch (PaymentDeclinedException e)
            {
                logger.LogWarning("Order {Id} declined: {Reason}", order.Id, e.Message);
                await msg.AckTerminateAsync(new AckOpts { TerminateReason = e.Message }, stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "Order {Id} failed, retrying in {Delay}", order.Id, RetryDelay);
                await msg.NakAsync(new AckOpts { NakDelay = RetryDelay }, stoppingToken);
            }
        }
    }
}
