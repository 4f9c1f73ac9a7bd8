using System.Diagnostics.Metrics;
using System.Text.Json;
using Goflux.Hosting.Internal;
using Goflux.InMemory;
using Goflux.Transport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using NATS.Client.Core;
using NATS.Client.JetStream.Models;
using NATS.Extensions.Microsoft.DependencyInjection;
using OpenTelemetry.Trace;

namespace Goflux.Hosting.Tests;

/// <summary>Registration, bad input, configuration, readiness and health on the engine (virtual time, no server).</summary>
public sealed class EngineHostTests
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);
    private readonly FakeTimeProvider _time = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private IHost BuildHost(Action<GofluxBuilder> declare, Action<IServiceCollection>? services = null, Dictionary<string, string?>? configuration = null)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        if (configuration is not null)
        {
            builder.Configuration.AddInMemoryCollection(configuration);
        }

        builder.Services.AddSingleton<TimeProvider>(_time);
        builder.Services.AddGoflux(g => declare(g.UseEngine()));
        services?.Invoke(builder.Services);
        return builder.Build();
    }

    // ---- registration ----

    [Fact]
    public void AddGoflux_WithoutBackend_ThrowsNamingBothChoices()
    {
        var services = new ServiceCollection();
        var act = () => services.AddGoflux(g => g.AddPublisher<Order>());
        act.Should().Throw<InvalidOperationException>().WithMessage("*UseJetStream(*UseBackend(*");
    }

    [Fact]
    public void AddGoflux_TwoBackends_Throws()
    {
        var services = new ServiceCollection();
        var act = () => services.AddGoflux(g => g.UseEngine().UseJetStream());
        act.Should().Throw<InvalidOperationException>().WithMessage("*already chosen*");
    }

    [Fact]
    public async Task UseBackend_BuildsTheBackendFromTheContainer_Once()
    {
        var built = 0;
        await using var provider = new ServiceCollection()
            .AddSingleton<TimeProvider>(_time)
            .AddGoflux(g => g.UseBackend(sp =>
            {
                Interlocked.Increment(ref built);
                return new InMemoryBackend(new InMemoryJetStream(sp.GetRequiredService<TimeProvider>()));
            }).AddPublisher<Order>())
            .BuildServiceProvider();

        var backend = provider.GetRequiredService<IGofluxBackend>().Should().BeOfType<InMemoryBackend>().Subject;
        provider.GetRequiredService<IPublisher<Order>>().Should().BeOfType<InMemoryPublisher<Order>>();
        _time.Advance(TimeSpan.FromHours(5));
        backend.Engine.TimeProvider.GetUtcNow().Should().Be(_time.GetUtcNow(), "the factory was given the container");
        built.Should().Be(1);
    }

    [Fact]
    public void UseBackend_ABackendRegisteredBefore_IsKept()
    {
        var services = new ServiceCollection();
        var registered = new InMemoryBackend(new InMemoryJetStream(_time));
        services.AddSingleton<IGofluxBackend>(registered);

        services.AddGoflux(g => g.UseJetStream("nats://127.0.0.1:1"));

        services.Where(d => d.ServiceType == typeof(IGofluxBackend)).Should().ContainSingle()
            .Which.ImplementationInstance.Should().BeSameAs(registered, "a harness registered first keeps its backend");
    }

    [Fact]
    public async Task UseJetStream_ReusesTheConnectionTheApplicationRegistered()
    {
        var services = new ServiceCollection();
        services.AddNatsClient(n => n.ConfigureOptions(o => o.Configure(b => b.Opts = b.Opts with { Url = "nats://127.0.0.1:1" })));
        services.AddGoflux(g => g.UseJetStream().AddPublisher<Order>());
        await using var provider = services.BuildServiceProvider();

        services.Count(d => d.ServiceType == typeof(INatsConnection)).Should().Be(1, "goflux adds no second connection");
        var backend = provider.GetRequiredService<IGofluxBackend>();
        backend.Should().BeOfType<Goflux.JetStream.JetStreamBackend>();
        provider.GetRequiredService<IPublisher<Order>>().Should().BeOfType<Goflux.JetStream.JetStreamPublisher<Order>>();
    }

    [Fact]
    public void UseJetStream_WithConfigurationWhenAConnectionIsRegistered_ThrowsPointingToIt()
    {
        var services = new ServiceCollection();
        services.AddNatsClient();
        var act = () => services.AddGoflux(g => g.UseJetStream("nats://127.0.0.1:4222"));
        act.Should().Throw<InvalidOperationException>().WithMessage("*already registered*UseJetStream()*");
    }

    [Fact]
    public async Task Publishers_FromTheContainer_WithTheSourceGeneratedTypeInfoAndBoundTopics()
    {
        var n = Names.New();
        using var host = BuildHost(
            g => g.AddStream(n.Stream()).AddPublisher<Order>(n.Subject),
            s => s.AddSingleton(TestJsonContext.Default.Order));
        await host.StartAsync(Ct);
        var topic = host.Services.GetRequiredKeyedService<BoundPublisher<Order>>(n.Subject);
        await topic.PublishAsync(new Order("a", 1), cancellationToken: Ct);

        var engine = host.Services.GetRequiredService<InMemoryJetStream>();
        var stored = engine.GetStoredMessages(n.StreamName).Should().ContainSingle().Which;
        JsonSerializer.Deserialize(stored.Data.Span, TestJsonContext.Default.Order).Should().Be(new Order("a", 1));
        host.Services.GetRequiredService<IPublisher<Order>>().Should().BeSameAs(host.Services.GetRequiredService<IPublisher<Order>>());
        await host.StopAsync(Ct);
    }

    [Fact]
    public async Task Publishers_JsonSerializerOptionsFromTheContainer_AreUsed()
    {
        var n = Names.New();
        using var host = BuildHost(
            g => g.AddStream(n.Stream()).AddPublisher<Order>(),
            s => s.AddSingleton(new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseUpper, TypeInfoResolver = TestJsonContext.Default }));
        await host.StartAsync(Ct);
        await host.Services.GetRequiredService<IPublisher<Order>>().PublishAsync(n.Subject, new Order("a", 1), cancellationToken: Ct);

        var stored = host.Services.GetRequiredService<InMemoryJetStream>().GetStoredMessages(n.StreamName).Should().ContainSingle().Which;
        System.Text.Encoding.UTF8.GetString(stored.Data.Span).Should().Contain("\"ID\":\"a\"");
        await host.StopAsync(Ct);
    }

    [Fact]
    public async Task Telemetry_MetersComeFromTheHostsMeterFactory()
    {
        var n = Names.New();
        using var host = BuildHost(g => g.AddStream(n.Stream()).AddPublisher<Order>());
        var factory = host.Services.GetRequiredService<IMeterFactory>();
        using var sent = new MetricCollector<long>(factory, GofluxTelemetry.SourceName, GofluxTelemetry.Metrics.SentMessages);
        using var otherHost = BuildHost(g => g.AddStream(n.Stream() with { Name = n.StreamName + "_OTHER", Subjects = [n.Subject + ".other"] }).AddPublisher<Order>());
        using var otherSent = new MetricCollector<long>(otherHost.Services.GetRequiredService<IMeterFactory>(), GofluxTelemetry.SourceName, GofluxTelemetry.Metrics.SentMessages);
        await host.StartAsync(Ct);

        await host.Services.GetRequiredService<IPublisher<Order>>().PublishAsync(n.Subject, new Order("m", 1), cancellationToken: Ct);

        sent.GetMeasurementSnapshot().Should().ContainSingle().Which.Value.Should().Be(1);
        otherSent.GetMeasurementSnapshot().Should().BeEmpty("another host's meter factory sees nothing of this one");
        await host.StopAsync(Ct);
    }

    [Fact]
    public async Task Telemetry_BacklogHandledDuringStart_IsTracedByTheHostsProvider()
    {
        var n = Names.New();
        var engine = new InMemoryJetStream(_time);
        await engine.CreateOrUpdateStreamAsync(n.Stream(), Ct);
        await using (var early = new InMemoryPublisher<Order>(engine, new Goflux.Codecs.JsonCodec<Order>(TestJsonContext.Default.Order)))
        {
            await early.PublishAsync(n.Subject, new Order("backlog", 1), cancellationToken: Ct);
        }

        var activities = new List<System.Diagnostics.Activity>();
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddGoflux(g => g.UseEngine(engine).AddStream(n.Stream()).AddConsumer(n.StreamName, n.Consumer())
            .AddHandler<Order>(n.StreamName, n.ConsumerName, (_, _, _) => ValueTask.CompletedTask));
        builder.Services.AddOpenTelemetry().WithTracing(t => t.AddGofluxInstrumentation().AddInMemoryExporter(activities));
        using var host = builder.Build();

        await host.StartAsync(Ct);
        await engine.WaitForIdleAsync(Ct);
        await host.StopAsync(Ct);

        lock (activities)
        {
            activities.Should().Contain(a => a.DisplayName == "process " + n.Subject, "the backlog is handled as goflux starts, ahead of the OpenTelemetry host service");
        }

        await engine.DisposeAsync();
    }

    // ---- bad input: the host does not start, nothing is published ----

    [Fact]
    public async Task BadInput_ConsumerOnAnUndeclaredStream_HostFailsToStart_NothingPublished()
    {
        var n = Names.New();
        var probe = new PublishingProbe(n.Subject);
        using var host = BuildHost(
            g => g.AddConsumer(n.StreamName, n.Consumer()).AddPublisher<Order>()
                .AddHandler<Order>(n.StreamName, n.ConsumerName, (_, _, _) => ValueTask.CompletedTask),
            s => s.AddSingleton(probe).AddHostedService(sp => probe.Wire(sp)));

        var error = (await FluentActions.Awaiting(() => host.StartAsync(Ct)).Should().ThrowAsync<InvalidOperationException>()).Which;
        error.Message.Should().Contain($"consumer '{n.ConsumerName}' is declared on stream '{n.StreamName}', which is not declared");
        probe.Started.Should().BeFalse();
        (await FluentActions.Awaiting(() => host.Services.GetRequiredService<InMemoryJetStream>().GetStreamInfoAsync(n.StreamName, Ct).AsTask())
            .Should().ThrowAsync<GofluxException>()).Which.ErrorCode.Should().Be(10059, "nothing was created either");
    }

    [Fact]
    public async Task BadInput_HandlerOnAnUndeclaredConsumer_HostFailsToStart()
    {
        var n = Names.New();
        using var host = BuildHost(g => g.AddStream(n.Stream())
            .AddHandler<Order>(n.StreamName, "ghost", (_, _, _) => ValueTask.CompletedTask));

        (await FluentActions.Awaiting(() => host.StartAsync(Ct)).Should().ThrowAsync<InvalidOperationException>())
            .WithMessage($"*hosted consumer 'ghost' is not declared on stream '{n.StreamName}'*");
    }

    [Fact]
    public async Task BadInput_UnregisteredHandlerType_HostFailsToStartNamingIt_NothingPublished()
    {
        var n = Names.New();
        var probe = new PublishingProbe(n.Subject);
        using var host = BuildHost(
            g => g.AddStream(n.Stream()).AddConsumer(n.StreamName, n.Consumer()).AddPublisher<Order>()
                .AddHandler<Order, RecordingHandler>(n.StreamName, n.ConsumerName),
            s => s.AddSingleton(probe).AddHostedService(sp => probe.Wire(sp)));

        (await FluentActions.Awaiting(() => host.StartAsync(Ct)).Should().ThrowAsync<InvalidOperationException>())
            .WithMessage("*handler type 'Goflux.Hosting.Tests.RecordingHandler' of hosted consumer*is not registered*AddScoped<RecordingHandler>()*");
        probe.Started.Should().BeFalse();
        host.Services.GetRequiredService<InMemoryJetStream>().Events.Should().BeEmpty("nothing was created or published");
    }

    [Fact]
    public async Task BadInput_HandlerWithAnUnregisteredDependency_HostFailsToStartNamingIt()
    {
        var n = Names.New();
        using var host = BuildHost(
            g => g.AddStream(n.Stream()).AddConsumer(n.StreamName, n.Consumer())
                .AddHandler<Order, RecordingHandler>(n.StreamName, n.ConsumerName),
            s => s.AddScoped<RecordingHandler>().AddScoped<ScopeProbe>()); // Recorder is missing

        (await FluentActions.Awaiting(() => host.StartAsync(Ct)).Should().ThrowAsync<InvalidOperationException>())
            .WithMessage("*RecordingHandler' of hosted consumer*cannot be created*Recorder*");
    }

    [Fact]
    public void BadInput_InvalidValuesInCode_ThrowAtRegistration()
    {
        var services = new ServiceCollection();
        FluentActions.Invoking(() => services.AddGoflux(g => g.UseEngine().AddHandler<Order>("S", "c", (_, _, _) => default, c => c.WithMaxConcurrency(0))))
            .Should().Throw<ArgumentOutOfRangeException>().WithParameterName("maxConcurrency");
        FluentActions.Invoking(() => new ServiceCollection().AddGoflux(g => g.UseEngine().AddHandler<Order>("S", "c", (_, _, _) => default, c => c.RetryAck(new RetryPolicy { Multiplier = 0.5 }))))
            .Should().Throw<ArgumentException>().WithMessage("*Multiplier*");
        FluentActions.Invoking(() => new ServiceCollection().AddGoflux(g => g.UseEngine().AddPublisher<Order>("bad subject")))
            .Should().Throw<ArgumentException>();
    }

    // ---- configuration ----

    [Fact]
    public async Task Configuration_OverridesTheCode_AndIsUsed()
    {
        var n = Names.New();
        using var host = BuildHost(
            g => g.AddStream(n.Stream()).AddConsumer(n.StreamName, n.Consumer())
                .AddHandler<Order>(n.StreamName, n.ConsumerName, (_, _, _) => ValueTask.CompletedTask, c => c.WithMaxConcurrency(2)),
            configuration: new() { [$"Goflux:Consumers:{n.StreamName}:{n.ConsumerName}:MaxConcurrency"] = "3" });
        await host.StartAsync(Ct);

        host.Services.GetRequiredService<IOptionsMonitor<GofluxHandlerOptions>>().Get(GofluxHandlerOptions.NameOf(n.StreamName, n.ConsumerName)).MaxConcurrency.Should().Be(3);
        host.Services.GetRequiredService<GofluxHostedService>().Consumers.Should().ContainSingle().Which.Statuses.Should().HaveCount(3, "one listening worker per unit of concurrency");
        await host.StopAsync(Ct);
    }

    [Fact]
    public async Task Configuration_SameConsumerNameOnTwoStreams_EachHasItsOwnHandlerAndSettings()
    {
        var a = Names.New();
        var b = a with { StreamName = a.StreamName + "_B", Subject = a.Subject + ".b" };
        var handledBy = new List<string>();
        Func<Message<Order>, IServiceProvider, CancellationToken, ValueTask> Record(string stream) => (_, _, _) =>
        {
            lock (handledBy)
            {
                handledBy.Add(stream);
            }

            return ValueTask.CompletedTask;
        };
        using var host = BuildHost(
            g => g.AddStream(a.Stream()).AddStream(b.Stream()).AddPublisher<Order>()
                .AddConsumer(a.StreamName, a.Consumer()).AddConsumer(b.StreamName, b.Consumer())
                .AddHandler<Order>(a.StreamName, a.ConsumerName, Record(a.StreamName))
                .AddHandler<Order>(b.StreamName, b.ConsumerName, Record(b.StreamName)),
            configuration: new() { [$"Goflux:Consumers:{b.StreamName}:{b.ConsumerName}:MaxConcurrency"] = "3" });
        await host.StartAsync(Ct);

        var publisher = host.Services.GetRequiredService<IPublisher<Order>>();
        await publisher.PublishAsync(a.Subject, new Order("a", 1), cancellationToken: Ct);
        await publisher.PublishAsync(b.Subject, new Order("b", 2), cancellationToken: Ct);
        await host.Services.GetRequiredService<InMemoryJetStream>().WaitForIdleAsync(Ct);

        handledBy.Should().BeEquivalentTo([a.StreamName, b.StreamName], "one consumer name, two consumers: each handler runs for its own stream");
        var consumers = host.Services.GetRequiredService<GofluxHostedService>().Consumers;
        consumers.Single(c => c.Stream == a.StreamName).Statuses.Should().HaveCount(1);
        consumers.Single(c => c.Stream == b.StreamName).Statuses.Should().HaveCount(3, "the key names the stream too");
        await host.StopAsync(Ct);
    }

    [Fact]
    public void AddHandler_SecondHandlerForTheSameStreamAndConsumer_ThrowsNamingBoth()
    {
        var act = () => new ServiceCollection().AddGoflux(g => g.UseEngine()
            .AddHandler<Order>("S", "c", (_, _, _) => default)
            .AddHandler<Order>("S", "c", (_, _, _) => default));

        act.Should().Throw<ArgumentException>().WithMessage("*Consumer 'c' on stream 'S' already has a hosted handler*");
    }

    [Fact]
    public async Task Configuration_InvalidValues_HostFailsToStartNamingEachKey_NothingPublished()
    {
        var n = Names.New();
        var probe = new PublishingProbe(n.Subject);
        using var host = BuildHost(
            g => g.AddStream(n.Stream()).AddConsumer(n.StreamName, n.Consumer()).AddPublisher<Order>()
                .AddHandler<Order>(n.StreamName, n.ConsumerName, (_, _, _) => ValueTask.CompletedTask),
            s => s.AddSingleton(probe).AddHostedService(sp => probe.Wire(sp)),
            new()
            {
                [$"Goflux:Consumers:{n.StreamName}:{n.ConsumerName}:MaxConcurrency"] = "0",
                [$"Goflux:Consumers:{n.StreamName}:{n.ConsumerName}:MaxMessages"] = "-5",
                ["Goflux:StartTimeout"] = "-00:00:01",
            });

        var text = await StartFailureAsync(host);
        text.Should().Contain($"Goflux:Consumers:{n.StreamName}:{n.ConsumerName}:MaxConcurrency must be between 1 and 1024 (was 0)");
        text.Should().Contain($"Goflux:Consumers:{n.StreamName}:{n.ConsumerName}:MaxMessages must be at least 1 (was -5)");
        text.Should().Contain("Goflux:StartTimeout must be positive");
        probe.Started.Should().BeFalse();
        host.Services.GetRequiredService<InMemoryJetStream>().Events.Should().BeEmpty();
    }

    [Fact]
    public async Task PushConsumer_WithoutADeliverGroup_MoreThanOneWorker_HostFailsToStartNamingTheKey()
    {
        var n = Names.New();
        using var host = BuildHost(
            g => g.AddStream(n.Stream()).AddConsumer(n.StreamName, n.Consumer() with { DeliverSubject = "deliver." + n.ConsumerName })
                .AddHandler<Order>(n.StreamName, n.ConsumerName, (_, _, _) => ValueTask.CompletedTask, c => c.WithMaxConcurrency(2)));

        var text = await StartFailureAsync(host);
        text.Should().Contain($"Goflux:Consumers:{n.StreamName}:{n.ConsumerName}:MaxConcurrency must be 1 for push consumer '{n.ConsumerName}' without a DeliverGroup (was 2)");
    }

    [Fact]
    public async Task Configuration_ValueOfTheWrongType_HostFailsToStartNamingTheKey()
    {
        var n = Names.New();
        using var host = BuildHost(
            g => g.AddStream(n.Stream()).AddConsumer(n.StreamName, n.Consumer())
                .AddHandler<Order>(n.StreamName, n.ConsumerName, (_, _, _) => ValueTask.CompletedTask),
            configuration: new() { [$"Goflux:Consumers:{n.StreamName}:{n.ConsumerName}:MaxConcurrency"] = "many" });

        (await StartFailureAsync(host)).Should().Contain($"Goflux:Consumers:{n.StreamName}:{n.ConsumerName}:MaxConcurrency");
    }

    // ---- readiness, concurrency, health ----

    [Fact]
    public async Task Readiness_StartPublishAtOnceWaitForIdle_HandlerRanEveryTime_1000Runs()
    {
        const int runs = 1000;
        var handled = 0;
        var seen = new List<decimal>();
        for (var run = 0; run < runs; run++)
        {
            var engine = new InMemoryJetStream(_time);
            var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
            builder.Services.AddGoflux(g => g.UseEngine(engine)
                .AddStream(new StreamConfig("READY", ["ready.>"]) { Storage = StreamConfigStorage.Memory })
                .AddConsumer("READY", new ConsumerConfig("worker") { AckPolicy = ConsumerConfigAckPolicy.Explicit })
                .AddPublisher<Order>()
                .AddHandler<Order>("READY", "worker", (m, _, _) =>
                {
                    lock (seen)
                    {
                        seen.Add(m.Payload.Amount);
                    }

                    Interlocked.Increment(ref handled);
                    return ValueTask.CompletedTask;
                }));
            using var host = builder.Build();

            await host.StartAsync(Ct);
            await host.Services.GetRequiredService<IPublisher<Order>>().PublishAsync("ready.1", new Order("r", run), cancellationToken: Ct);
            await engine.WaitForIdleAsync(Ct);

            Volatile.Read(ref handled).Should().Be(run + 1, $"run {run + 1}: the handler ran before the engine was idle");
            await host.StopAsync(Ct);
            await engine.DisposeAsync();
        }

        seen.Should().Equal(Enumerable.Range(0, runs).Select(r => (decimal)r), "each host handled its own run's message, once");
    }

    [Fact]
    public async Task Concurrency_LimitOfTwo_TwoHandlersRunAtOnce_NeverThree()
    {
        var n = Names.New();
        var running = 0;
        var peak = 0;
        var twoRunning = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var done = new CountdownEvent(3);
        using var host = BuildHost(g => g.AddStream(n.Stream()).AddConsumer(n.StreamName, n.Consumer()).AddPublisher<Order>()
            .AddHandler<Order>(
                n.StreamName,
                n.ConsumerName,
                async (_, _, _) =>
                {
                    var now = Interlocked.Increment(ref running);
                    InterlockedMax(ref peak, now);
                    if (now == 2)
                    {
                        twoRunning.TrySetResult();
                    }

                    await release.Task;
                    Interlocked.Decrement(ref running);
                    done.Signal();
                },
                c => c.WithMaxConcurrency(2).WithMaxMessages(2)));
        await host.StartAsync(Ct);
        var publisher = host.Services.GetRequiredService<IPublisher<Order>>();
        for (var i = 0; i < 3; i++)
        {
            await publisher.PublishAsync(n.Subject, new Order($"c{i}", i), cancellationToken: Ct);
        }

        await twoRunning.Task.WaitAsync(Guard, Ct);
        release.SetResult();
        await host.Services.GetRequiredService<InMemoryJetStream>().WaitForIdleAsync(Ct);
        await host.StopAsync(Ct);

        done.CurrentCount.Should().Be(0, "all three were handled");
        peak.Should().Be(2);
    }

    [Fact]
    public async Task Health_ConsumerDeletedUnderTheHost_ReportsFaultedWithTheError()
    {
        var n = Names.New();
        using var host = BuildHost(
            g => g.AddStream(n.Stream()).AddConsumer(n.StreamName, n.Consumer())
                .AddHandler<Order>(n.StreamName, n.ConsumerName, (_, _, _) => ValueTask.CompletedTask),
            s => s.AddHealthChecks().AddGoflux());
        await host.StartAsync(Ct);
        var health = host.Services.GetRequiredService<HealthCheckService>();
        (await health.CheckHealthAsync(Ct)).Status.Should().Be(HealthStatus.Healthy);

        var engine = host.Services.GetRequiredService<InMemoryJetStream>();
        var status = host.Services.GetRequiredService<GofluxHostedService>().Consumers.Single().Statuses.Single();
        var faulted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        status.StateChanged += (_, s) =>
        {
            if (s == SubscriptionState.Faulted)
            {
                faulted.TrySetResult();
            }
        };
        await engine.DeleteConsumerAsync(n.StreamName, n.ConsumerName, Ct);
        await faulted.Task.WaitAsync(Guard, Ct);

        var report = (await health.CheckHealthAsync(Ct)).Entries["goflux"];
        report.Status.Should().Be(HealthStatus.Unhealthy);
        report.Data[$"{n.StreamName}/{n.ConsumerName}"].Should().Be("Faulted");
        report.Description.Should().Contain($"{n.StreamName}/{n.ConsumerName} is faulted").And.Contain("was deleted").And.Contain("10014");
        report.Exception.Should().BeOfType<GofluxException>();
        await host.StopAsync(Ct);
    }

    [Fact]
    public async Task Health_InterruptedWorker_ReportsDegradedAsReconnecting()
    {
        var registry = new GofluxRegistry();
        registry.Handlers.Add(new HandlerRegistration<Order>("S", "c", null, (_, _, _) => default, new GofluxHandlerBuilder<Order>.HandlerPipeline([], null)));
        var listening = new SubscriptionStatusSource(_time);
        var interrupted = new SubscriptionStatusSource(_time);
        listening.Report(SubscriptionState.Listening);
        interrupted.Report(SubscriptionState.Interrupted, new TimeoutException("server went away"));
        var check = new GofluxHealthCheck(registry, () => [new StubConsumer("S", "c", [listening.Status, interrupted.Status])]);

        var result = await check.CheckHealthAsync(new HealthCheckContext(), Ct);

        result.Status.Should().Be(HealthStatus.Degraded);
        result.Description.Should().Be("S/c is reconnecting: server went away");
        result.Data["S/c"].Should().Be("Interrupted");
    }

    private static async Task<string> StartFailureAsync(IHost host)
    {
        try
        {
            await host.StartAsync(Ct);
        }
        catch (Exception ex)
        {
            return ex.ToString();
        }

        throw new InvalidOperationException("The host started although its configuration is invalid.");
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }

    private sealed class StubConsumer(string stream, string consumer, IReadOnlyList<SubscriptionStatus> statuses) : HostedConsumer
    {
        public override string Stream => stream;

        public override string Consumer => consumer;

        public override IReadOnlyList<SubscriptionStatus> Statuses => statuses;

        public override Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public override Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public override ValueTask DisposeAsync() => default;
    }
}
