using FluentAssertions;
using Goflux.InMemory;
using Goflux.JetStream;
using Goflux.Testing;
using NATS.Client.JetStream.Models;
using Xunit;

namespace Goflux.Integration.Tests.JetStream;

/// <summary>The JetStream side of the shared backend: the one create-or-update rule, and errors reported as the engine's backend reports them.</summary>
public sealed class JetStreamBackendTests(NatsServerFixture server)
{
    [Fact]
    public async Task CreateOrUpdateStreamAsync_SameConfigTwice_KeepsTheStreamWithItsMessages()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var scope = await JetStreamScope.CreateAsync(server, ct);
        await using var publisher = new JetStreamPublisher<Event>(scope.Js, EventJsonContext.Codec);
        await publisher.PublishAsync(scope.Subject(), new Event("1", "kept"), cancellationToken: ct);

        var again = await scope.Backend.CreateOrUpdateStreamAsync(scope.StreamConfig(), ct);
        var third = await scope.Backend.CreateOrUpdateStreamAsync(scope.StreamConfig(), ct);

        again.Config.Name.Should().Be(scope.Stream);
        again.State.Messages.Should().Be(1);
        third.State.Messages.Should().Be(1);
    }

    [Fact]
    public async Task CreateOrUpdateStreamAsync_ChangedSubjects_UpdatesTheStreamKeepingItsMessages()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var scope = await JetStreamScope.CreateAsync(server, ct);
        await using var publisher = new JetStreamPublisher<Event>(scope.Js, EventJsonContext.Codec);
        await publisher.PublishAsync(scope.Subject(), new Event("1", "kept"), cancellationToken: ct);
        var changed = scope.StreamConfig();
        changed.Subjects = [scope.Prefix + ".>", scope.Prefix + "-more.>"];

        var info = await scope.Backend.CreateOrUpdateStreamAsync(changed, ct);

        info.Config.Subjects.Should().Equal(scope.Prefix + ".>", scope.Prefix + "-more.>");
        info.State.Messages.Should().Be(1, "an update keeps the stream's messages");
    }

    [Fact]
    public async Task CreateOrUpdateStreamAsync_AChangeTheServerRefuses_ThrowsWithItsErrorCodeAndLeavesTheStream()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var scope = await JetStreamScope.CreateAsync(server, ct);
        var toFile = scope.StreamConfig();
        toFile.Storage = StreamConfigStorage.File;

        var act = async () => await scope.Backend.CreateOrUpdateStreamAsync(toFile, ct);

        var thrown = (await act.Should().ThrowAsync<GofluxException>()).Which;
        thrown.ErrorCode.Should().NotBeNull();
        thrown.Stage.Should().Be(GofluxStage.Transport);
        thrown.Message.Should().StartWith($"Creating or updating stream '{scope.Stream}' failed: ").And.Contain($"(err_code {thrown.ErrorCode})");
        (await scope.Js.GetStreamAsync(scope.Stream, cancellationToken: ct)).Info.Config.Storage.Should().Be(StreamConfigStorage.Memory);
    }

    [Fact]
    public async Task CreateOrUpdateConsumerAsync_Twice_KeepsConsumerState()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var scope = await JetStreamScope.CreateAsync(server, ct);
        await using var publisher = new JetStreamPublisher<Event>(scope.Js, EventJsonContext.Codec);
        await publisher.PublishAsync(scope.Subject(), new Event("1", "pending"), cancellationToken: ct);

        var first = await scope.ConsumerAsync(cancellationToken: ct);
        var second = await scope.ConsumerAsync(cancellationToken: ct);

        first.Info.Name.Should().Be("c");
        second.Info.Name.Should().Be("c");
        second.Info.NumPending.Should().Be(1);
    }

    [Fact]
    public async Task Failures_TheSameCallOnBothBackends_ReportedAlike()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var scope = await JetStreamScope.CreateAsync(server, ct);
        await using var engine = new InMemoryJetStream();
        IGofluxBackend memory = new InMemoryBackend(engine);
        await memory.CreateOrUpdateStreamAsync(scope.StreamConfig(), ct);
        var missing = "NOPE" + scope.Stream;
        var calls = new (string What, Func<IGofluxBackend, Task> Call)[]
        {
            ("stream info of a missing stream", b => b.GetStreamInfoAsync(missing, ct).AsTask()),
            ("deleting a missing stream", b => b.DeleteStreamAsync(missing, ct).AsTask()),
            ("a consumer on a missing stream", b => b.CreateOrUpdateConsumerAsync(missing, new ConsumerConfig("c"), ct).AsTask()),
            ("info of a missing consumer", b => b.GetConsumerInfoAsync(scope.Stream, "ghost", ct).AsTask()),
            ("deleting a missing consumer", b => b.DeleteConsumerAsync(scope.Stream, "ghost", ct).AsTask()),
            ("subscribing to a missing consumer", b => b.CreateSubscriberAsync(scope.Stream, "ghost", EventJsonContext.Codec, cancellationToken: ct).AsTask()),
        };

        foreach (var (what, call) in calls)
        {
            var onServer = await FailureOf(() => call(scope.Backend));
            var onEngine = await FailureOf(() => call(memory));

            (onEngine.Stage, onEngine.ErrorCode, onEngine.Message).Should().Be((onServer.Stage, onServer.ErrorCode, onServer.Message), what);
        }
    }

    private static async Task<GofluxException> FailureOf(Func<Task> call)
    {
        try
        {
            await call();
        }
        catch (GofluxException ex)
        {
            return ex;
        }

        throw new InvalidOperationException("The call succeeded; it was meant to fail.");
    }
}
