using FluentAssertions;
using Goflux.JetStream;
using Goflux.Testing;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace Goflux.Integration.Tests.JetStream;

/// <summary>The subscriber's status is stamped on the clock its options name, not on the wall clock.</summary>
public sealed class JetStreamStatusTests(NatsServerFixture server)
{
    [Fact]
    public async Task Status_SubscriberOnAFakeClock_IsStampedOnIt()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var scope = await JetStreamScope.CreateAsync(server, ct);
        var clock = new FakeTimeProvider(new DateTimeOffset(2031, 5, 1, 0, 0, 0, TimeSpan.Zero));
        await scope.ConsumerAsync(cancellationToken: ct);
        await using var subscriber = await scope.Backend.CreateSubscriberAsync(scope.Stream, "c", EventJsonContext.Codec, SubscriberOptions.Default with { TimeProvider = clock }, ct);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);

        var run = subscriber.SubscribeAsync(scope.Subject(), (_, _) => ValueTask.CompletedTask, stop.Token);
        await subscriber.Status.WaitForListeningAsync(ct).WaitAsync(TimeSpan.FromSeconds(30), ct);

        subscriber.Status.Since.Should().Be(clock.GetUtcNow(), "the status reads the subscriber's clock");
        await stop.CancelAsync();
        await run;
    }
}
