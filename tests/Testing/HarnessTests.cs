using Goflux.Hosting;
using Goflux.InMemory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using NATS.Client.JetStream.Models;

namespace Goflux.Testing.Tests;

/// <summary>The harness over an application's own registration, and what a test backend's publishers record (the engine: deterministic).</summary>
public sealed class HarnessTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AddGofluxTestHarness_OverTheAppsRegistration_HostedConsumerLandsInTheLedgerWithWhatItsHandlerThrew()
    {
        await using var goflux = await TestBackend.StartAsync(TestBackendKind.InMemory, cancellationToken: Ct);
        var calls = 0;
        using var host = App(goflux, (m, _, _) => ++calls == 1 ? throw new TimeoutException("slow") : ValueTask.CompletedTask);
        await host.StartAsync(Ct);

        await using var publisher = goflux.CreatePublisher<Event>();
        await publisher.PublishAsync("app.in", new Event("1", "in"), new PublishOptions { MessageId = "m-1" }, Ct);
        var history = await goflux.WaitForOutcomeAsync("m-1", AckOutcome.Acked, Ct);

        history.Should().HaveThrown<TimeoutException>().BeNakedWithDelay(5.Seconds()).Then.BeAcked().AndNoMore();
        history[0].Stream.Should().Be(goflux.StreamName("APP"), "the app's stream, under the test's name");
        history[0].Consumer.Should().Be("worker");
        history[1].Elapsed.Should().Be(5.Seconds(), "virtual time");
        goflux.Telemetry.ConsumerSpans("m-1").Should().HaveCount(2, "the hosted consumer's spans are the test's");
        goflux.Telemetry.AckOutcomes(AckOutcome.NakedWithDelay).Should().Be(1, "the hosted consumer records on the test's meter");
        await host.StopAsync(Ct);
    }

    [Fact]
    public async Task AddGofluxTestHarness_TheAppPublishes_PublishedListsItWithSubjectIdAndHeaders()
    {
        await using var goflux = await TestBackend.StartAsync(TestBackendKind.InMemory, cancellationToken: Ct);
        using var host = App(goflux, async (m, services, ct) =>
        {
            var headers = new MessageHeaders();
            headers.Add("Origin", m.Payload.Id);
            await services.GetRequiredService<IPublisher<Event>>().PublishAsync("app.out", m.Payload with { Name = "out" }, new PublishOptions { MessageId = "out-" + m.Payload.Id, Headers = headers }, ct);
        });
        await host.StartAsync(Ct);

        await using var publisher = goflux.CreatePublisher<Event>();
        await publisher.PublishAsync("app.in", new Event("7", "in"), new PublishOptions { MessageId = "m-7" }, Ct);
        var published = await goflux.WaitForPublishedAsync<Event>(p => p.Payload.Name == "out", cancellationToken: Ct);

        var out7 = published.Should().ContainSingle().Subject;
        (out7.Subject, out7.MessageId, out7.Payload).Should().Be((goflux.Subject("app.out"), "out-7", new Event("7", "out")));
        out7.Headers!["Origin"].Should().Be("7");
        out7.Result.Should().Be(new PublishResult(goflux.StreamName("APP"), 2, false), "stored after the test's own message");
        goflux.Published<Event>().Select(p => p.MessageId).Should().Equal("m-7", "out-7");
        await host.StopAsync(Ct);
    }

    [Fact]
    public async Task AddGofluxTestHarness_OnTheEngine_TheContainersClockIsTheEnginesAndTheAppsStreamsGoWithTheBackend()
    {
        InMemoryJetStream engine;
        await using (var goflux = await TestBackend.StartAsync(TestBackendKind.InMemory, cancellationToken: Ct))
        {
            engine = goflux.Engine!;
            using var host = App(goflux, (_, _, _) => ValueTask.CompletedTask);
            await host.StartAsync(Ct);
            await goflux.LetTimePassAsync(TimeSpan.FromHours(2), Ct);

            host.Services.GetRequiredService<TimeProvider>().GetUtcNow().Should().Be(goflux.StartedAt + TimeSpan.FromHours(2));
            (await goflux.Backend.GetStreamInfoAsync("APP", Ct)).Config.Name.Should().Be(goflux.StreamName("APP"));
            await host.StopAsync(Ct);
        }

        var gone = () => engine.GetStreamInfoAsync("APP", Ct).AsTask();
        await gone.Should().ThrowAsync<ObjectDisposedException>("the engine went with the backend");
    }

    [Fact]
    public async Task AddGofluxTestHarness_CalledBeforeTheAppsRegistration_StillReplacesItsBackend()
    {
        await using var goflux = await TestBackend.StartAsync(TestBackendKind.InMemory, cancellationToken: Ct);
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddGofluxTestHarness(goflux);
        Register(builder.Services, (_, _, _) => ValueTask.CompletedTask);
        using var host = builder.Build();

        await host.StartAsync(Ct);

        (await goflux.Backend.GetConsumerInfoAsync("APP", "worker", Ct)).Name.Should().Be("worker", "the app's topology was created on the test backend, not on the server the app names");
        await host.StopAsync(Ct);
    }

    [Fact]
    public async Task CreatePublisher_PlainSubject_PublishesUnderThePrefixAndRecordsOnlyWhatWasStored()
    {
        await using var goflux = await TestBackend.StartAsync(TestBackendKind.InMemory, cancellationToken: Ct);
        await goflux.CreateStreamAsync(new StreamConfig("EVENTS", ["events.>"]), Ct);
        await using var publisher = goflux.CreatePublisher<Event>();

        var stored = await publisher.PublishAsync("events.a", new Event("1", "a"), cancellationToken: Ct);
        var nowhere = () => publisher.PublishAsync("elsewhere.a", new Event("2", "b"), cancellationToken: Ct).AsTask();

        stored.Stream.Should().Be(goflux.StreamName("EVENTS"));
        await nowhere.Should().ThrowAsync<GofluxException>();
        goflux.Published<Event>().Should().ContainSingle().Which.Subject.Should().Be(goflux.Subject("events.a"));
        goflux.Published<string>().Should().BeEmpty("published messages are listed by payload type");
    }

    [Fact]
    public async Task SubscribeAsync_OnTheEngine_StatusIsStampedOnTheVirtualClock()
    {
        await using var goflux = await TestBackend.StartAsync(TestBackendKind.InMemory, new TestBackendOptions { Epoch = new DateTimeOffset(2031, 5, 1, 0, 0, 0, TimeSpan.Zero) }, Ct);
        var stream = await goflux.CreateStreamAsync(new StreamConfig("EVENTS", ["events.>"]), Ct);
        var consumer = await goflux.CreateConsumerAsync(stream, new ConsumerConfig("c"), Ct);

        var subscription = await goflux.SubscribeAsync<Event>(consumer, (_, _) => ValueTask.CompletedTask, cancellationToken: Ct);

        subscription.Status.State.Should().Be(SubscriptionState.Listening);
        subscription.Status.Since.Should().Be(new DateTimeOffset(2031, 5, 1, 0, 0, 0, TimeSpan.Zero), "the subscriber's clock, not the wall clock");
    }

    private static IHost App(TestBackend goflux, Func<Message<Event>, IServiceProvider, CancellationToken, ValueTask> handle)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        Register(builder.Services, handle);
        builder.Services.AddGofluxTestHarness(goflux);
        return builder.Build();
    }

    // The application's own registration: on JetStream at an address nothing listens on; the harness replaces it.
    private static void Register(IServiceCollection services, Func<Message<Event>, IServiceProvider, CancellationToken, ValueTask> handle)
        => services.AddGoflux(g => g
            .UseJetStream("nats://127.0.0.1:1")
            .AddStream(new StreamConfig("APP", ["app.>"]))
            .AddConsumer("APP", new ConsumerConfig("worker") { FilterSubject = "app.in", AckPolicy = ConsumerConfigAckPolicy.Explicit })
            .AddPublisher<Event>()
            .AddHandler<Event>("APP", "worker", handle, c => c.RetryAck(RetryPolicy.Default with { InitialDelay = TimeSpan.FromSeconds(5) })));
}
