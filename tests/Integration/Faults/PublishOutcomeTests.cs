using System.Diagnostics;
using FluentAssertions;
using Goflux.Integration.Tests.JetStream;
using Goflux.JetStream;
using Goflux.Testing;
using NATS.Client.Core;
using NATS.Client.JetStream.Models;
using NATS.Net;
using Xunit;

namespace Goflux.Integration.Tests.Faults;

/// <summary>
/// What a publish tells its caller when the server does not answer as usual: nothing sent, no stream, rejected, or an
/// unknown outcome; and that every publish ends within its timeout, also while the server is down.
/// </summary>
public sealed class PublishOutcomeTests(NatsServerFixture server)
{
    private static readonly TimeSpan Tolerance = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task PublishAsync_ServerDown_EndsWithinThePublishTimeoutNothingSent_AndNothingStoredLater()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var own = await OwnServer.StartAsync(ct);
        await using var connection = await own.ConnectAsync(ct);
        var js = connection.CreateJetStreamContext();
        await new JetStreamBackend(js).CreateOrUpdateStreamAsync(new StreamConfig("DOWN", ["down.>"]), ct);
        var timeout = TimeSpan.FromSeconds(1);
        await using var publisher = new JetStreamPublisher<Event>(js, EventJsonContext.Codec, PublisherOptions.Default with { PublishTimeout = timeout });
        await publisher.PublishAsync("down.a", new Event("1", "before"), cancellationToken: ct);

        await own.StopAsync(kill: false, ct);
        (await Eventually.TrueAsync(() => Task.FromResult(connection.ConnectionState != NatsConnectionState.Open), TimeSpan.FromSeconds(10), ct))
            .Should().BeTrue("the client notices the server went away");
        var clock = Stopwatch.StartNew();
        var act = async () => await publisher.PublishAsync("down.a", new Event("2", "during"), cancellationToken: ct);
        var thrown = (await act.Should().ThrowAsync<GofluxException>()).Which;
        var took = clock.Elapsed;

        thrown.PublishOutcome.Should().Be(PublishOutcome.NotSent);
        thrown.Message.Should().Contain("did not open within the publish timeout of 1 s").And.Contain("nothing was sent");
        took.Should().BeGreaterThan(timeout - TimeSpan.FromMilliseconds(100)).And.BeLessThan(timeout + Tolerance);

