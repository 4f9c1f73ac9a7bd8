using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Testing;
using NATS.Client.JetStream.Models;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Goflux.Hosting.Tests;

/// <summary>
/// Hosted-consumer scenarios written once. A binding supplies the one backend line (<see cref="UseBackend"/>) and the
/// plumbing a test needs to observe it (consumer info, letting time pass); every test body is the same on both.
/// </summary>
public abstract class HostedConsumerSuite
{
    protected static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>The only line that differs between the engine and a real server.</summary>
    protected abstract void UseBackend(GofluxBuilder goflux);

    /// <summary>Consumer info once the backend has caught up with <paramref name="until"/> (or the guard elapsed).</summary>
    protected abstract Task<ConsumerInfo> ConsumerInfoAsync(IHost host, string stream, string consumer, Func<ConsumerInfo, bool> until);

    /// <summary>Lets <paramref name="by"/> pass for the backend's deadlines (ack wait, nak delay).</summary>
    protected abstract Task LetTimePassAsync(IHost host, TimeSpan by);

    protected IHost BuildHost(Action<GofluxBuilder> declare, Action<IServiceCollection>? services = null)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddGoflux(goflux =>
        {
            UseBackend(goflux);
            declare(goflux);
        });
        services?.Invoke(builder.Services);
        return builder.Build();
    }

    [Fact]
    public async Task ScopedHandler_EachMessageInItsOwnScope_AckedWhenItReturns()
    {
        var n = Names.New();
        var recorder = new Recorder();
        using var host = BuildHost(
            g => g.AddStream(n.Stream()).AddConsumer(n.StreamName, n.Consumer()).AddPublisher<Order>()
                .AddHandler<Order, RecordingHandler>(n.StreamName, n.ConsumerName),
            s => s.AddSingleton(recorder).AddScoped<ScopeProbe>().AddScoped<RecordingHandler>());
        await host.StartAsync(Ct);

        var publisher = host.Services.GetRequiredService<IPublisher<Order>>();
        for (var i = 1; i <= 3; i++)
        {
            await publisher.PublishAsync(n.Subject, new Order($"o-{i}", i), cancellationToken: Ct);
        }

        await recorder.WaitForAsync(3);
        var info = await ConsumerInfoAsync(host, n.StreamName, n.ConsumerName, i => i.AckFloor.StreamSeq == 3);
        await host.StopAsync(Ct);

        recorder.Orders.Select(o => o.Id).Should().BeEquivalentTo("o-1", "o-2", "o-3");
        recorder.Scopes.Distinct().Should().HaveCount(3, "each message gets its own scope");
        recorder.DisposedScopes.Should().Contain(recorder.Scopes, "each scope is disposed after its message");
        info.AckFloor.StreamSeq.Should().Be(3);
        info.NumAckPending.Should().Be(0);
    }

    [Fact]
    public async Task PushConsumer_WithADeliverGroup_WorkersShareTheMessages_EachHandledOnce()
    {
        var n = Names.New();
        var recorder = new Recorder();
        var push = n.Consumer() with { DeliverSubject = n.Subject.Replace(".orders", ".deliver", StringComparison.Ordinal), DeliverGroup = "workers" };
        using var host = BuildHost(
            g => g.AddStream(n.Stream()).AddConsumer(n.StreamName, push).AddPublisher<Order>()
                .AddHandler<Order, RecordingHandler>(n.StreamName, n.ConsumerName, h => h.WithMaxConcurrency(3)),
            s => s.AddSingleton(recorder).AddScoped<ScopeProbe>().AddScoped<RecordingHandler>());
        await host.StartAsync(Ct);

        var publisher = host.Services.GetRequiredService<IPublisher<Order>>();
        for (var i = 1; i <= 30; i++)
        {
            await publisher.PublishAsync(n.Subject, new Order($"o-{i}", i), cancellationToken: Ct);
        }

        await recorder.WaitForAsync(30);
        var info = await ConsumerInfoAsync(host, n.StreamName, n.ConsumerName, i => i.AckFloor.StreamSeq == 30);
        await host.StopAsync(Ct);

        recorder.Orders.Select(o => o.Id).Should().OnlyHaveUniqueItems().And.HaveCount(30, "each message goes to one worker of the group");
        info.Config.DeliverGroup.Should().Be("workers");
        info.AckFloor.StreamSeq.Should().Be(30);
        info.NumAckPending.Should().Be(0);
        info.NumRedelivered.Should().Be(0);
    }

    [Theory]
    [InlineData("non-retryable")]
    [InlineData("last attempt")]
    [InlineData("auto-ack")]
    public async Task FailingHandler_HostileExceptionTexts_EveryMessageSettlesAsThePolicySays(string policy)
    {
        // Each hostile text of ExceptionTexts is one order whose handler throws it on its first delivery. A settlement
        // that threw because of the text would leave the order pending (ack wait 5 minutes).
        var n = Names.New();
        var labels = Goflux.Tests.Shared.ExceptionTexts.All.Select(t => t.Label).ToArray();
        var handled = 0;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var expected = policy == "auto-ack" ? 2 * labels.Length : labels.Length;
        using var host = BuildHost(g => g.AddStream(n.Stream()).AddConsumer(n.StreamName, n.Consumer() with { AckWait = TimeSpan.FromMinutes(5) })
            .AddPublisher<Order>()
            .AddHandler<Order>(
                n.StreamName,
                n.ConsumerName,
                (message, _, _) =>
                {
                    if (Interlocked.Increment(ref handled) == expected)
                    {
                        done.TrySetResult();
                    }

                    return message.Delivery!.Value.NumDelivered == 1
                        ? throw Goflux.Tests.Shared.ExceptionTexts.Create(message.Payload.Id)
                        : ValueTask.CompletedTask;
                },
                h =>
                {
                    if (policy == "non-retryable")
                    {
                        h.RetryAck(new RetryPolicy { ShouldRetry = _ => false });
                    }
                    else if (policy == "last attempt")
                    {
                        h.RetryAck(new RetryPolicy { MaxAttempts = 1 });
                    }
                }));
        await host.StartAsync(Ct);
        var publisher = host.Services.GetRequiredService<IPublisher<Order>>();
        foreach (var label in labels)
        {
            await publisher.PublishAsync(n.Subject, new Order(label, 1), cancellationToken: Ct);
        }

        await done.Task.WaitAsync(Guard, Ct);
        var count = (ulong)labels.Length;
        var info = await ConsumerInfoAsync(host, n.StreamName, n.ConsumerName, i => i.NumAckPending == 0 && i.AckFloor.StreamSeq == count);
        await host.StopAsync(Ct);

        info.NumAckPending.Should().Be(0, "no message may be left unsettled");
        info.AckFloor.StreamSeq.Should().Be(count);
        info.Delivered.ConsumerSeq.Should().Be(
            policy == "auto-ack" ? 2 * count : count,
            policy == "auto-ack" ? "a nak brings each message back once" : "a terminated message is never redelivered");
    }

    [Fact]
    public async Task GracefulShutdown_HandlerCutShortByShutdownTimeout_IsNotAckedAndIsRedeliveredToTheNextHost()
    {
        var n = Names.New();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var redelivered = new TaskCompletionSource<ulong>(TaskCreationOptions.RunContinuationsAsynchronously);
        var ackWait = TimeSpan.FromSeconds(2);
        void Declare(GofluxBuilder g) => g.AddStream(n.Stream()).AddConsumer(n.StreamName, n.Consumer() with { AckWait = ackWait }).AddPublisher<Order>()
            .AddHandler<Order>(n.StreamName, n.ConsumerName, async (message, _, ct) =>
            {
                if (message.Delivery!.Value.NumDelivered == 1)
                {
                    started.TrySetResult();
                    await Task.Delay(Timeout.InfiniteTimeSpan, ct); // runs until the host gives up on it
                }
                else
                {
                    redelivered.TrySetResult(message.Delivery.Value.NumDelivered);
                }
            });

        ConsumerInfo afterStop;
        using (var first = BuildHost(Declare))
        {
            await first.StartAsync(Ct);
            await first.Services.GetRequiredService<IPublisher<Order>>().PublishAsync(n.Subject, new Order("slow", 1), cancellationToken: Ct);
            await started.Task.WaitAsync(Guard, Ct);

            using var shutdownTimeout = new CancellationTokenSource();
            var stopping = first.StopAsync(shutdownTimeout.Token);
            await shutdownTimeout.CancelAsync(); // the host's shutdown timeout elapses
            await stopping.WaitAsync(Guard, Ct);
            afterStop = await ConsumerInfoAsync(first, n.StreamName, n.ConsumerName, _ => true);
        }

        afterStop.AckFloor.StreamSeq.Should().Be(0, "a message cut short by the shutdown is never acked");
        afterStop.NumAckPending.Should().Be(1, "it stays pending, unsettled");

        using var second = BuildHost(Declare);
        await second.StartAsync(Ct);
        await LetTimePassAsync(second, ackWait + TimeSpan.FromSeconds(1));
        (await redelivered.Task.WaitAsync(Guard, Ct)).Should().Be(2UL, "the server redelivers it after its ack wait");
        var info = await ConsumerInfoAsync(second, n.StreamName, n.ConsumerName, i => i.AckFloor.StreamSeq == 1);
        info.AckFloor.StreamSeq.Should().Be(1);
        await second.StopAsync(Ct);
    }

    [Fact]
    public async Task GracefulShutdown_HandlerFinishingWithinShutdownTimeout_IsAcked()
    {
        var n = Names.New();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sawCancellation = false;
        using var host = BuildHost(g => g.AddStream(n.Stream()).AddConsumer(n.StreamName, n.Consumer()).AddPublisher<Order>()
            .AddHandler<Order>(n.StreamName, n.ConsumerName, async (_, _, ct) =>
            {
                started.TrySetResult();
                await release.Task;
                sawCancellation = ct.IsCancellationRequested;
            }));
        await host.StartAsync(Ct);
        await host.Services.GetRequiredService<IPublisher<Order>>().PublishAsync(n.Subject, new Order("finishing", 1), cancellationToken: Ct);
        await started.Task.WaitAsync(Guard, Ct);

        var stopping = host.StopAsync(Ct);
        stopping.IsCompleted.Should().BeFalse("the stop waits for the running handler");
        release.SetResult();
        await stopping.WaitAsync(Guard, Ct);

        sawCancellation.Should().BeFalse("the handler's token is cancelled only when the shutdown timeout elapses");
        var info = await ConsumerInfoAsync(host, n.StreamName, n.ConsumerName, i => i.AckFloor.StreamSeq == 1);
        info.AckFloor.StreamSeq.Should().Be(1, "a handler that finished in time settles its message");
        info.NumAckPending.Should().Be(0);
    }

    [Fact]
    public async Task RetryAck_FailingHandler_NakedWithThePolicyDelay_ThenRedeliveredAndAcked()
    {
        var n = Names.New();
        var deliveries = new ConcurrentQueue<ulong>();
        var failed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var succeeded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var policy = new RetryPolicy { InitialDelay = TimeSpan.FromSeconds(1), MaxAttempts = 3 };
        using var host = BuildHost(g => g.AddStream(n.Stream()).AddConsumer(n.StreamName, n.Consumer()).AddPublisher<Order>()
            .AddHandler<Order>(
                n.StreamName,
                n.ConsumerName,
                (message, _, _) =>
                {
                    deliveries.Enqueue(message.Delivery!.Value.NumDelivered);
                    if (message.Delivery.Value.NumDelivered == 1)
                    {
                        failed.TrySetResult();
                        throw new InvalidOperationException("transient");
                    }

                    succeeded.TrySetResult();
                    return ValueTask.CompletedTask;
                },
                c => c.RetryAck(policy)));
        await host.StartAsync(Ct);
        await host.Services.GetRequiredService<IPublisher<Order>>().PublishAsync(n.Subject, new Order("retry", 1), cancellationToken: Ct);
        await failed.Task.WaitAsync(Guard, Ct);
        await LetTimePassAsync(host, TimeSpan.FromSeconds(1));
        await succeeded.Task.WaitAsync(Guard, Ct);

        var info = await ConsumerInfoAsync(host, n.StreamName, n.ConsumerName, i => i.AckFloor.StreamSeq == 1);
        await host.StopAsync(Ct);
        deliveries.Should().Equal(1UL, 2UL);
        info.AckFloor.StreamSeq.Should().Be(1);
    }

    [Fact]
    public async Task Readiness_StartCompletesWhenEveryConsumerListens_HealthReportsEachThenStopped()
    {
        var n = Names.New();
        var handled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var host = BuildHost(
            g => g.AddStream(n.Stream()).AddConsumer(n.StreamName, n.Consumer()).AddConsumer(n.StreamName, new ConsumerConfig("audit")).AddPublisher<Order>()
                .AddHandler<Order>(n.StreamName, n.ConsumerName, (_, _, _) =>
                {
                    handled.TrySetResult();
                    return ValueTask.CompletedTask;
                })
                .AddHandler<Order>(n.StreamName, "audit", (_, _, _) => ValueTask.CompletedTask, c => c.WithMaxConcurrency(2).WithMaxMessages(2)),
            s => s.AddHealthChecks().AddGoflux());
        var health = host.Services.GetRequiredService<HealthCheckService>();
        (await health.CheckHealthAsync(Ct)).Status.Should().Be(HealthStatus.Unhealthy, "nothing listens before the start");

        await host.StartAsync(Ct);
        var started = await health.CheckHealthAsync(Ct);
        await host.Services.GetRequiredService<IPublisher<Order>>().PublishAsync(n.Subject, new Order("ready", 1), cancellationToken: Ct);
        await handled.Task.WaitAsync(Guard, Ct);
        await host.StopAsync(Ct);
        var stopped = await health.CheckHealthAsync(Ct);

        started.Status.Should().Be(HealthStatus.Healthy);
        var entry = started.Entries["goflux"];
        entry.Data.Should().Contain($"{n.StreamName}/{n.ConsumerName}", "Listening").And.Contain($"{n.StreamName}/audit", "Listening");
        stopped.Status.Should().Be(HealthStatus.Unhealthy);
        stopped.Entries["goflux"].Description.Should().Contain($"{n.StreamName}/{n.ConsumerName} is stopped");
    }

    [Fact]
    public async Task Topology_RejectedByTheServer_HostFailsToStartNamingTheStreamAndErrorCode_NothingPublished()
    {
        var n = Names.New();
        var probe = new PublishingProbe(n.Subject);
        using var host = BuildHost(
            g => g.AddStream(n.Stream())
                .AddStream(new StreamConfig(n.StreamName + "_TWIN", [n.Subject]) { Storage = StreamConfigStorage.Memory })
                .AddPublisher<Order>(),
            s => s.AddSingleton(probe).AddHostedService(sp => probe.Wire(sp)));

        var start = () => host.StartAsync(Ct);

        var error = (await start.Should().ThrowAsync<GofluxException>()).Which;
        error.Message.Should().StartWith("goflux could not start on ")
            .And.Contain($": Creating or updating stream '{n.StreamName}_TWIN' failed: ").And.Contain("err_code 10065")
            .And.NotContain("failed: Creating", "the backend's message says what was done; the host does not say it twice");
        error.ErrorCode.Should().Be(10065, "subjects overlap with an existing stream (S-xx: stream subjects must not overlap)");
        probe.Started.Should().BeFalse("no application service starts when goflux cannot");
    }

    [Fact]
    public async Task Telemetry_PublishAndProcess_CapturedThroughTheHostsTracerAndMeterProviders_PayloadNeverLogged()
    {
        var n = Names.New();
        var activities = new List<Activity>();
        var metrics = new List<MetricSnapshot>();
        var handled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        const string secret = "payload-marker-7f3a";
        using var host = BuildHost(
            g => g.AddStream(n.Stream()).AddConsumer(n.StreamName, n.Consumer()).AddPublisher<Order>()
                .AddHandler<Order>(n.StreamName, n.ConsumerName, (message, _, _) =>
                {
                    if (message.Delivery!.Value.NumDelivered == 1)
                    {
                        throw new InvalidOperationException("handler failed once");
                    }

                    handled.TrySetResult();
                    return ValueTask.CompletedTask;
                }),
            s =>
            {
                s.AddFakeLogging();
                s.AddOpenTelemetry()
                    .WithTracing(t => t.AddGofluxInstrumentation().AddInMemoryExporter(activities))
                    .WithMetrics(m => m.AddGofluxInstrumentation().AddInMemoryExporter(metrics));
            });
        await host.StartAsync(Ct);
        await host.Services.GetRequiredService<IPublisher<Order>>().PublishAsync(n.Subject, new Order(secret, 42), cancellationToken: Ct);
        await LetTimePassAsync(host, TimeSpan.Zero);
        await handled.Task.WaitAsync(Guard, Ct);
        await ConsumerInfoAsync(host, n.StreamName, n.ConsumerName, i => i.AckFloor.StreamSeq == 1);
        // The consumer activity and its metrics are recorded just after the settlement the consumer info shows: flush
        // until they are in (at once on the engine, whose idle includes them).
        var tracer = host.Services.GetRequiredService<TracerProvider>();
        var meter = host.Services.GetRequiredService<MeterProvider>();
        List<Activity> Mine()
        {
            lock (activities)
            {
                return activities.Where(a => Equals(a.GetTagItem(GofluxTelemetry.Attributes.DestinationName), n.Subject)).ToList();
            }
        }

        // Cumulative sums, and the list holds only the last export (cleared before each flush); an instrument may appear
        // once per meter that created it.
        double Sum(string instrument) => metrics.Where(m => m.Name == instrument).SelectMany(Points)
            .Where(p => Tags(p).Any(t => t.Key == GofluxTelemetry.Attributes.DestinationName && Equals(t.Value, n.Subject)))
            .Sum(p => (double)p.GetSumLong());

        var deadline = TimeProvider.System.GetTimestamp();
        do
        {
            tracer.ForceFlush().Should().BeTrue();
            metrics.Clear();
            meter.ForceFlush().Should().BeTrue();
        }
        while ((Mine().Count < 3 || Sum(GofluxTelemetry.Metrics.ConsumedMessages) < 2) && TimeProvider.System.GetElapsedTime(deadline) < Guard && await Pause());

        var logs = host.Services.GetRequiredService<FakeLogCollector>().GetSnapshot();
        await host.StopAsync(Ct);

        var mine = Mine();
        var send = mine.Should().ContainSingle(a => a.Kind == ActivityKind.Producer).Which;
        var processed = mine.Where(a => a.Kind == ActivityKind.Consumer).ToList();
        processed.Should().HaveCount(2, "the failed delivery and the redelivery");
        processed.Should().OnlyContain(a => a.Links.Any(l => l.Context.TraceId == send.TraceId) && a.ParentSpanId == default);
        Sum(GofluxTelemetry.Metrics.SentMessages).Should().Be(1);
        Sum(GofluxTelemetry.Metrics.ConsumedMessages).Should().Be(2);

        logs.Should().Contain(r => r.Id.Id == 503 && r.Message.Contains(n.ConsumerName, StringComparison.Ordinal), "the host says when a consumer listens");
        logs.Should().Contain(r => r.Exception != null && r.Exception.Message == "handler failed once", "the handler's failure is logged");
        logs.Should().NotContain(r => r.Message.Contains(secret, StringComparison.Ordinal) || (r.Exception != null && r.Exception.ToString().Contains(secret, StringComparison.Ordinal)), "payloads are never logged");
    }

    private static async Task<bool> Pause()
    {
        await Task.Delay(TimeSpan.FromMilliseconds(20), TestContext.Current.CancellationToken);
        return true;
    }

    private static IEnumerable<MetricPoint> Points(MetricSnapshot metric) => metric.MetricPoints;

    private static List<KeyValuePair<string, object?>> Tags(MetricPoint point)
    {
        var tags = new List<KeyValuePair<string, object?>>();
        foreach (var t in point.Tags)
        {
            tags.Add(t);
        }

        return tags;
    }
}
