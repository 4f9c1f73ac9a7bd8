using System.Text;
using FluentAssertions;
using Goflux.InMemory;
using NATS.Client.JetStream.Models;
using Xunit;

namespace Goflux.Contract.Tests.Engine;

/// <summary>
/// The engine moves any clock with a public <c>Advance(TimeSpan)</c> (FakeTimeProvider is one; this test's own clock is
/// another), so it needs no testing package; a clock without one is real time, and AdvanceAsync says so.
/// </summary>
public sealed class VirtualClockTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AdvanceAsync_AClockOfItsOwnWithAdvance_MovesItToTheNakDelayAndRedelivers()
    {
        var clock = new ManualClock(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));
        await using var engine = new InMemoryJetStream(clock);
        await engine.CreateOrUpdateStreamAsync(new StreamConfig("S", ["s.>"]), Ct);
        await engine.CreateOrUpdateConsumerAsync("S", new ConsumerConfig("c") { AckPolicy = ConsumerConfigAckPolicy.Explicit }, Ct);
        await engine.PublishAsync("s.a", Encoding.UTF8.GetBytes("x"), cancellationToken: Ct);
        var first = (await engine.FetchAsync("S", "c", 1, cancellationToken: Ct)).Should().ContainSingle().Subject;
        await first.NakAsync(TimeSpan.FromSeconds(30), Ct);

        await engine.AdvanceAsync(TimeSpan.FromSeconds(30), Ct);

        clock.GetUtcNow().Should().Be(new DateTimeOffset(2030, 1, 1, 0, 0, 30, TimeSpan.Zero));
        engine.Events.Should().Contain(e => e.Kind == InMemoryEventKind.NakDelayExpired && e.Time == clock.GetUtcNow());
        var again = (await engine.FetchAsync("S", "c", 1, cancellationToken: Ct)).Should().ContainSingle().Subject;
        again.Metadata.NumDelivered.Should().Be(2);
    }

    [Fact]
    public async Task AdvanceAsync_TheSystemClock_ThrowsSayingTimePassesByItself()
    {
        await using var engine = new InMemoryJetStream(TimeProvider.System);

        var advance = () => engine.AdvanceAsync(TimeSpan.FromSeconds(1), Ct);

        (await advance.Should().ThrowAsync<InvalidOperationException>()).Which.Message.Should().Contain("FakeTimeProvider").And.Contain("Advance(TimeSpan)");
    }

    /// <summary>A virtual clock that is not FakeTimeProvider: time moves only through <see cref="Advance"/>.</summary>
    private sealed class ManualClock(DateTimeOffset start) : TimeProvider
    {
        private readonly List<(DateTimeOffset Due, TimerCallback Callback, object? State)> _timers = [];
        private DateTimeOffset _now = start;

        public override DateTimeOffset GetUtcNow()
        {
            lock (_timers)
            {
                return _now;
            }
        }

        public void Advance(TimeSpan by)
        {
            List<(DateTimeOffset Due, TimerCallback Callback, object? State)> due;
            lock (_timers)
            {
                _now += by;
                due = [.. _timers.Where(t => t.Due <= _now).OrderBy(t => t.Due)];
                _timers.RemoveAll(t => t.Due <= _now);
            }

            foreach (var t in due)
            {
                t.Callback(t.State);
            }
        }

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) => new Timer(this, callback, state, dueTime);

        private sealed class Timer : ITimer
        {
            private readonly ManualClock _clock;
            private readonly TimerCallback _callback;
            private readonly object? _state;

            public Timer(ManualClock clock, TimerCallback callback, object? state, TimeSpan dueTime)
            {
                (_clock, _callback, _state) = (clock, callback, state);
                Change(dueTime, Timeout.InfiniteTimeSpan);
            }

            public bool Change(TimeSpan dueTime, TimeSpan period)
            {
                lock (_clock._timers)
                {
                    _clock._timers.RemoveAll(t => ReferenceEquals(t.State, this));
                    if (dueTime != Timeout.InfiniteTimeSpan)
                    {
                        _clock._timers.Add((_clock._now + dueTime, _ => _callback(_state), this));
                    }
                }

                return true;
            }

            public void Dispose() => Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);

            public ValueTask DisposeAsync()
            {
                Dispose();
                return default;
            }
        }
    }
}