        await own.StartAgainAsync(ct);
        await using var again = await own.ConnectAsync(ct);
        var afterwards = new JetStreamPublisher<Event>(again.CreateJetStreamContext(), EventJsonContext.Codec);
        var third = await afterwards.PublishAsync("down.a", new Event("3", "after"), cancellationToken: ct);
        third.Sequence.Should().Be(2, "the publish that was not sent was not stored when the connection came back");
    }

    [Fact]
    public async Task PublishAsync_SentButNeverAcknowledged_OutcomeUnknownNotNoStream()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var scope = await JetStreamScope.CreateAsync(server, ct);
        var subject = "silent." + scope.Prefix;
        await using var silent = await scope.Connection.SubscribeCoreAsync<byte[]>(subject, cancellationToken: ct);
        await scope.Connection.PingAsync(ct);
        var timeout = TimeSpan.FromMilliseconds(500);
        await using var publisher = new JetStreamPublisher<Event>(scope.Js, EventJsonContext.Codec, PublisherOptions.Default with { PublishTimeout = timeout });

        var clock = Stopwatch.StartNew();
        var act = async () => await publisher.PublishAsync(subject, new Event("1", "into the void"), cancellationToken: ct);
        var thrown = (await act.Should().ThrowAsync<GofluxException>()).Which;
        var took = clock.Elapsed;

        thrown.PublishOutcome.Should().Be(PublishOutcome.Unknown, "the message reached a subscriber but no acknowledgement came back");
        thrown.IsOutcomeUnknown.Should().BeTrue();
        thrown.Message.Should().Contain("unknown outcome").And.Contain("may have been stored").And.NotContain("No stream captures");
        took.Should().BeGreaterThan(timeout - TimeSpan.FromMilliseconds(50)).And.BeLessThan(timeout + Tolerance);
        (await silent.Msgs.ReadAsync(ct)).Subject.Should().Be(subject, "the message was sent");
    }

    [Theory]
    [InlineData(NatsRequestReplyMode.Direct, false)]
    [InlineData(NatsRequestReplyMode.SharedInbox, false)]
    [InlineData(NatsRequestReplyMode.Direct, true)]
    [InlineData(NatsRequestReplyMode.SharedInbox, true)]
    public async Task PublishAsync_EitherRequestReplyModeAndClock_StoresAndEndsOnTimeWithoutAnAcknowledgement(NatsRequestReplyMode mode, bool fakeClock)
    {
        // The wait for the acknowledgement ends on the publish deadline's clock; with a clock that never moves (a fake
        // one nobody advances), NATS.Net's own timeout on real time still ends it.
        var ct = TestContext.Current.CancellationToken;
        var url = await server.StartAsync(ct);
        await using var connection = new NatsConnection(NatsOpts.Default with { Url = url, RequestReplyMode = mode });
        var js = connection.CreateJetStreamContext();
        var id = Guid.NewGuid().ToString("N")[..12];
        await js.CreateStreamAsync(new StreamConfig("M" + id, ["m" + id + ".>"]) { Storage = StreamConfigStorage.Memory }, ct);
        try
        {
            var timeout = TimeSpan.FromMilliseconds(500);
            var options = PublisherOptions.Default with { PublishTimeout = timeout };
            if (fakeClock)
            {
                options = options with { TimeProvider = new Microsoft.Extensions.Time.Testing.FakeTimeProvider() };
            }

            await using var publisher = new JetStreamPublisher<Event>(js, EventJsonContext.Codec, options);
            await using var silent = await connection.SubscribeCoreAsync<byte[]>("silent." + id, cancellationToken: ct);
            await connection.PingAsync(ct);

            var stored = await publisher.PublishAsync("m" + id + ".a", new Event("1", "stored"), cancellationToken: ct);
            using var cap = CancellationTokenSource.CreateLinkedTokenSource(ct);
            cap.CancelAfter(timeout + Tolerance + Tolerance); // a wait nothing ends fails here instead of hanging
            var clock = Stopwatch.StartNew();
            var act = async () => await publisher.PublishAsync("silent." + id, new Event("2", "into the void"), cancellationToken: cap.Token);
            var thrown = (await act.Should().ThrowAsync<GofluxException>()).Which;
            var took = clock.Elapsed;

            stored.Sequence.Should().Be(1);
            thrown.PublishOutcome.Should().Be(PublishOutcome.Unknown);
            thrown.Message.Should().Contain("no acknowledgement within the publish timeout");
            took.Should().BeGreaterThan(timeout - TimeSpan.FromMilliseconds(50)).And.BeLessThan(timeout + Tolerance);
        }
        finally
        {
            await js.DeleteStreamAsync("M" + id, CancellationToken.None);
        }
    }

    [Fact]
    public async Task PublishAsync_CancelledWhileWaitingForTheAcknowledgement_OutcomeUnknownNotACancellation()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var scope = await JetStreamScope.CreateAsync(server, ct);
        var subject = "silent." + scope.Prefix;
        await using var silent = await scope.Connection.SubscribeCoreAsync<byte[]>(subject, cancellationToken: ct);
        await scope.Connection.PingAsync(ct);
        await using var publisher = new JetStreamPublisher<Event>(scope.Js, EventJsonContext.Codec, PublisherOptions.Default with { PublishTimeout = TimeSpan.FromSeconds(30) });
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cancel.CancelAfter(TimeSpan.FromMilliseconds(300));

        var act = async () => await publisher.PublishAsync(subject, new Event("1", "waiting"), cancellationToken: cancel.Token);
        var thrown = (await act.Should().ThrowAsync<GofluxException>()).Which;

        thrown.PublishOutcome.Should().Be(PublishOutcome.Unknown);
        thrown.Message.Should().Contain("the caller cancelled while waiting for the acknowledgement");
        thrown.InnerException.Should().BeAssignableTo<OperationCanceledException>();
    }

    [Fact]
    public async Task PublishAsync_TokenCancelledBeforeSending_OperationCanceledAndNothingStored()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var scope = await JetStreamScope.CreateAsync(server, ct);
        await using var publisher = new JetStreamPublisher<Event>(scope.Js, EventJsonContext.Codec);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        var act = async () => await publisher.PublishAsync(scope.Subject(), new Event("1", "never"), cancellationToken: cancelled.Token);

        await act.Should().ThrowAsync<OperationCanceledException>();
        (await scope.MessageCountAsync(ct)).Should().Be(0, "a publish cancelled before sending stores nothing");
    }

    [Fact]
    public async Task RetryingPublisher_ServerRestartsMidway_EveryMessageStoredOnceWithMessageIds()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var own = await OwnServer.StartAsync(ct);
        await using var connection = await own.ConnectAsync(ct);
        var js = connection.CreateJetStreamContext();
        await new JetStreamBackend(js).CreateOrUpdateStreamAsync(new StreamConfig("RETRY", ["retry.>"]), ct);
        var options = PublisherOptions.Default with { PublishTimeout = TimeSpan.FromSeconds(1), DeduplicateByMessageId = true };
        await using var publisher = new RetryingPublisher<Event>(
            new JetStreamPublisher<Event>(js, EventJsonContext.Codec, options),
            maxAttempts: 60,
            backoff: _ => TimeSpan.FromMilliseconds(250));
        const int count = 300;
        var outcomes = new List<PublishResult>();

        var restart = Task.CompletedTask;
        var longest = TimeSpan.Zero;
        for (var i = 1; i <= count; i++)
        {
            if (i == count / 3)
            {
                restart = RestartAsync();
            }

            var clock = Stopwatch.StartNew();
            outcomes.Add(await publisher.PublishAsync("retry.a", new Event(i.ToString(System.Globalization.CultureInfo.InvariantCulture), "x"), new PublishOptions { MessageId = "m-" + i }, ct));
            longest = TimeSpan.FromTicks(Math.Max(longest.Ticks, clock.Elapsed.Ticks));
        }

        await restart;
        var stream = await js.GetStreamAsync("RETRY", cancellationToken: ct);
        stream.Info.State.Messages.Should().Be(count, "every message is stored exactly once");
        stream.Info.State.LastSeq.Should().Be(count);
        outcomes.Select(o => o.Sequence).Should().OnlyHaveUniqueItems();
        TestContext.Current.SendDiagnosticMessage($"restart while publishing {count}: longest publish {longest.TotalSeconds:0.00} s, duplicates reported {outcomes.Count(o => o.Duplicate)}");

        async Task RestartAsync()
        {
            await own.StopAsync(kill: false, ct);
            await Task.Delay(TimeSpan.FromSeconds(2), ct);
            await own.StartAgainAsync(ct);
        }
    }
}
