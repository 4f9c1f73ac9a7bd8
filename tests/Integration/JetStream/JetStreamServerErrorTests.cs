using FluentAssertions;
using Goflux.JetStream;
using Goflux.Testing;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using Xunit;

namespace Goflux.Integration.Tests.JetStream;

/// <summary>Failures the server reports surface as <see cref="GofluxException"/> with the stage and the server's err_code.</summary>
public sealed class JetStreamServerErrorTests(NatsServerFixture server)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task PublishAsync_NoStreamCapturesSubject_ThrowsPublishStage()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var scope = await JetStreamScope.CreateAsync(server, ct);
        await using var publisher = new JetStreamPublisher<Event>(scope.Js, EventJsonContext.Codec);
        var subject = "nostream." + scope.Prefix;

        var act = async () => await publisher.PublishAsync(subject, new Event("1", "lost"), cancellationToken: ct);

        var thrown = await act.Should().ThrowAsync<GofluxException>();
        thrown.Which.Stage.Should().Be(GofluxStage.Publish);
        thrown.Which.Subject.Should().Be(subject);
        thrown.Which.Message.Should().Contain($"No stream captures subject '{subject}'");
        thrown.Which.PublishOutcome.Should().Be(PublishOutcome.NoStream, "the server answered 503 no responders");
        thrown.Which.IsOutcomeUnknown.Should().BeFalse();
        thrown.Which.IsPermanent.Should().BeFalse("a stream may be created for the subject later");
    }

    [Fact]
    public async Task PublishAsync_ServerRejectsMessage_ThrowsPublishStageWithErrorCode()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var scope = await JetStreamScope.CreateAsync(server, ct, config => config.MaxMsgSize = 64);
        await using var publisher = new JetStreamPublisher<Event>(scope.Js, EventJsonContext.Codec);

        var act = async () => await publisher.PublishAsync(scope.Subject(), new Event("1", new string('x', 200)), cancellationToken: ct);

        var thrown = await act.Should().ThrowAsync<GofluxException>();
        thrown.Which.Stage.Should().Be(GofluxStage.Publish);
        thrown.Which.ErrorCode.Should().Be(10054, "message size exceeds maximum allowed");
        thrown.Which.Message.Should().Contain("10054");
        thrown.Which.IsPermanent.Should().BeTrue("the same message can never fit the stream");
        (await scope.MessageCountAsync(ct)).Should().Be(0);
    }

    [Fact]
    public async Task CreateOrUpdateConsumerAsync_UnknownStream_ThrowsWithErrorCode10059()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var scope = await JetStreamScope.CreateAsync(server, ct);

        var act = async () => await scope.Backend.CreateOrUpdateConsumerAsync("NOPE" + scope.Stream, new ConsumerConfig("c"), ct);

        var thrown = await act.Should().ThrowAsync<GofluxException>();
        thrown.Which.Stage.Should().Be(GofluxStage.Subscribe);
        thrown.Which.ErrorCode.Should().Be(10059);
        thrown.Which.Message.Should().Contain($"stream 'NOPE{scope.Stream}' does not exist");
    }

    [Fact]
    public async Task SubscribeAsync_StreamDeletedBeforeSubscribing_ThrowsWithErrorCode10059()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var scope = await JetStreamScope.CreateAsync(server, ct);
        var consumer = await scope.ConsumerAsync(cancellationToken: ct);
        await using var subscriber = new JetStreamSubscriber<Event>(consumer, EventJsonContext.Codec);
        await scope.Js.DeleteStreamAsync(scope.Stream, ct);

        var act = () => subscriber.SubscribeAsync(scope.Subject(), (_, _) => ValueTask.CompletedTask, ct);

        var thrown = (await act.Should().ThrowAsync<GofluxException>()).Which;
        thrown.Stage.Should().Be(GofluxStage.Subscribe);
        thrown.ErrorCode.Should().Be(10059);
        thrown.Message.Should().Contain($"stream '{scope.Stream}' does not exist");
    }

    [Fact]
    public async Task SubscribeAsync_ConsumerDeletedBeforeSubscribing_ThrowsWithErrorCode10014()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var scope = await JetStreamScope.CreateAsync(server, ct);
        var consumer = await scope.ConsumerAsync(cancellationToken: ct);
        await using var subscriber = new JetStreamSubscriber<Event>(consumer, EventJsonContext.Codec);
        await scope.Js.DeleteConsumerAsync(scope.Stream, "c", ct);

        var act = () => subscriber.SubscribeAsync(scope.Subject(), (_, _) => ValueTask.CompletedTask, ct);

        var thrown = (await act.Should().ThrowAsync<GofluxException>()).Which;
        thrown.Stage.Should().Be(GofluxStage.Subscribe);
        thrown.ErrorCode.Should().Be(10014);
        thrown.Message.Should().Contain($"consumer 'c' does not exist on stream '{scope.Stream}'");
    }

    [Fact]
    public async Task SubscribeAsync_ConsumerDeletedWhileWaiting_ThrowsWithErrorCode10014()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var scope = await JetStreamScope.CreateAsync(server, ct);
        var consumer = await scope.ConsumerAsync(cancellationToken: ct);
        await using var publisher = new JetStreamPublisher<Event>(scope.Js, EventJsonContext.Codec);
        await using var subscriber = new JetStreamSubscriber<Event>(consumer, EventJsonContext.Codec);
        await publisher.PublishAsync(scope.Subject(), new Event("1", "x"), cancellationToken: ct);
        await using var subscription = Subscription<Event>.Start(subscriber, scope.Subject(), ct);
        await subscription.NextAsync(Wait);

        // The client has an open pull request: the server answers it with 409 Consumer Deleted.
        await scope.Js.DeleteConsumerAsync(scope.Stream, "c", ct);

        var act = () => subscription.Task.WaitAsync(Wait, ct);
        var thrown = (await act.Should().ThrowAsync<GofluxException>()).Which;
        thrown.Stage.Should().Be(GofluxStage.Subscribe);
        thrown.ErrorCode.Should().Be(10014);
        thrown.Message.Should().Contain($"consumer 'c' was deleted from stream '{scope.Stream}'");
        thrown.InnerException.Should().BeOfType<NatsJSProtocolException>().Which.HeaderCode.Should().Be(409);
    }

    [Fact]
    public async Task SubscribeAsync_ConsumerDeletedBetweenPulls_ThrowsWithErrorCode10014()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var scope = await JetStreamScope.CreateAsync(server, ct);
        var consumer = await scope.ConsumerAsync(cancellationToken: ct);
        await using var publisher = new JetStreamPublisher<Event>(scope.Js, EventJsonContext.Codec);

        // A window of one message: while the handler runs, no pull request is open, so the server has nobody to tell
        // about the deletion. The next pull finds no responder (503) instead.
        await using var subscriber = new JetStreamSubscriber<Event>(consumer, EventJsonContext.Codec, new SubscriberOptions { MaxMessages = 1 });
        var release = new TaskCompletionSource();
        await publisher.PublishAsync(scope.Subject(), new Event("1", "x"), cancellationToken: ct);
        await using var subscription = Subscription<Event>.Start(subscriber, scope.Subject(), ct, async (_, _) => await release.Task);
        await subscription.NextAsync(Wait);

        await scope.Js.DeleteConsumerAsync(scope.Stream, "c", ct);
        release.SetResult();

        var act = () => subscription.Task.WaitAsync(Wait, ct);
        var thrown = (await act.Should().ThrowAsync<GofluxException>()).Which;
        thrown.Stage.Should().Be(GofluxStage.Subscribe);
        thrown.ErrorCode.Should().Be(10014);
        thrown.Message.Should().Contain($"consumer 'c' was deleted from stream '{scope.Stream}'");
        thrown.InnerException.Should().BeOfType<NatsJSApiException>("the consumer-info check after the 503 found it gone");
    }

    [Fact]
    public async Task SubscribeAsync_StreamDeletedWhileSubscribed_ThrowsWithErrorCode10059()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var scope = await JetStreamScope.CreateAsync(server, ct);
        var consumer = await scope.ConsumerAsync(cancellationToken: ct);
        await using var publisher = new JetStreamPublisher<Event>(scope.Js, EventJsonContext.Codec);
        await using var subscriber = new JetStreamSubscriber<Event>(consumer, EventJsonContext.Codec);
        await publisher.PublishAsync(scope.Subject(), new Event("1", "x"), cancellationToken: ct);
        await using var subscription = Subscription<Event>.Start(subscriber, scope.Subject(), ct);
        await subscription.NextAsync(Wait);

        await scope.Js.DeleteStreamAsync(scope.Stream, ct);

        var act = () => subscription.Task.WaitAsync(Wait, ct);
        var thrown = (await act.Should().ThrowAsync<GofluxException>()).Which;
        thrown.Stage.Should().Be(GofluxStage.Subscribe);
        thrown.ErrorCode.Should().Be(10059);
        thrown.Message.Should().Contain($"stream '{scope.Stream}' was deleted");
        thrown.InnerException.Should().BeOfType<NatsJSProtocolException>().Which.HeaderCode.Should().Be(409);
    }
}
