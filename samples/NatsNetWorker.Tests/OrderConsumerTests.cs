using FluentAssertions;
using Goflux.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Net;
using Xunit;

[assembly: AssemblyFixture(typeof(NatsServerFixture))]

namespace NatsNetWorker.Tests;

/// <summary>
/// The worker's tests, written once. The worker is started through its own registration (<c>AddOrderWorker</c>) with the
/// test's <see cref="INatsClient"/>; nothing in the worker knows where that client's server is.
/// </summary>
public abstract class OrderConsumerTests
{
    protected abstract TestNats Nats();

    [Fact]
    public async Task FailedCharge_IsRetriedThirtySecondsLater_NotBefore()
    {
        await using var nats = Nats();
        var payments = new FlakyPaymentGateway();
        using var host = StartWorker(nats.Client, payments);
        await host.StartAsync(TestContext.Current.CancellationToken);
        await nats.ConsumingAsync("ORDERS", "payments");
        var js = nats.Client.CreateJetStreamContext();
        var id = "o-" + Guid.NewGuid().ToString("N")[..6];

        await js.PublishAsync("orders.new", new Order(id, 42m), cancellationToken: TestContext.Current.CancellationToken);
        await nats.UntilAsync(() => payments.Attempts(id) == 1);
        await nats.LetTimePassAsync(TimeSpan.FromSeconds(25));
        var attemptsBeforeTheDelay = payments.Attempts(id);
        await nats.LetTimePassAsync(TimeSpan.FromSeconds(6));
        await nats.UntilAsync(() => payments.Charged.Contains(id));

        attemptsBeforeTheDelay.Should().Be(1, "the order waits out its 30-second nak delay");
        payments.Attempts(id).Should().Be(2);
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task DeclinedCharge_IsTerminated_NeverRetried()
    {
        await using var nats = Nats();
        var payments = new FlakyPaymentGateway();
        using var host = StartWorker(nats.Client, payments);
        await host.StartAsync(TestContext.Current.CancellationToken);
        await nats.ConsumingAsync("ORDERS", "payments");
        var js = nats.Client.CreateJetStreamContext();
        var id = "big-" + Guid.NewGuid().ToString("N")[..6];

        await js.PublishAsync("orders.new", new Order(id, 5000m), cancellationToken: TestContext.Current.CancellationToken);
        await nats.UntilAsync(async () => (await js.GetConsumerAsync("ORDERS", "payments")).Info.NumAckPending == 0);

        payments.Attempts(id).Should().Be(1, "a declined order is terminated, not retried");
        payments.Charged.Should().NotContain(id);
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    private static IHost StartWorker(INatsClient client, IPaymentGateway payments)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddSingleton(client);
        builder.Services.AddOrderWorker();
        builder.Services.AddSingleton(payments); // the test's gateway replaces the worker's
        return builder.Build();
    }
}

/// <summary>On the in-memory engine: the 30-second delay takes no wall time.</summary>
public sealed class OrderConsumerOnTheEngine : OrderConsumerTests
{
    protected override TestNats Nats() => TestNats.Engine();
}

/// <summary>On a real nats-server: the same test body, waiting the 30 seconds out.</summary>
public sealed class OrderConsumerOnAServer(NatsServerFixture server) : OrderConsumerTests
{
    protected override TestNats Nats() => TestNats.Server(server.Url);
}
