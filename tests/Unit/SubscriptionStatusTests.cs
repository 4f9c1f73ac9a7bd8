using System.Reflection;
using Goflux.Transport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Goflux.Tests;

public sealed class SubscriptionStatusTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 3, 1, 8, 0, 0, TimeSpan.Zero));

    [Fact]
    public void Status_AsItsHoldersSeeIt_CannotBeReportedInto()
    {
        var mutators = typeof(SubscriptionStatus).GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static)
            .Where(m => m.DeclaringType == typeof(SubscriptionStatus) && !m.IsSpecialName && m.Name != nameof(SubscriptionStatus.WaitForListeningAsync));

        mutators.Should().BeEmpty("only the transport's SubscriptionStatusSource reports changes");
        typeof(SubscriptionStatus).GetConstructors(BindingFlags.Public | BindingFlags.Instance).Should().BeEmpty();
    }

    [Fact]
    public void Report_StampsEachChangeOnTheSourcesClock()
    {
        var source = new SubscriptionStatusSource(_time);
        var created = _time.GetUtcNow();
        _time.Advance(TimeSpan.FromMinutes(3));

        source.Report(SubscriptionState.Listening);

        source.Status.Since.Should().Be(created + TimeSpan.FromMinutes(3));
        source.Status.State.Should().Be(SubscriptionState.Listening);
    }

    [Fact]
    public void Report_AListenerThrows_IsLoggedAndTheOtherListenersStillRun()
    {
        var logs = new FakeLogCollector();
        var source = new SubscriptionStatusSource(_time, new FakeLogger(logs));
        var seen = new List<SubscriptionState>();
        source.Status.StateChanged += (_, _) => throw new InvalidOperationException("listener bug");
        source.Status.StateChanged += (_, s) => seen.Add(s);

        var report = () => source.Report(SubscriptionState.Interrupted, new TimeoutException("server away"));

        report.Should().NotThrow("a listener must never break the subscription that reports to it");
        seen.Should().Equal(SubscriptionState.Interrupted);
        var entry = logs.GetSnapshot().Should().ContainSingle().Subject;
        entry.Level.Should().Be(LogLevel.Warning);
        entry.Exception.Should().BeOfType<InvalidOperationException>().Which.Message.Should().Be("listener bug");
        entry.Message.Should().Contain("Interrupted");
    }

    [Fact]
    public async Task Report_FaultedBeforeListening_EndsTheWaitWithTheError()
    {
        var source = new SubscriptionStatusSource(_time);
        var waiting = source.Status.WaitForListeningAsync(TestContext.Current.CancellationToken);

        source.Report(SubscriptionState.Faulted, new GofluxException(GofluxStage.Subscribe, "consumer deleted"));

        (await waiting.Awaiting(t => t).Should().ThrowAsync<GofluxException>()).Which.Message.Should().Be("consumer deleted");
    }
}
