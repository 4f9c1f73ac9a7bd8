using FluentAssertions;
using Goflux.JetStream;
using Goflux.Testing;
using NATS.Client.JetStream.Models;
using Xunit;

namespace Goflux.Integration.Tests.JetStream;

public sealed class JetStreamSetupTests(NatsServerFixture server)
{
    [Fact]
    public async Task EnsureStreamAsync_SameConfigTwice_ReturnsExistingStreamWithItsMessages()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var scope = await JetStreamScope.CreateAsync(server, ct);
        await using var publisher = new JetStreamPublisher<Event>(scope.Js, EventJsonContext.Codec);
        await publisher.PublishAsync(scope.Subject(), new Event("1", "kept"), cancellationToken: ct);

        var again = await JetStreamSetup.EnsureStreamAsync(scope.Js, scope.StreamConfig(), ct);
        var third = await JetStreamSetup.EnsureStreamAsync(scope.Js, scope.StreamConfig(), ct);

        again.Info.Config.Name.Should().Be(scope.Stream);
        again.Info.State.Messages.Should().Be(1);
        third.Info.State.Messages.Should().Be(1);
    }

    [Fact]
    public async Task EnsureStreamAsync_DifferentConfig_ThrowsWithErrorCode10058AndLeavesStreamUnchanged()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var scope = await JetStreamScope.CreateAsync(server, ct);
        var different = scope.StreamConfig();
        different.Subjects = [scope.Prefix + ".other.>"];

        var act = async () => await JetStreamSetup.EnsureStreamAsync(scope.Js, different, ct);

        var thrown = (await act.Should().ThrowAsync<GofluxException>()).Which;
        thrown.ErrorCode.Should().Be(10058);
        thrown.Stage.Should().Be(GofluxStage.Transport);
        thrown.Message.Should().Contain($"Stream '{scope.Stream}' already exists with a different configuration");
        var stream = await scope.Js.GetStreamAsync(scope.Stream, cancellationToken: ct);
        stream.Info.Config.Subjects.Should().Equal(scope.Prefix + ".>");
    }

    [Fact]
    public async Task EnsureStreamAsync_InvalidConfig_ThrowsWithServerErrorCode()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var scope = await JetStreamScope.CreateAsync(server, ct);
        var invalid = new StreamConfig("X" + scope.Stream, [scope.Prefix + "x.a..b"]);

        var act = async () => await JetStreamSetup.EnsureStreamAsync(scope.Js, invalid, ct);

        var thrown = (await act.Should().ThrowAsync<GofluxException>()).Which;
        thrown.ErrorCode.Should().NotBeNull();
        thrown.Message.Should().Contain($"Creating stream 'X{scope.Stream}' failed");
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
}
